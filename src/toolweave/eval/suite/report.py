"""Suite results: aggregated per strategy, per tag and overall, and listed per task.

The aggregate rows go through the shared report helpers (`toolweave.eval.report`: the rich
table, ``report.md``, the pass-rate chart ``accuracy.png``); the per-task listing follows them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from rich.console import Console
from rich.table import Table

from toolweave.eval.report import write_report
from toolweave.eval.suite.format import Suite, SuiteTask
from toolweave.eval.suite.score import TaskOutcome


def _mean(values: Sequence[float | None]) -> float | None:
    defined = [v for v in values if v is not None]
    return sum(defined) / len(defined) if defined else None


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.0f}%"


@dataclass
class SuiteRow:
    """One group's runs (a strategy, ``tag:<name>`` or ``overall``); metrics are means over
    the runs that define them (answer metrics over tasks with an answer, call metrics over
    tasks with calls)."""

    category: str
    outcomes: list[TaskOutcome] = field(default_factory=list)

    columns: ClassVar[tuple[tuple[str, str], ...]] = (
        ("group", "left"), ("passed", "right"), ("pass", "right"), ("EM", "right"),
        ("F1", "right"), ("contains", "right"), ("call acc", "right"), ("call prec", "right"),
        ("steps", "right"), ("s/run", "right"), ("tokens", "right"), ("errors", "right"))

    @property
    def runs(self) -> int:
        return len(self.outcomes)

    @property
    def passed(self) -> int:
        return sum(o.score.passed for o in self.outcomes)

    @property
    def accuracy(self) -> float:
        """The pass rate (what the chart draws)."""
        return self.passed / self.runs if self.runs else 0.0

    def mean(self, metric: str) -> float | None:
        return _mean([getattr(o.score, metric) for o in self.outcomes])

    def cells(self) -> list[str]:
        n = max(self.runs, 1)
        return [self.category, f"{self.passed}/{self.runs}", _pct(self.accuracy),
                _pct(self.mean("exact_match")), _pct(self.mean("f1")),
                _pct(self.mean("contains")), _pct(self.mean("call_recall")),
                _pct(self.mean("call_precision")),
                f"{sum(o.steps for o in self.outcomes) / n:.1f}",
                f"{sum(o.wall_s for o in self.outcomes) / n:.2f}",
                str(sum(o.completion_tokens for o in self.outcomes)),
                str(sum(o.error is not None for o in self.outcomes))]


def summarize_suite(outcomes: Sequence[TaskOutcome]) -> list[SuiteRow]:
    """Rows per strategy (when there are several), per tag, then ``overall``."""
    rows: dict[str, SuiteRow] = {}
    strategies = list(dict.fromkeys(o.strategy for o in outcomes))
    if len(strategies) > 1:
        for o in outcomes:
            rows.setdefault(o.strategy, SuiteRow(o.strategy)).outcomes.append(o)
    for o in outcomes:
        for tag in o.tags:
            rows.setdefault(f"tag:{tag}", SuiteRow(f"tag:{tag}")).outcomes.append(o)
    out = list(rows.values())
    if outcomes:
        out.append(SuiteRow("overall", list(outcomes)))
    return out


_TASK_COLUMNS = ("task", "strategy", "pass", "EM", "F1", "calls", "stop", "steps", "answer")


def _task_cells(task: SuiteTask, o: TaskOutcome) -> list[str]:
    s = o.score
    calls = "-" if s.call_recall is None else \
        f"{round(s.call_recall * len(task.calls or []))}/{len(task.calls or [])} of {len(o.calls)}"
    answer = (o.answer or o.error or "").replace("\n", " ").strip()
    answer = answer if len(answer) <= 60 else answer[:59] + "…"
    return [o.id, o.strategy, "yes" if s.passed else "no",
            "-" if s.exact_match is None else f"{s.exact_match:.0f}",
            "-" if s.f1 is None else f"{s.f1:.2f}", calls, o.stop_reason, str(o.steps), answer]


def task_table(tasks: Sequence[SuiteTask], outcomes: Sequence[TaskOutcome],
               title: str = "tasks") -> Table:
    """Every run, one row each (calls: expected matched / expected, of calls made)."""
    by_id = {t.id: t for t in tasks}
    t = Table(title=title)
    for name in _TASK_COLUMNS:
        left = name in ("task", "strategy", "stop", "answer")
        t.add_column(name, justify="left" if left else "right", no_wrap=name != "answer",
                     overflow="ellipsis")
    for o in outcomes:
        t.add_row(*_task_cells(by_id[o.id], o), style=None if o.score.passed else "red")
    return t


def task_markdown(tasks: Sequence[SuiteTask], outcomes: Sequence[TaskOutcome]) -> str:
    """The per-task listing as a Markdown section."""
    by_id = {t.id: t for t in tasks}
    lines = ["## Tasks", "", "| " + " | ".join(_TASK_COLUMNS) + " |",
             "|" + "|".join("---" for _ in _TASK_COLUMNS) + "|"]
    for o in outcomes:
        cells = [c.replace("|", "\\|") for c in _task_cells(by_id[o.id], o)]
        cells[0] = f"[{cells[0]}]({o.trace})" if o.trace else cells[0]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def write_suite_report(out_dir: str | Path, suite: Suite, tasks: Sequence[SuiteTask],
                       outcomes: Sequence[TaskOutcome], config: dict,
                       console: Console | None = None) -> list[SuiteRow]:
    """Print the per-task and aggregate tables; write ``report.md`` and ``accuracy.png``."""
    rows = summarize_suite(outcomes)
    title = f"suite {suite.name or '(unnamed)'} — {config['model']} · {config['format']}"
    mode = "constrained" if config["constrained"] else "unconstrained"
    notes = [(f"- model `{config['model']}`, format `{config['format']}`, {mode}, "
              f"max_steps {config['max_steps']}, tool_choice {config['tool_choice']}"),
             ("- pass: the answer contains an acceptable answer (normalized) and every "
              "expected call was made; EM / F1 / contains over tasks with an answer, call acc "
              "(expected calls made) and call prec (calls made that were expected) over tasks "
              "with calls")]
    if console is not None and len(outcomes) <= 60:
        console.print(task_table(tasks, outcomes, f"{title}: tasks"))
    write_report(out_dir, rows, title, notes, console, sections=[task_markdown(tasks, outcomes)],
                 ylabel="pass rate (%)")
    return rows
