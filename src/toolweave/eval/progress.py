"""The progress bar every eval shows while it runs: done / total, a running score, time left."""

from __future__ import annotations

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)


def eval_progress(console: Console | None, show: bool = True) -> Progress:
    """A rich `Progress` whose tasks carry a ``stat`` field (e.g. ``acc  75.0%``)."""
    return Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TextColumn("{task.fields[stat]}"), TimeElapsedColumn(),
                    TimeRemainingColumn(), console=console, disable=not show)


def percent(label: str, right: float, seen: int) -> str:
    """``acc  75.0%``, or a blank of the same width before anything is done."""
    return f"{label} {100 * right / seen:5.1f}%" if seen else f"{label}   -  "
