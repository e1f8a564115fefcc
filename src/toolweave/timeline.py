"""A run as a Gantt chart: where the time went, model vs tools, and what ran in parallel.

One row for the model's calls (each step's completion, labelled with its tokens) and one row
per tool (each observation from start to end), on an axis of seconds since the trace started.
matplotlib is imported on first use only, with the Agg backend (no display needed).
"""

from __future__ import annotations

from pathlib import Path

from toolweave.types import Trace

LLM_ROW = "LLM"
Bar = tuple[str, float, float]  # (row, start_s, end_s), seconds since the trace started


def timeline_bars(trace: Trace) -> list[tuple[str, float, float, str]]:
    """The bars of ``trace``: ``(row, start_s, end_s, label)``, model calls first.

    A model call runs from its step's start for the completion's total time; a tool call from
    its observation's start to its end. Observations without timings are left out.
    """
    origin = trace.started_at
    bars: list[tuple[str, float, float, str]] = []
    for step in trace.steps:
        completion = step.completion
        if completion is None:
            continue
        start = step.started_at - origin
        usage = completion.usage
        label = f"{usage.prompt_tokens_evaluated or usage.prompt_tokens}+{usage.completion_tokens} tok"
        bars.append((LLM_ROW, start, start + completion.timings.total_s, label))
    for step in trace.steps:
        for obs in step.observations:
            if obs.started_at and obs.ended_at:
                bars.append((obs.tool, obs.started_at - origin, obs.ended_at - origin,
                             "" if obs.ok else "error"))
    return bars


def draw_timeline(trace: Trace, out_png: str | Path) -> list[Bar]:
    """Draw ``trace`` as a Gantt chart into ``out_png``; returns the bars drawn as
    ``(row, start_s, end_s)``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    bars = timeline_bars(trace)
    rows = [LLM_ROW] + sorted({row for row, *_ in bars if row != LLM_ROW})
    y = {row: i for i, row in enumerate(rows)}
    end = max([b[2] for b in bars] + [(trace.ended_at - trace.started_at)
                                      if trace.ended_at else 0.0, 1e-3])
    fig, ax = plt.subplots(figsize=(10, 1.2 + 0.6 * len(rows)))
    # calls of one tool that overlap in time go to separate lanes of its row
    lanes = _lanes(bars)
    width = {row: 1 + max(lane for (r, *_), lane in zip(bars, lanes) if r == row)
             for row, *_ in bars}
    for (row, start, stop, label), lane in zip(bars, lanes):
        height = 0.7 / width[row]
        base = y[row] - 0.35 + lane * height
        color = "tab:blue" if row == LLM_ROW else ("tab:red" if label == "error" else "tab:orange")
        ax.broken_barh([(start, max(stop - start, end * 0.002))], (base, height * 0.9),
                       facecolors=color, edgecolors="black", linewidth=0.5, alpha=0.8)
        if label and row == LLM_ROW:
            ax.text(start + (stop - start) / 2, y[row], label, ha="center", va="center",
                    fontsize=7)
    ax.set_yticks(range(len(rows)), rows)
    ax.set_ylim(-0.6, len(rows) - 0.4)
    ax.invert_yaxis()
    ax.set_xlim(0, end * 1.02)
    ax.set_xlabel("seconds since the run started")
    ax.set_title(f"{trace.strategy}: {trace.question[:80]}", fontsize=9)
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    fig.savefig(out_png, dpi=120)
    plt.close(fig)
    return [(row, start, stop) for row, start, stop, _ in bars]


def _lanes(bars: list[tuple[str, float, float, str]]) -> list[int]:
    """A lane per bar such that bars of one row in one lane never overlap (greedy, by start)."""
    lanes = [0] * len(bars)
    busy: dict[str, list[float]] = {}
    for i in sorted(range(len(bars)), key=lambda i: bars[i][1]):
        row, start, stop, _ = bars[i]
        ends = busy.setdefault(row, [])
        lane = next((k for k, until in enumerate(ends) if until <= start), len(ends))
        if lane == len(ends):
            ends.append(stop)
        else:
            ends[lane] = stop
        lanes[i] = lane
    return lanes
