"""`TraceRecorder`: builds the `Trace` of a run and writes it as JSONL while it happens.

One JSON event per line (the format: `toolweave.trace_file`), flushed (and fsync'ed on close)
as soon as it exists: a run that is killed keeps every finished step. `Trace.load` reads the
file back. Listeners (the CLI's live view, say) get the same events.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from toolweave.text import clean_text
from toolweave.trace_file import ends_torn, event_line, save_trace, step_line
from toolweave.types import Step, Trace

__all__ = ["Listener", "TraceRecorder", "save_trace"]

Listener = Callable[[dict[str, Any]], None]


class TraceRecorder:
    """Collects one run's steps into ``trace`` and streams them to ``path`` and listeners."""

    def __init__(self, trace: Trace, path: str | Path | None = None,
                 listeners: list[Listener] | None = None):
        self.trace = trace
        self.path = Path(path) if path else None
        self.listeners = list(listeners or [])
        self._file: TextIO | None = None
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file = open(self.path, "a", encoding="utf-8")
            if ends_torn(self.path):
                self._file.write("\n")  # a killed run's torn last line stays a line of its own
        if self._file is not None or self.listeners:
            self._emit({"event": "start",
                        "trace": trace.model_dump(mode="json", exclude={"steps"})})

    def step(self, step: Step) -> Step:
        """Record a finished step."""
        step.ended_at = step.ended_at or time.time()
        self.trace.steps.append(step)
        if self._file is not None:
            self._write(step_line(self.trace.id, step))
        if self.listeners:
            self._notify({"event": "step", "step": step.model_dump(mode="json")})
        return step

    def meta(self, **values: Any) -> None:
        """Record run-level facts (e.g. retrieved tools) as they become known."""
        self.trace.meta.update(values)
        self._emit({"event": "meta", "meta": values})

    def event(self, kind: str, **payload: Any) -> None:
        """A transient event for listeners only (e.g. a step starting); not part of the trace."""
        for listener in self.listeners:
            listener({"event": kind, **payload})

    def end(self, answer: str | None, stop_reason: str) -> Trace:
        """Close the run; safe to call once only (later calls are ignored)."""
        if self.trace.ended_at:
            return self.trace
        answer = None if answer is None else clean_text(answer)
        self.trace.answer, self.trace.stop_reason = answer, stop_reason
        self.trace.ended_at = time.time()
        self._emit({"event": "end", "answer": answer, "stop_reason": stop_reason,
                    "ended_at": self.trace.ended_at})
        if self._file is not None:
            os.fsync(self._file.fileno())
            self._file.close()
            self._file = None
        return self.trace

    def _emit(self, event: dict[str, Any]) -> None:
        if self._file is not None:
            self._write(event_line(self.trace.id, event))
        self._notify(event)

    def _write(self, line: str) -> None:
        # flushed per event: a run that is killed keeps every finished step
        self._file.write(line)
        self._file.flush()

    def _notify(self, event: dict[str, Any]) -> None:
        for listener in self.listeners:
            listener(event)
