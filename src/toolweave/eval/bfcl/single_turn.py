"""`run_bfcl`: predict, score and report BFCL single-turn categories for one configuration.

An out dir holds one configuration (model, format, constrained, max_tokens), recorded in
``run.json``; re-running into it resumes (tasks already predicted are skipped) and re-scores
everything. Files: ``predictions.jsonl``, ``scores.jsonl``, ``sessions.jsonl`` (the wall time of
each invocation that predicted something), ``report.md``, ``accuracy.png``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console

from toolweave.eval.bfcl.data import NON_LIVE, BfclTask, canonical_category, load_tasks
from toolweave.eval.bfcl.predict import (
    BFCL_PROMPTING,
    DEFAULT_MAX_TOKENS,
    Prediction,
    PredictionStore,
    Prompting,
    Score,
    predict_all,
    score,
    write_scores,
)
from toolweave.eval.jsonl_store import check_run_config
from toolweave.eval.ray_pool import RayOptions, load_source, model_name
from toolweave.eval.report import CategoryRow, summarize, write_report
from toolweave.eval.run_sessions import SessionLog
from toolweave.formats import get_format
from toolweave.models.base import ChatModel


@dataclass
class BfclResult:
    """What `run_bfcl` produced."""

    rows: list[CategoryRow]
    predictions: list[Prediction]
    scores: list[Score]
    new_predictions: int  # made by this call (0 when everything was already on disk)
    out_dir: Path
    wall_s: float | None = None  # elapsed time of every prediction on disk, when all recorded

    def accuracy(self, category: str = "overall") -> float:
        return next(r.accuracy for r in self.rows if r.category == category)


def run_bfcl(model_spec: str | ChatModel, categories: Sequence[str] = NON_LIVE,
             limit: int | None = None, fmt: str = "hermes", constrained: bool = True,
             out_dir: str | Path = "bfcl-out", *, max_tokens: int = DEFAULT_MAX_TOKENS,
             prompting: Prompting = BFCL_PROMPTING, task_ids: Sequence[str] | None = None,
             console: Console | None = None, show_progress: bool = True,
             ray: RayOptions | None = None) -> BfclResult:
    """Run ``model_spec`` (a spec string or a model) on the first ``limit`` tasks of each
    category in tool format ``fmt``; write and print the per-category report.

    ``prompting`` replaces BFCL's instructions (distillation asks for a rationale);
    ``task_ids`` keeps only those tasks (a held-out split). With ``ray``, tasks run on a pool
    of Ray workers that each load ``model_spec`` (a spec string, or a picklable model such as
    the oracle); the predictions are the same."""

    console = console or Console()
    out = Path(out_dir)
    tasks: list[BfclTask] = []
    for category in dict.fromkeys(canonical_category(c) for c in categories):
        tasks += load_tasks(category, limit)
    if task_ids is not None:
        wanted = set(task_ids)
        tasks = [t for t in tasks if t.id in wanted]
    get_format(fmt)  # an unknown format fails here, before anything is written
    # On Ray the workers load the model; the driver never needs it.
    model = model_spec if ray is not None else load_source(model_spec)
    config = {"model": model_name(model_spec),
              "format": fmt, "constrained": constrained, "max_tokens": max_tokens}
    if prompting.said_only:  # predictions read so differ from those of older run dirs
        config["calls"] = "said only"
    if replace(prompting, said_only=True) != BFCL_PROMPTING:  # recorded only when changed
        config["prompting"] = asdict(prompting)
    out.mkdir(parents=True, exist_ok=True)
    check_run_config(out / "run.json", config)
    store = PredictionStore(out / "predictions.jsonl")
    before = len(store.load())
    started, clock = datetime.now(UTC), time.perf_counter()
    done = asyncio.run(predict_all(tasks, model, fmt, constrained, store,
                                   max_tokens=max_tokens, prompting=prompting,
                                   console=console, show_progress=show_progress, ray=ray))
    on_disk = len(store.load())
    sessions = SessionLog(out)
    sessions.add(started, time.perf_counter() - clock, on_disk - before, _where_it_ran(ray))
    predictions = [done[t.id] for t in tasks]
    scores = [score(t, p) for t, p in zip(tasks, predictions, strict=True)]
    write_scores(out / "scores.jsonl", scores)
    rows = summarize(predictions, scores)
    mode = "constrained" if constrained else "unconstrained"
    applied = sum(p.constrained for p in predictions)
    per_category = limit if limit is not None else "all"
    notes = [(f"- model: `{config['model']}`, format: `{fmt}`, {mode} "
              f"(grammar applied on {applied}/{len(predictions)} turns), "
              f"max_tokens {max_tokens}, {per_category} tasks per category"),
             "- scored by the official `bfcl-eval` AST checker"]
    wall_s = sessions.wall_s(on_disk)
    if wall_s is not None:
        notes.append(f"- wall time of all predictions in this folder: {wall_s:.0f} s")
    write_report(out, rows, f"BFCL — {config['model']} · {fmt} · {mode}", notes, console)
    return BfclResult(rows, predictions, scores, on_disk - before, out, wall_s)


def _where_it_ran(ray: RayOptions | None) -> str:
    """Where a session ran, as `RunSession.where` records it."""
    if ray is None:
        return "serial"
    workers = ray.workers if ray.workers is not None else "auto"
    return f"ray: {workers} workers × {ray.threads_per_worker} threads"
