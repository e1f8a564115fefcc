"""``toolweave distill ...``: the typer sub-app (mounted by cli.py as ``distill``).

Each step of distillation is one command on `distill_app`; heavy imports stay inside them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console

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
    out: Annotated[Optional[Path], typer.Option(help="Output folder (a model spec itself).")
                   ] = None,
    name: Annotated[Optional[str], typer.Option(help="Save as distilled/NAME in the toolweave "
                                                "cache instead of --out.")] = None,
    epochs: Annotated[float, typer.Option(help="Passes over the training rows.")] = 1.0,
    max_steps: Annotated[int, typer.Option(help="Stop after this many optimizer steps "
                                           "(overrides --epochs; -1 = off).")] = -1,
    lr: Annotated[float, typer.Option("--lr", help="Learning rate.")] = 2e-4,
    rank: Annotated[int, typer.Option(help="LoRA rank.")] = 16,
    alpha: Annotated[Optional[float], typer.Option(help="LoRA alpha (default 2 x rank).")] = None,
    batch_size: Annotated[int, typer.Option(help="Rows per step.")] = 4,
    grad_accum: Annotated[int, typer.Option(help="Batches accumulated per step.")] = 1,
    max_length: Annotated[int, typer.Option(help="Longest row in tokens; longer rows are "
                                            "skipped.")] = 2048,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    threads: Annotated[Optional[int], typer.Option(help="CPU threads for torch (default: one "
                                                   "per core).")] = None,
    base_gguf: Annotated[Optional[Path], typer.Option(help="With a checkpoint-folder student: "
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
