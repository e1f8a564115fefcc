"""``toolweave eval bfcl``: the typer sub-app (mounted by cli.py as ``eval``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from toolweave.cli.suite import RayAddressOpt, RayOpt, ThreadsOpt, WorkersOpt, ray_options

eval_app = typer.Typer(add_completion=False, no_args_is_help=True,
                       help="Benchmarks: score a model and tool format on public suites.")

_NON_LIVE = "simple_python,multiple,parallel,parallel_multiple,irrelevance"


@eval_app.command()
def bfcl(
    categories: Annotated[str, typer.Option(
        help="Comma-separated BFCL categories (simple_python alias simple, multiple, parallel, "
             "parallel_multiple, irrelevance, live_simple, live_multiple, live_parallel, "
             "live_parallel_multiple, live_irrelevance, live_relevance), or 'all'.")] = _NON_LIVE,
    limit: Annotated[int, typer.Option(help="Tasks per category (0 = all).")] = 20,
    model: Annotated[str, typer.Option("--model", "-m", help="default | tiny | file.gguf | "
                                       "hf:owner/repo/file.gguf | http://host:port/v1#name")
                     ] = "default",
    fmt: Annotated[str, typer.Option("--format", help="Tool format: hermes | glm-xml | openai."
                                     )] = "hermes",
    constrained: Annotated[bool, typer.Option(
        "--constrained/--unconstrained",
        help="Decode under the format's grammar where the backend allows.")] = True,
    out: Annotated[Path, typer.Option(help="Output folder for this configuration; re-running "
                                      "into it resumes.")] = Path("bfcl-out"),
    max_tokens: Annotated[int, typer.Option(help="Token cap of each answer.")] = 384,
    said_only: Annotated[bool, typer.Option(
        "--said-only/--every-call",
        help="Leave out optional arguments and repeated calls the question never asked for "
             "(runtime/said.py), or score every call as written.")] = True,
    strategy: Annotated[str, typer.Option(
        help="Multi-turn categories: the agent strategy each user turn runs (react | preact "
             "| dag | auto).")] = "react",
    turn_steps: Annotated[int, typer.Option(
        help="Multi-turn categories: most model steps per user turn.")] = 8,
    retrieve: Annotated[bool, typer.Option(
        "--retrieve/--all-tools",
        help="Multi-turn categories: each user turn sees the --top-k tools that best match it "
             "(hybrid BM25 and embedding search), or every tool of the task.")] = False,
    top_k: Annotated[int, typer.Option(
        help="Multi-turn categories with --retrieve: tools each user turn sees.")] = 5,
    use_ray: RayOpt = False,
    ray_address: RayAddressOpt = None,
    workers: WorkersOpt = None,
    threads_per_worker: ThreadsOpt = 1,
) -> None:
    """Run the Berkeley Function-Calling Leaderboard's categories, scored by the official
    bfcl-eval checkers. Single-turn: predictions.jsonl, scores.jsonl, report.md, accuracy.png.
    Multi-turn (multi_turn_base, multi_turn_miss_func, multi_turn_miss_param,
    multi_turn_long_context): each task a conversation of --strategy over the task's
    environments, in OUT/<category>/ (episodes.jsonl, verdicts.jsonl, report.md).
    With --ray or --ray-address, tasks run on Ray workers that each load the model."""
    from toolweave.errors import ToolweaveError
    from toolweave.eval.bfcl.data import CATEGORIES
    from toolweave.eval.bfcl.multi_turn import MULTI_TURN_CATEGORIES
    from toolweave.eval.bfcl.predict import Prompting
    from toolweave.eval.bfcl.single_turn import run_bfcl

    console = Console()
    names = list(CATEGORIES) if categories.strip() == "all" else \
        [c.strip() for c in categories.split(",") if c.strip()]
    multi = [c for c in names if c in MULTI_TURN_CATEGORIES]
    single = [c for c in names if c not in MULTI_TURN_CATEGORIES]
    ray = ray_options(use_ray, ray_address, workers, threads_per_worker)
    try:
        if single:
            run_bfcl(model, single, limit or None, fmt, constrained, out,
                     max_tokens=max_tokens, prompting=Prompting(said_only=said_only),
                     console=console, ray=ray)
        if multi:
            from toolweave.eval.bfcl.multi_turn_run import multi_turn_settings, run_multi_turn

            settings = multi_turn_settings(strategy=strategy, format=fmt,
                                           constrained=constrained, max_steps=turn_steps,
                                           top_k=top_k)
            for category in multi:
                run_multi_turn(model, category, limit or None, settings, out / category,
                               console=console, ray=ray, retrieve=retrieve)
    except (ToolweaveError, ValueError, FileNotFoundError, RuntimeError) as exc:
        Console(stderr=True).print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(code=1) from exc
