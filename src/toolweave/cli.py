"""The `toolweave` command line: argument parsing and printing, nothing else.

Heavy modules (llama_cpp, the agents) are imported inside the commands so `toolweave --help`
stays fast.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console

from toolweave.errors import ToolweaveError

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="toolweave: a small language model, a loop, and tools.")
console = Console()
err_console = Console(stderr=True)

ModelOpt = Annotated[str, typer.Option("--model", "-m", help="default | tiny | file.gguf | "
                                       "hf:owner/repo/file.gguf | http://host:port/v1#name")]


def _fail(exc: Exception) -> None:
    err_console.print(f"[bold red]error:[/] {exc}")
    raise typer.Exit(code=1)


@app.command()
def generate(
    prompt: Annotated[str, typer.Argument(help="The user message.")],
    model: ModelOpt = "default",
    json_schema: Annotated[Optional[Path], typer.Option(help="JSON Schema file the answer must follow.")] = None,  # noqa: E501
    regex: Annotated[Optional[str], typer.Option(help="Regex the whole answer must match.")] = None,
    grammar: Annotated[Optional[Path], typer.Option(help="GBNF grammar file for the answer.")] = None,
    system: Annotated[Optional[str], typer.Option(help="An optional system message.")] = None,
    max_tokens: Annotated[int, typer.Option(help="Upper bound on generated tokens.")] = 256,
    temperature: Annotated[float, typer.Option(help="0 = greedy.")] = 0.0,
    stats: Annotated[bool, typer.Option(help="Print token counts and speed after the answer.")] = True,
) -> None:
    """Stream one answer from a model, optionally constrained by a schema, regex or grammar."""
    from toolweave.types import Constraint, Message

    chosen = [c for c in (json_schema, regex, grammar) if c is not None]
    if len(chosen) > 1:
        _fail(ValueError("give at most one of --json-schema, --regex, --grammar"))
    try:
        constraint = None
        if json_schema is not None:
            constraint = Constraint.json_schema(json.loads(json_schema.read_text()))
        elif regex is not None:
            constraint = Constraint.regex(regex)
        elif grammar is not None:
            constraint = Constraint.grammar(grammar.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        _fail(exc)
    messages = ([Message(role="system", content=system)] if system else []) + [
        Message(role="user", content=prompt)]
    try:
        completion = asyncio.run(_stream(model, messages, constraint, max_tokens, temperature))
    except ToolweaveError as exc:
        _fail(exc)
    if stats:
        u, t = completion.usage, completion.timings
        err_console.print(
            f"[dim]{completion.model}: {u.prompt_tokens} prompt tokens "
            f"({u.prompt_tokens_evaluated} evaluated), {u.completion_tokens} generated, "
            f"first token {t.time_to_first_token_s:.2f}s, {t.tokens_per_s:.1f} tok/s[/]"
        )


async def _stream(spec, messages, constraint, max_tokens, temperature):
    from toolweave.models import load_model

    model = await asyncio.to_thread(load_model, spec)
    completion = None
    async for delta in model.stream(messages, constraint=constraint, max_tokens=max_tokens,
                                    temperature=temperature):
        if delta.text:
            console.print(delta.text, end="", markup=False, highlight=False)
        if delta.completion is not None:
            completion = delta.completion
    console.print()
    return completion


@app.command()
def models() -> None:
    """List the embedded models and whether they are installed."""
    from rich.table import Table

    from toolweave.models.embedded import EMBEDDED

    table = Table("spec", "model", "installed")
    for name, model in EMBEDDED.items():
        try:
            model.path()
            ok = "[green]yes[/]"
        except ToolweaveError as exc:
            ok = f"[red]no[/]: {exc}"
        table.add_row(name, model.title, ok)
    console.print(table)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
