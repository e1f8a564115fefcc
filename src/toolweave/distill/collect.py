"""`toolweave distill collect`: run a teacher over BFCL tasks, asking for a rationale first.

The output folder is an ordinary `run_bfcl` folder (``predictions.jsonl`` resumable,
``scores.jsonl`` with the official checker's verdicts, ``report.md``), so `build` filters on
the same verdicts an eval would give. Irrelevance categories are refused: every distillation
turn must call a tool.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from rich.console import Console

from toolweave.distill.prompting import prompting
from toolweave.eval.bfcl.data import RELEVANCE_CATEGORIES, canonical_category
from toolweave.eval.bfcl.single_turn import BfclResult, run_bfcl
from toolweave.eval.ray_pool import RayOptions

DEFAULT_CATEGORIES = ("simple_python", "multiple")


def collect(teacher: str, out_dir: str | Path, categories: Sequence[str] = DEFAULT_CATEGORIES,
            limit: int | None = None, fmt: str = "hermes", *, max_tokens: int = 256,
            console: Console | None = None, show_progress: bool = True,
            ray: RayOptions | None = None) -> BfclResult:
    """Teacher trajectories (rationale, then calls, decoded under the format's grammar);
    with ``ray``, on Ray workers that each load the teacher (see `toolweave.eval.ray_pool`)."""
    names = [canonical_category(c) for c in categories]
    refused = [c for c in names if c in RELEVANCE_CATEGORIES]
    if refused:
        raise ValueError(f"{', '.join(refused)}: relevance categories have no calls to "
                         "distill; use the AST categories (simple_python, multiple, parallel, "
                         "parallel_multiple, live_simple, ...)")
    return run_bfcl(teacher, names, limit=limit, fmt=fmt, constrained=True, out_dir=out_dir,
                    max_tokens=max_tokens, prompting=prompting("rationale"), console=console,
                    show_progress=show_progress, ray=ray)
