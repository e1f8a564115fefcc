"""`toolweave tools index|search|augment`: plain typer command functions.

Attach them to the ``tools`` sub-app with ``tools_app.command("index")(index_command)`` etc.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

console = Console()
err = Console(stderr=True)


def _fail(exc: BaseException) -> None:
    from rich.markup import escape

    # soft_wrap: an error line stays one line, whole paths and all, for copying and grepping
    err.print(f"[bold red]error:[/] {escape(str(exc))}", soft_wrap=True, highlight=False)
    raise typer.Exit(code=1)


def index_command(
    sources: Annotated[list[str], typer.Argument(
        help="Tool sources: a JSON/JSONL file of tool definitions, 'module:attr', or an MCP "
             "server (a quoted command line or an http(s) URL).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Catalog directory to write.")],
    dense: Annotated[bool, typer.Option(help="Embed tools for dense search too.")] = True,
) -> None:
    """Build (or update) a searchable tool catalog; unchanged tools are not re-embedded."""
    from toolweave.errors import ToolweaveError
    from toolweave.retrieval.catalog import ToolCatalog
    from toolweave.retrieval.sources import dedupe, load_source

    try:
        specs = dedupe(spec for source in sources for spec in load_source(source))
        start = time.perf_counter()
        if (out / "manifest.json").exists():
            catalog = ToolCatalog.load(str(out), embedder="auto" if dense else None)
        else:
            catalog = ToolCatalog(embedder="auto" if dense else None)
        changed = catalog.add(specs)
        catalog.save(str(out))
    except (ToolweaveError, ValueError, OSError, ImportError) as exc:
        _fail(exc)
    console.print(f"{len(catalog)} tools in {out} ({changed} new or changed, "
                  f"{catalog.embed_calls} texts embedded) in "
                  f"{time.perf_counter() - start:.1f}s — {catalog.dense_status}")


def search_command(
    directory: Annotated[Path, typer.Argument(help="A catalog directory (from `tools index`).")],
    query: Annotated[str, typer.Argument(help="What the user wants done.")],
    k: Annotated[int, typer.Option("-k", help="How many tools to show.")] = 5,
    mode: Annotated[str, typer.Option(help="hybrid | bm25 | dense")] = "hybrid",
) -> None:
    """Search a tool catalog and print the best tools with their scores."""
    from rich.table import Table

    from toolweave.errors import ToolweaveError
    from toolweave.retrieval.catalog import ToolCatalog

    if mode not in ("hybrid", "bm25", "dense"):
        _fail(ValueError(f"--mode must be hybrid, bm25 or dense, not {mode!r}"))
    try:
        catalog = ToolCatalog.load(str(directory))
        start = time.perf_counter()
        hits = catalog.search(query, k=k, mode=mode)  # type: ignore[arg-type]
        elapsed_ms = (time.perf_counter() - start) * 1000
    except (ToolweaveError, ValueError, OSError) as exc:
        _fail(exc)
    table = Table(title=f"{query!r} — {len(hits)} of {len(catalog)} tools, {elapsed_ms:.1f} ms")
    for column in ("#", "tool", "score", "bm25", "dense", "description"):
        table.add_column(column, overflow="fold")
    for rank, hit in enumerate(hits, 1):
        cells = [_source_cell(hit.sources.get(s)) for s in ("bm25", "dense")]
        table.add_row(str(rank), hit.tool.name, f"{hit.score:.4f}", *cells,
                      hit.tool.description[:100])
    console.print(table)
    console.print(catalog.dense_status, style="dim")


def _source_cell(source: dict | None) -> str:
    return f"#{source['rank']} ({source['score']:.3f})" if source else "-"


def augment_command(
    directory: Annotated[Path, typer.Argument(help="A catalog directory (from `tools index`).")],
    model: Annotated[str, typer.Option("--model", "-m",
                                       help="default | tiny | file.gguf | hf:… | URL")],
    n: Annotated[int, typer.Option("-n", help="Queries to write per tool.")] = 5,
    limit: Annotated[int | None, typer.Option(help="Augment at most this many tools.")] = None,
) -> None:
    """Write synthetic user queries for each tool lacking them, and re-index the catalog."""
    from toolweave.errors import ToolweaveError
    from toolweave.models import load_model
    from toolweave.retrieval.augment import augment
    from toolweave.retrieval.catalog import ToolCatalog

    try:
        catalog = ToolCatalog.load(str(directory))
        chat = load_model(model)
        done = augment(catalog, chat, n, limit=limit)
        catalog.save(str(directory))
    except (ToolweaveError, ValueError, OSError) as exc:
        _fail(exc)
    console.print(f"augmented {done} tools; {sum(1 for q in catalog.queries.values() if q)} of "
                  f"{len(catalog)} now have queries ({catalog.embed_calls} texts embedded)")
