"""``toolweave distill ...``: the typer sub-app (mounted by cli.py as ``distill``).

Each step of distillation is one command on `distill_app`; heavy imports stay inside them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from toolweave.cli.suite import RayAddressOpt, RayOpt, ThreadsOpt, WorkersOpt, ray_options

distill_app = typer.Typer(add_completion=False, no_args_is_help=True,
                          help="Agent distillation: teacher trajectories -> dataset -> a trained "
                               "student served as --model distilled/NAME.")


def _fail(exc: Exception) -> None:
    Console(stderr=True).print(f"[bold red]error:[/] {exc}")
    raise typer.Exit(code=1) from exc


@distill_app.command()
def train(
    data: Annotated[Path, typer.Argument(help="A dataset folder from `distill build` (its "
                                         "train.jsonl is used) or a .jsonl file.")],
    student: Annotated[str, typer.Option(help="tiny | default | file.gguf | a transformers "
                                         "checkpoint folder (with --base-gguf).")] = "tiny",
    out: Annotated[Path | None, typer.Option(help="Output folder (a model spec itself).")
                   ] = None,
    name: Annotated[str | None, typer.Option(help="Save as distilled/NAME in the toolweave "
                                                "cache instead of --out.")] = None,
    epochs: Annotated[float, typer.Option(help="Passes over the training rows.")] = 1.0,
    max_steps: Annotated[int, typer.Option(help="Stop after this many optimizer steps "
                                           "(overrides --epochs; -1 = off).")] = -1,
    lr: Annotated[float, typer.Option("--lr", help="Learning rate.")] = 2e-4,
    rank: Annotated[int, typer.Option(help="LoRA rank.")] = 16,
    alpha: Annotated[float | None, typer.Option(help="LoRA alpha (default 2 x rank).")] = None,
    batch_size: Annotated[int, typer.Option(help="Rows per step.")] = 4,
    grad_accum: Annotated[int, typer.Option(help="Batches accumulated per step.")] = 1,
    max_length: Annotated[int, typer.Option(help="Longest row in tokens; longer rows are "
                                            "skipped.")] = 2048,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    threads: Annotated[int | None, typer.Option(help="CPU threads for torch (default: one "
                                                   "per core).")] = None,
    base_gguf: Annotated[Path | None, typer.Option(help="With a checkpoint-folder student: "
                                                      "the GGUF llama.cpp serves.")] = None,
) -> None:
    """LoRA-train a small student on CPU and export it for llama.cpp (adapter.gguf)."""
    from toolweave.errors import ToolweaveError
    from toolweave.models.distilled import SPEC_PREFIX, distilled_dir

    console = Console()
    if (out is None) == (name is None):
        _fail(ValueError("give exactly one of --out DIR or --name NAME"))
    try:
        target = distilled_dir(name) if name is not None else out
        from toolweave.distill.train import train_student

        console.print(f"training [bold]{student}[/] on {data} -> {target}")
        result = train_student(
            data, student, target, epochs=epochs, max_steps=max_steps, learning_rate=lr,
            lora_rank=rank, lora_alpha=alpha, batch_size=batch_size, grad_accum=grad_accum,
            max_length=max_length, seed=seed, threads=threads, base_gguf=base_gguf,
            progress=True, console=console)
    except ToolweaveError as exc:
        _fail(exc)
    spec = f"{SPEC_PREFIX}{name}" if name is not None else str(result.out_dir)
    loss = (f"loss {result.first_loss:.4f} -> {result.last_loss:.4f}"
            if result.losses else "no loss logged")
    skipped = f", {result.skipped} rows skipped (longer than --max-length)" if result.skipped \
        else ""
    console.print(f"{result.steps} steps on {result.examples} rows in {result.seconds:.0f}s, "
                  f"{loss}{skipped}")
    console.print(f"model: {result.out_dir}  (adapter {result.adapter.name}, "
                  f"loss curve loss.png)")
    console.print(f"use it: [bold]toolweave run --model {spec} ...[/]")


@distill_app.command("worlds")
def worlds_command(
    out: Annotated[Path, typer.Option(help="Folder for the suite files (train.yaml, test.yaml, "
                                      "worlds/*.yaml, references.jsonl, worlds.json).")
                   ] = Path("runs/distill/worlds"),
    seed: Annotated[int, typer.Option(help="Seed of the worlds, their questions and the "
                                      "split.")] = 0,
    worlds: Annotated[int, typer.Option("--worlds", help="How many worlds.")] = 24,
    per_shape: Annotated[int, typer.Option(help="Questions of each shape per world.")] = 3,
    test_fraction: Annotated[float, typer.Option(help="Share of domains held out as test "
                                                 "worlds.")] = 0.25,
) -> None:
    """Generate synthetic tool worlds and their questions of every shape as eval suites,
    split by world into train and test."""
    from rich.table import Table

    from toolweave.distill.worlds import write_worlds

    try:
        written = write_worlds(out, seed, worlds, per_shape, test_fraction)
    except ValueError as exc:
        _fail(exc)
    test_ids = {w.id for w in written.test}
    t = Table(title=f"distill worlds -> {out} (seed {seed})")
    for column in ("world", "domain", "split", "tools", "tasks", "min calls"):
        t.add_column(column, justify="right" if column in ("tools", "tasks", "min calls")
                     else "left")
    for world in written.worlds:
        tasks = written.tasks[world.id]
        t.add_row(world.id, world.domain.key, "test" if world.id in test_ids else "train",
                  str(len(world.tool_names)), str(len(tasks)),
                  str(sum(task.min_calls for task in tasks)))
    Console().print(t)
    total = sum(len(v) for v in written.tasks.values())
    Console().print(f"{total} tasks in {len(written.worlds)} worlds ({len(written.train)} train, "
                    f"{len(written.test)} test); run one: [bold]toolweave eval suite "
                    f"{out / 'test.yaml'} --model default[/]")


_MODEL_HELP = ("default | tiny | teacher | file.gguf | hf:owner/repo/file.gguf | "
               "http://host:port/v1#name | distilled/NAME")


@distill_app.command()
def collect(
    out: Annotated[Path, typer.Option(help="Folder for the teacher's trajectories; re-running "
                                      "into it resumes.")] = Path("runs/distill/teacher"),
    teacher: Annotated[str, typer.Option(help=_MODEL_HELP)] = "teacher",
    categories: Annotated[str, typer.Option(help="Comma-separated BFCL categories with calls "
                                            "(simple_python, multiple, parallel, ...).")
                          ] = "simple_python,multiple",
    limit: Annotated[int, typer.Option(help="Tasks per category (0 = all).")] = 0,
    max_tokens: Annotated[int, typer.Option(help="Token cap of each turn.")] = 256,
    use_ray: RayOpt = False,
    ray_address: RayAddressOpt = None,
    workers: WorkersOpt = None,
    threads_per_worker: ThreadsOpt = 1,
) -> None:
    """Run a teacher over BFCL tasks, asking for a one-line rationale before its calls.
    With --ray or --ray-address, tasks run on Ray workers that each load the teacher."""
    from toolweave.distill.collect import collect as run_collect
    from toolweave.errors import ToolweaveError

    try:
        run_collect(teacher, out, [c for c in categories.split(",") if c.strip()],
                    limit or None, max_tokens=max_tokens, console=Console(),
                    ray=ray_options(use_ray, ray_address, workers, threads_per_worker))
    except (ToolweaveError, ValueError, FileNotFoundError, RuntimeError) as exc:
        _fail(exc)


@distill_app.command()
def build(
    sources: Annotated[list[Path], typer.Argument(help="`distill collect` folders.")],
    out: Annotated[Path, typer.Option(help="Dataset folder (train.jsonl, test.jsonl, "
                                      "dataset.json).")] = Path("runs/distill/data"),
    style: Annotated[str, typer.Option(help="Targets: rationale | action | mixed (both, the "
                                       "inference prompt asks for the action).")] = "mixed",
    test_fraction: Annotated[float, typer.Option(help="Share of tool groups held out.")] = 0.2,
    seed: Annotated[int, typer.Option(help="Seed of the split by tool.")] = 0,
    rationale_share: Annotated[float, typer.Option(help="With mixed: the share of training "
                                                   "rows with the rationale target.")] = 0.5,
) -> None:
    """Keep the teacher's correct, clean trajectories; split by tool; write SFT rows."""
    from rich.table import Table

    from toolweave.distill.build import build_dataset

    try:
        summary = build_dataset(sources, out, style, test_fraction, seed,  # type: ignore[arg-type]
                                rationale_share=rationale_share)
    except (ValueError, FileNotFoundError, RuntimeError) as exc:
        _fail(exc)
    t = Table(title=f"distill build -> {out}")
    t.add_column("what")
    t.add_column("count", justify="right")
    for what, count in [("trajectories", summary.collected), ("kept", summary.kept),
                        *((f"dropped: {k}", v) for k, v in summary.dropped.items()),
                        ("train tasks / rows", (f"{len(summary.train_tasks)} / "
                                               f"{summary.train_rows}")),
                        ("test tasks / rows", f"{len(summary.test_tasks)} / {summary.test_rows}"),
                        ("train / test tools", f"{summary.train_tools} / {summary.test_tools}")]:
        t.add_row(what, str(count))
    Console().print(t)


@distill_app.command()
def report(
    data: Annotated[Path, typer.Argument(help="The `distill build` folder (its test split).")],
    distilled: Annotated[str, typer.Option(help="The trained student: distilled/NAME or its "
                                           "folder.")],
    student: Annotated[str, typer.Option(help="The student before training.")] = "tiny",
    teacher_dir: Annotated[Path | None, typer.Option(help="The teacher's collect folder "
                                                        "(its test-split trajectories).")
                           ] = None,
    teacher: Annotated[str | None, typer.Option(help="Also (or instead) re-run this teacher "
                                                   "spec, asked for the action only.")] = None,
    out: Annotated[Path, typer.Option(help="Report folder.")] = Path("runs/distill/report"),
) -> None:
    """Student before, student after and teacher on held-out tools: accuracy (official
    checker), latency and tokens per call; report.md and accuracy.png."""
    from toolweave.distill.report import report as run_report
    from toolweave.errors import ToolweaveError

    if teacher_dir is None and teacher is None:
        teacher_dir = Path("runs/distill/teacher")
    try:
        run_report(data, out, student=student, distilled=distilled, teacher_dir=teacher_dir,
                   teacher_spec=teacher, console=Console())
    except (ToolweaveError, ValueError, FileNotFoundError, RuntimeError) as exc:
        _fail(exc)


@distill_app.command("collect-agent")
def collect_agent_command(
    suite: Annotated[Path, typer.Option(help="A `distill worlds` folder (its train.yaml, the "
                                        "train split) or any `eval suite` file.")],
    out: Annotated[Path, typer.Option(help="Folder for the trajectories (an eval-suite out "
                                      "dir with each turn's prompt); re-running into it "
                                      "resumes.")] = Path("runs/distill/agent-teacher"),
    model: Annotated[str, typer.Option("--model", help=_MODEL_HELP)] = "teacher",
    limit: Annotated[int, typer.Option(help="Only the first N tasks (0 = all).")] = 0,
    tag: Annotated[list[str] | None, typer.Option(help="Only tasks with this tag (a shape or "
                                                  "a world; repeatable).")] = None,
    max_steps: Annotated[int, typer.Option(help="Most model turns per task.")] = 6,
    max_seconds: Annotated[float, typer.Option(help="Wall-clock budget per task (a slow "
                                               "teacher on a busy machine needs more).")
                           ] = 120.0,
    use_ray: RayOpt = False,
    ray_address: RayAddressOpt = None,
    workers: WorkersOpt = None,
    threads_per_worker: ThreadsOpt = 1,
) -> None:
    """Run a teacher through the agent (react) over a suite's tasks, keeping each turn's
    prompt and the suite scorer's verdict. With --ray or --ray-address, tasks run on Ray
    workers that each load the teacher."""
    from toolweave.distill.agent.collect import collect_agent
    from toolweave.errors import ToolweaveError
    from toolweave.eval.suite.run import SUITE_SETTINGS

    try:
        settings = SUITE_SETTINGS.model_validate({  # validated: a bad value is a clear error
            **SUITE_SETTINGS.model_dump(), "max_steps": max_steps, "max_seconds": max_seconds})
        result = collect_agent(suite, model, out, limit=limit or None, tags=tag or (),
                               settings=settings,
                               console=Console(),
                               ray=ray_options(use_ray, ray_address, workers, threads_per_worker))
    except (ToolweaveError, ValueError, FileNotFoundError, RuntimeError) as exc:
        _fail(exc)
    solved = sum(o.score.passed for o in result.outcomes)
    Console().print(f"{solved}/{len(result.outcomes)} solved ({result.new_runs} run now) -> "
                    f"{out}; next: [bold]toolweave distill build-agent {out}[/]")


@distill_app.command("build-agent")
def build_agent_command(
    sources: Annotated[list[Path], typer.Argument(help="`distill collect-agent` folders.")],
    out: Annotated[Path, typer.Option(help="Dataset folder (train.jsonl, test.jsonl, "
                                      "dataset.json).")] = Path("runs/distill/agent-data"),
    style: Annotated[str, typer.Option(help="Targets of act turns: rationale | action | mixed "
                                       "(both; the inference prompt asks for the action).")
                     ] = "mixed",
    worlds: Annotated[Path | None, typer.Option(help="The `distill worlds` folder (its "
                                                "worlds.json splits by world); default: the "
                                                "suite's folder.")] = None,
    suite: Annotated[Path | None, typer.Option(help="The suite the folders ran, if it moved "
                                               "since (default: their collect.json).")] = None,
    seed: Annotated[int, typer.Option(help="Seed of the rationale/action draw.")] = 0,
    rationale_share: Annotated[float, typer.Option(help="With mixed: the share of training "
                                                   "trajectories with rationale targets.")
                               ] = 0.5,
) -> None:
    """Keep the teacher's correct agent runs with no repeated call and no wasted step; write
    one SFT row per model turn (its prompt as the agent sent it), split by world."""
    from rich.table import Table

    from toolweave.distill.agent.build import build_agent_dataset
    from toolweave.errors import ToolweaveError

    try:
        summary = build_agent_dataset(sources, out, style,  # type: ignore[arg-type]
                                      worlds=worlds, suite=suite, seed=seed,
                                      rationale_share=rationale_share)
    except (ToolweaveError, ValueError, FileNotFoundError) as exc:
        _fail(exc)
    t = Table(title=f"distill build-agent -> {out}")
    t.add_column("what")
    t.add_column("count", justify="right")
    for what, count in [("trajectories", summary.collected), ("kept", summary.kept),
                        *((f"dropped: {k}", v) for k, v in sorted(summary.dropped.items())),
                        ("train tasks / rows", f"{len(summary.train_tasks)} / "
                                               f"{summary.train_rows}"),
                        ("test tasks / rows", f"{len(summary.test_tasks)} / {summary.test_rows}"),
                        ("train / test worlds", f"{len(summary.train_worlds)} / "
                                                f"{len(summary.test_worlds)}"),
                        ("turns set aside (no row)", summary.set_aside_turns),
                        ("derived rationales", summary.derived_rationales)]:
        t.add_row(what, str(count))
    Console().print(t)
