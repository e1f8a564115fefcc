"""Eval results per group: a rich table on the console, ``report.md`` and ``accuracy.png``.

BFCL rows (`CategoryRow`) and suite rows (`toolweave.eval.suite.report.SuiteRow`) share these
helpers: each row type names its columns and formats its cells."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Protocol

from rich.console import Console
from rich.table import Table

from toolweave.eval.bfcl.predict import Prediction, Score


class ReportRow(Protocol):
    """What the report helpers need of a row: a group name (``overall`` is drawn in bold and
    in another colour), the accuracy to chart, and its cells under the row type's columns."""

    category: str
    columns: ClassVar[tuple[tuple[str, str], ...]]  # (header, "left" | "right")

    @property
    def accuracy(self) -> float: ...

    def cells(self) -> list[str]: ...


@dataclass
class CategoryRow:
    """Accuracy and cost of one category (or ``overall``)."""

    category: str
    tasks: int
    correct: int
    wall_s: float
    completion_tokens: int
    parse_failures: int  # turns with unreadable call syntax or a failed model call

    columns: ClassVar[tuple[tuple[str, str], ...]] = (
        ("category", "left"), ("tasks", "right"), ("correct", "right"), ("accuracy", "right"),
        ("wall s", "right"), ("s/task", "right"), ("gen tokens", "right"),
        ("unparsed", "right"))

    @property
    def accuracy(self) -> float:
        return self.correct / self.tasks if self.tasks else 0.0

    def cells(self) -> list[str]:
        return [self.category, str(self.tasks), str(self.correct), f"{100 * self.accuracy:.1f}%",
                f"{self.wall_s:.1f}", f"{self.wall_s / max(self.tasks, 1):.2f}",
                str(self.completion_tokens), str(self.parse_failures)]


def summarize(predictions: Sequence[Prediction], scores: Sequence[Score]) -> list[CategoryRow]:
    """One row per category, in first-seen order, then ``overall`` (micro-averaged, i.e. over
    all tasks; BFCL's leaderboard averages per category, which differs for unequal counts)."""
    by_id = {p.id: p for p in predictions}
    rows: dict[str, CategoryRow] = {}
    for s in scores:
        p = by_id[s.id]
        row = rows.setdefault(s.category, CategoryRow(s.category, 0, 0, 0.0, 0, 0))
        row.tasks += 1
        row.correct += s.valid
        row.wall_s += p.wall_s
        row.completion_tokens += p.completion_tokens
        row.parse_failures += bool(p.parse_errors or p.error)
    out = list(rows.values())
    if out:
        out.append(CategoryRow(
            "overall", sum(r.tasks for r in out), sum(r.correct for r in out),
            sum(r.wall_s for r in out), sum(r.completion_tokens for r in out),
            sum(r.parse_failures for r in out)))
    return out


def table(rows: Sequence[ReportRow], title: str = "BFCL") -> Table:
    """The rows as a rich table (columns from the row type; BFCL's when there are no rows)."""
    columns = type(rows[0]).columns if rows else CategoryRow.columns
    t = Table(title=title)
    for i, (name, justify) in enumerate(columns):
        t.add_column(name, justify=justify, no_wrap=i == 0)  # group names stay whole
    for r in rows:
        t.add_row(*r.cells(), style="bold" if r.category == "overall" else None)
    return t


def markdown(rows: Sequence[ReportRow], title: str, notes: Sequence[str] = (),
             sections: Sequence[str] = ()) -> str:
    """The rows as a Markdown report; ``sections`` (Markdown text) follow the table."""
    columns = type(rows[0]).columns if rows else CategoryRow.columns
    lines = [f"# {title}", "", *notes, *([""] if notes else []),
             "| " + " | ".join(name for name, _ in columns) + " |",
             "|" + "|".join("---" if j == "left" else "---:" for _, j in columns) + "|"]
    for r in rows:
        cells = r.cells()
        if r.category == "overall":
            cells[0] = f"**{cells[0]}**"
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join([*lines, *(f"\n{s.rstrip()}" for s in sections)]) + "\n"


def bar_chart(path: str | Path, rows: Sequence[ReportRow], title: str,
              ylabel: str = "accuracy (%)") -> Path:
    """Accuracy per category (or group) as a PNG (matplotlib, headless)."""
    import matplotlib

    matplotlib.use("Agg")  # no display; must precede pyplot
    import matplotlib.pyplot as plt

    names = [r.category for r in rows]
    values = [100 * r.accuracy for r in rows]
    fig, ax = plt.subplots(figsize=(max(5.0, 0.8 * len(rows) + 2), 4))
    bars = ax.bar(names, values, color=["#4c72b0" if n != "overall" else "#dd8452"
                                        for n in names])
    ax.bar_label(bars, labels=[f"{v:.0f}%" for v in values], fontsize=8)
    ax.set_ylim(0, 105)
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=10)
    ax.tick_params(axis="x", labelrotation=35, labelsize=8)
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def write_report(out_dir: str | Path, rows: Sequence[ReportRow], title: str,
                 notes: Sequence[str] = (), console: Console | None = None,
                 sections: Sequence[str] = (), ylabel: str = "accuracy (%)") -> None:
    """Print the table and write ``report.md`` and ``accuracy.png`` into ``out_dir``."""
    out = Path(out_dir)
    if console is not None:
        console.print(table(rows, title))
    (out / "report.md").write_text(markdown(rows, title, notes, sections), encoding="utf-8")
    if rows:
        bar_chart(out / "accuracy.png", rows, title, ylabel)
