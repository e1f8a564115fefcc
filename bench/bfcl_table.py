"""BFCL accuracy and wall time per model × tool format × constrained/unconstrained.

    .venv/bin/python bench/bfcl_table.py [--models tiny,default] [--formats hermes,glm-xml,openai]
                                         [--modes constrained,free,native]
                                         [--limit 100] [--out bench-out/bfcl]
                                         [--ray [--workers N] [--threads-per-worker T]]
                                         [--report-only] [--markdown FILE] [--chart PNG]

Runs `toolweave.eval.bfcl.single_turn.run_bfcl` on the non-live single-turn categories (simple_python,
multiple, parallel, parallel_multiple, irrelevance) for every configuration, each into its own
folder under ``--out`` (so an interrupted table resumes where it stopped), and prints one table:
accuracy per category, overall, the summed model time and seconds per task. Scored by the
official bfcl-eval checker. A native format (``openai``: the model's own chat template renders
the tools) has no grammar of ours, so it runs once. ``--report-only`` scores what is on disk
without loading a model, and marks categories that are not complete. On a 2-core CPU the full
table (2 models × 5 configurations × 500 tasks) takes hours; ``--ray`` with one thread per
worker gets more out of small models than one process with all cores.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table

from toolweave.eval.bfcl.data import NON_LIVE, load_tasks
from toolweave.eval.bfcl.predict import PredictionStore, score
from toolweave.eval.bfcl.single_turn import run_bfcl
from toolweave.eval.ray_pool import RayOptions
from toolweave.eval.report import CategoryRow, summarize
from toolweave.eval.run_sessions import SessionLog
from toolweave.formats import get_format

SHORT = {"simple_python": "simple", "multiple": "multiple", "parallel": "parallel",
         "parallel_multiple": "par_multi", "irrelevance": "irrelev"}


@dataclass
class Row:
    """One configuration's line of the table."""

    model: str
    fmt: str
    mode: str
    rows: dict[str, CategoryRow]
    expected: dict[str, int]  # tasks per category the configuration should have
    wall_s: float | None  # elapsed time of all its predictions, when every session was recorded

    def cells(self) -> list[str]:
        out = [self.model, self.fmt, self.mode]
        for category in NON_LIVE:
            row = self.rows.get(category)
            if row is None:
                out.append("–")
                continue
            cell = f"{100 * row.accuracy:.0f}%"
            if row.tasks < self.expected[category]:
                cell += f" ({row.tasks}/{self.expected[category]})"
            out.append(cell)
        overall = self.rows.get("overall")
        if overall is None or not overall.tasks:
            return out + ["–", "–", "–", "–"]
        wall = "–" if self.wall_s is None else f"{self.wall_s:.0f}"
        return out + [f"{100 * overall.accuracy:.1f}%", wall, f"{overall.wall_s:.0f}",
                      f"{overall.wall_s / overall.tasks:.2f}"]


def configurations(models: list[str], formats: list[str],
                   modes: set[str] | None = None) -> list[tuple[str, str, bool, str]]:
    """(model, format, constrained, mode label) in table order, keeping only ``modes``."""
    out = []
    for model in models:
        for fmt in formats:
            if getattr(get_format(fmt), "native", False):
                out.append((model, fmt, False, "native"))
            else:
                out += [(model, fmt, True, "constrained"), (model, fmt, False, "free")]
    return [c for c in out if modes is None or c[3] in modes]


def scored_on_disk(out: Path, limit: int
                   ) -> tuple[dict[str, CategoryRow], dict[str, int], float | None]:
    """Score the predictions saved in ``out`` (no model needed): rows by category, the tasks
    each category should have, and the wall time of all predictions (None if not recorded)."""
    tasks = [t for c in NON_LIVE for t in load_tasks(c, limit)]
    expected = {c: sum(t.category == c for t in tasks) for c in NON_LIVE}
    done = PredictionStore(out / "predictions.jsonl").load()
    have = [t for t in tasks if t.id in done]
    predictions = [done[t.id] for t in have]
    rows = summarize(predictions, [score(t, p) for t, p in zip(have, predictions, strict=True)])
    return {r.category: r for r in rows}, expected, SessionLog(out).wall_s(len(done))


def markdown(title: str, header: list[str], rows: list[Row]) -> str:
    lines = [f"**{title}**", "", "| " + " | ".join(header) + " |",
             "|" + "|".join("---" if i < 3 else "---:" for i in range(len(header))) + "|"]
    lines += ["| " + " | ".join(r.cells()) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def grouped_chart(path: Path, title: str, rows: list[Row]) -> None:
    """Accuracy per category (and overall), one bar per configuration, as a PNG."""
    import matplotlib

    matplotlib.use("Agg")  # no display; must precede pyplot
    import matplotlib.pyplot as plt

    groups = [*NON_LIVE, "overall"]
    width = 0.8 / max(len(rows), 1)
    colors = plt.get_cmap("tab20").colors  # 20 distinct colours: rows up to 20 stay apart
    fig, ax = plt.subplots(figsize=(max(11.0, 0.8 * len(rows)) + 3, 4.5))
    for k, row in enumerate(rows):
        values = [100 * row.rows[g].accuracy if g in row.rows else 0.0 for g in groups]
        ax.bar([i + (k - (len(rows) - 1) / 2) * width for i in range(len(groups))], values,
               width, label=f"{row.model} · {row.fmt} · {row.mode}",
               color=colors[k % len(colors)])
    ax.set_xticks(range(len(groups)), [SHORT.get(g, g) for g in groups])
    ax.set_ylim(0, 105)
    ax.set_ylabel("accuracy (%)")
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))  # beside, not over, bars
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", default="tiny,default")
    parser.add_argument("--formats", default="hermes,glm-xml,openai")
    parser.add_argument("--modes", default="constrained,free,native",
                        help="which decodings to run: constrained, free (non-native formats), "
                             "native (formats the chat template renders, e.g. openai)")
    parser.add_argument("--limit", type=int, default=100, help="tasks per category")
    parser.add_argument("--max-tokens", type=int, default=256)
    parser.add_argument("--out", type=Path, default=Path("bench-out/bfcl"))
    parser.add_argument("--ray", action="store_true",
                        help="run tasks on a local Ray pool (same predictions as serial)")
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--threads-per-worker", type=int, default=1)
    parser.add_argument("--report-only", action="store_true",
                        help="score what is on disk; load no model, predict nothing")
    parser.add_argument("--markdown", type=Path, help="also write the table here")
    parser.add_argument("--chart", type=Path, help="also draw it as a grouped bar chart PNG")
    args = parser.parse_args(argv)
    console = Console(width=150)
    ray = (RayOptions(workers=args.workers, threads_per_worker=args.threads_per_worker)
           if args.ray else None)

    rows: list[Row] = []
    for model, fmt, constrained, mode in configurations(
            [m for m in args.models.split(",") if m], [f for f in args.formats.split(",") if f],
            {m for m in args.modes.split(",") if m}):
        out = args.out / f"{model.replace('/', '_')}__{fmt}__{mode}__{args.limit}"
        if args.report_only:
            if not (out / "predictions.jsonl").exists():
                continue
            by_category, expected, wall_s = scored_on_disk(out, args.limit)
        else:
            console.rule(f"{model} · {fmt} · {mode}")
            result = run_bfcl(model, NON_LIVE, args.limit, fmt, constrained, out,
                              max_tokens=args.max_tokens, console=console, ray=ray)
            by_category = {r.category: r for r in result.rows}
            expected = {c: by_category[c].tasks for c in NON_LIVE if c in by_category}
            wall_s = result.wall_s
        rows.append(Row(model, fmt, mode, by_category, expected, wall_s))

    title = (f"BFCL non-live, first {args.limit} tasks per category, max_tokens "
             f"{args.max_tokens} (official bfcl-eval checker)")
    header = ["model", "format", "decoding", *(SHORT[c] for c in NON_LIVE),
              "overall", "wall s", "model s", "s/task"]
    table = Table(title=title)
    for i, name in enumerate(header):
        table.add_column(name, justify="left" if i < 3 else "right")
    for row in rows:
        table.add_row(*row.cells())
    console.print(table)
    console.print("wall s: elapsed time of the row's runs (– where some were not recorded); "
                  "model s: summed model time of all predictions (tasks on Ray workers overlap, "
                  "so it can exceed the wall time); s/task: model s per task; "
                  "(n/N): a category not complete yet.")
    if args.markdown:
        args.markdown.parent.mkdir(parents=True, exist_ok=True)
        args.markdown.write_text(markdown(title, header, rows), encoding="utf-8")
    if args.chart:
        grouped_chart(args.chart, title, rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
