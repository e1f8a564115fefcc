"""Index augmentation (TURA): a chat model writes synthetic user queries for each tool.

The queries are stored in the catalog per tool and indexed as extra rows pointing at it, so a
user who asks in words the description never uses still finds the tool. It is paid once: tools
that already have queries are skipped.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Sequence

from toolweave.retrieval.catalog import ToolCatalog
from toolweave.types import Constraint, Message, ToolSpec

log = logging.getLogger(__name__)

SYSTEM = ("You write realistic requests that users send to an AI assistant. Each request must "
          "be one the given tool can serve, phrased the way a user would ask for it, without "
          "naming the tool. Vary the wording, the details and the length.")


def queries_schema(n: int) -> dict:
    """JSON Schema of the model's answer: exactly ``n`` non-empty strings."""
    return {"type": "object", "properties": {"queries": {
        "type": "array", "items": {"type": "string", "minLength": 3, "maxLength": 200},
        "minItems": n, "maxItems": n}}, "required": ["queries"]}


def prompt(spec: ToolSpec, n: int) -> list[Message]:
    params = ", ".join((spec.parameters.get("properties") or {}).keys()) or "(none)"
    user = (f"Tool: {spec.name}\nDescription: {spec.description or '(none)'}\n"
            f"Parameters: {params}\n\nWrite {n} different user requests this tool answers. "
            f'Reply as JSON: {{"queries": [...]}}')
    return [Message(role="system", content=SYSTEM), Message(role="user", content=user)]


def parse_queries(text: str, n: int) -> list[str]:
    """The model's queries; junk gives [] (the tool is retried on the next run)."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        return []
    items = data.get("queries") if isinstance(data, dict) else data
    if not isinstance(items, list):
        return []
    seen: dict[str, None] = {}
    for item in items:
        if isinstance(item, str) and item.strip():
            seen.setdefault(item.strip(), None)
    return list(seen)[:n]


async def augment_async(catalog: ToolCatalog, model, n: int = 5, *,
                        names: Sequence[str] | None = None, limit: int | None = None,
                        progress: bool = True, max_tokens: int = 400) -> int:
    """Write ``n`` queries for each tool lacking them; returns how many tools were augmented.

    ``names`` restricts the work to those tools, ``limit`` to the first so many that need it.
    """
    todo = [s for s in catalog.specs()
            if (names is None or s.name in names) and not catalog.queries.get(s.name)]
    if limit is not None:
        todo = todo[:limit]
    constraint = Constraint.json_schema(queries_schema(n))
    done = 0
    with _progress(progress) as bar:
        task = bar.add_task("writing queries", total=len(todo)) if bar else None
        for spec in todo:
            completion = await model.complete(prompt(spec, n), constraint=constraint,
                                              max_tokens=max_tokens, temperature=0.7)
            queries = parse_queries(completion.text, n)
            if queries:
                catalog.set_queries(spec.name, queries)
                done += 1
            else:
                log.warning("no usable queries for tool %r: %.200s", spec.name, completion.text)
            if bar:
                bar.advance(task)
    return done


def augment(catalog: ToolCatalog, model, n: int = 5, **options) -> int:
    """Synchronous `augment_async` (for scripts and the CLI; not inside a running loop)."""
    return asyncio.run(augment_async(catalog, model, n, **options))


class _NoBar:
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False


def _progress(enabled: bool):
    if not enabled:
        return _NoBar()
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), TimeRemainingColumn())
