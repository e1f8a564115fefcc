"""``toolweave eval suite FILE``, and the Ray options it shares with ``eval bfcl``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

RayOpt = Annotated[bool, typer.Option(
    "--ray", help="Run tasks on a local Ray instance (pip install 'toolweave\\[ray]'), each "
                  "worker holding its own model.")]
RayAddressOpt = Annotated[str | None, typer.Option(
    "--ray-address", help="Run tasks on the Ray cluster at this address (e.g. auto, "
                          "ray://head:10001); implies --ray.")]
WorkersOpt = Annotated[int | None, typer.Option(
    help="Ray workers (default: the cluster's CPUs / --threads-per-worker).")]
ThreadsOpt = Annotated[int, typer.Option(
    help="CPU threads of each Ray worker's model (and the CPUs it reserves).")]


def ray_options(use_ray: bool, address: str | None, workers: int | None, threads: int):
    """The `RayOptions` the flags ask for, or None for a serial run."""
    if not use_ray and address is None:
        return None
    from toolweave.eval.ray_pool import RayOptions

    if workers is not None and workers < 1:
        raise ValueError("--workers must be at least 1")
    return RayOptions(address=address, workers=workers, threads_per_worker=threads)


def suite_command(
    file: Annotated[Path, typer.Argument(help="The suite: .yaml/.yml/.json or .jsonl "
                                         "(format: docs/eval-suite.md).")],
    model: Annotated[str, typer.Option("--model", "-m", help="default | tiny | file.gguf | "
                                       "hf:owner/repo/file.gguf | http://host:port/v1#name | "
                                       "oracle (the suite's own answers: checks the suite)")
                     ] = "default",
    strategy: Annotated[str, typer.Option(help="Comma-separated strategies to run each task "
                                          "through: react, preact, dag, auto.")] = "react",
    fmt: Annotated[str, typer.Option("--format", help="hermes | openai | glm-xml | plaintext"
                                     )] = "hermes",
    out: Annotated[Path, typer.Option(help="Output folder for this configuration; re-running "
                                      "into it resumes.")] = Path("suite-out"),
    tag: Annotated[list[str] | None, typer.Option(
        "--tag", help="Only tasks with this tag (repeatable).")] = None,
    limit: Annotated[int, typer.Option(help="Run the first N selected tasks (0 = all).")] = 0,
    max_steps: Annotated[int, typer.Option(help="Most model turns per task.")] = 6,
    max_seconds: Annotated[float, typer.Option(help="Wall-clock budget per task.")] = 120.0,
    step_max_tokens: Annotated[int, typer.Option(help="Token cap of each turn.")] = 384,
    constrained: Annotated[bool, typer.Option(help="Decode turns under the format's grammar."
                                              )] = True,
    tool_choice: Annotated[str, typer.Option(help="auto | first (the first turn must call a "
                                             "tool)")] = "auto",
    grounded: Annotated[bool, typer.Option(help="String arguments only from the question and "
                                           "the results.")] = True,
    use_ray: RayOpt = False,
    ray_address: RayAddressOpt = None,
    workers: WorkersOpt = None,
    threads_per_worker: ThreadsOpt = 1,
) -> None:
    """Run a suite of multi-step tool tasks through one or more strategies; score answers (exact
    match, F1, contains) and calls (accuracy, precision). Writes results.jsonl, traces/,
    report.md and accuracy.png into --out."""
    from toolweave.errors import ToolweaveError
    from toolweave.eval.suite.run import SUITE_SETTINGS, run_suite

    console = Console()
    try:
        settings = SUITE_SETTINGS.model_validate({
            **SUITE_SETTINGS.model_dump(), "format": fmt, "max_steps": max_steps,
            "max_seconds": max_seconds, "step_max_tokens": step_max_tokens,
            "constrained": constrained, "tool_choice": tool_choice, "grounded": grounded})
        run_suite(file, model, [s.strip() for s in strategy.split(",") if s.strip()], out,
                  settings=settings, tags=tag or (), limit=limit or None, console=console,
                  ray=ray_options(use_ray, ray_address, workers, threads_per_worker))
    except (ToolweaveError, ValueError, FileNotFoundError, RuntimeError, ImportError) as exc:
        Console(stderr=True).print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(code=1) from exc
