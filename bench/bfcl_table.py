"""BFCL accuracy and wall time per model × tool format × constrained/unconstrained.

    .venv/bin/python bench/bfcl_table.py [--models tiny,default] [--formats hermes,glm-xml,openai]
                                         [--limit 100] [--out bench-out/bfcl]

Runs `toolweave.eval.bfcl.run_bfcl` on the non-live single-turn categories (simple_python,
multiple, parallel, parallel_multiple, irrelevance) for every configuration, each into its own
folder under ``--out`` (so an interrupted table resumes where it stopped), and prints one table:
accuracy per category, overall, and the configuration's total model wall time. Scored by the
official bfcl-eval checker. On a 2-core CPU the full default (2 models × 2 formats × 2 modes ×
500 tasks) takes hours; use ``--limit`` to size it.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from toolweave.eval.bfcl import run_bfcl
from toolweave.eval.bfcl_data import NON_LIVE
from toolweave.formats import get_format

SHORT = {"simple_python": "simple", "multiple": "multiple", "parallel": "parallel",
         "parallel_multiple": "par_multi", "irrelevance": "irrelev"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", default="tiny,default")
    parser.add_argument("--formats", default="hermes,glm-xml,openai")
    parser.add_argument("--limit", type=int, default=100, help="tasks per category")
    parser.add_argument("--max-tokens", type=int, default=384)
    parser.add_argument("--out", type=Path, default=Path("bench-out/bfcl"))
    args = parser.parse_args(argv)
    console = Console(width=150)

    table = Table(title=f"BFCL non-live, first {args.limit} tasks per category "
                        "(official bfcl-eval checker)")
    for name in ("model", "format", "decoding"):
        table.add_column(name)
    for category in NON_LIVE:
        table.add_column(SHORT[category], justify="right")
    for name in ("overall", "model s", "s/task", "wall s"):
        table.add_column(name, justify="right")

    for model in [m for m in args.models.split(",") if m]:
        for fmt in [f for f in args.formats.split(",") if f]:
            # A native format (openai) has no grammar of ours: the backend's chat template
            # renders the tools, so there is one mode only.
            native = getattr(get_format(fmt), "native", False)
            for constrained in (False,) if native else (True, False):
                mode = "native" if native else "constrained" if constrained else "free"
                out = args.out / f"{model.replace('/', '_')}__{fmt}__{mode}__{args.limit}"
                console.rule(f"{model} · {fmt} · {mode}")
                start = time.perf_counter()
                result = run_bfcl(model, NON_LIVE, args.limit, fmt, constrained, out,
                                  max_tokens=args.max_tokens, console=console)
                wall = time.perf_counter() - start
                rows = {r.category: r for r in result.rows}
                overall = rows["overall"]
                table.add_row(model, fmt, mode,
                              *(f"{100 * rows[c].accuracy:.0f}%" for c in NON_LIVE),
                              f"{100 * overall.accuracy:.1f}%", f"{overall.wall_s:.0f}",
                              f"{overall.wall_s / max(overall.tasks, 1):.2f}", f"{wall:.0f}")
    console.print(table)
    console.print("model s: summed model time of all predictions (also earlier, resumed ones); "
                  "wall s: this invocation (≈0 when everything was resumed).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
