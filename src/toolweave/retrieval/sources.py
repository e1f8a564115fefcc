"""Where catalog tools come from: JSON/JSONL files of tool definitions, Python tools, MCP servers.

A file holds OpenAI-style definitions (``{"type": "function", "function": {...}}``) or bare ones
(``{"name", "description", "parameters"}``): as a JSON list, a ``{"tools": [...]}`` object, one
definition, or JSON Lines. Every problem is reported with the file and the line it is on.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from toolweave.errors import ToolweaveError
from toolweave.types import ToolSpec


class CatalogFileError(ToolweaveError, ValueError):
    """A catalog file that cannot be read as tool definitions; says which file and line."""


def spec_from_definition(item: Any, where: str) -> ToolSpec:
    """One ToolSpec from an OpenAI-style or bare tool definition; ``where`` prefixes errors."""
    if not isinstance(item, dict):
        raise CatalogFileError(f"{where}: expected a tool definition object, got "
                               f"{type(item).__name__}")
    if "function" in item and isinstance(item["function"], dict):
        item = item["function"]
    name = item.get("name")
    if not isinstance(name, str) or not name.strip():
        raise CatalogFileError(f"{where}: tool definition has no \"name\" (a non-empty string); "
                               f"keys: {', '.join(sorted(item)) or '(none)'}")
    description = item.get("description", "")
    if not isinstance(description, str):
        raise CatalogFileError(f"{where}: tool {name!r}: \"description\" must be a string")
    parameters = item.get("parameters", item.get("input_schema", None))
    if parameters is None:
        parameters = {"type": "object", "properties": {}}
    if not isinstance(parameters, dict):
        raise CatalogFileError(f"{where}: tool {name!r}: \"parameters\" must be a JSON object "
                               f"(JSON Schema), got {type(parameters).__name__}")
    if parameters.get("type") == "dict":  # BFCL's spelling of "object"
        parameters = {**parameters, "type": "object"}
    return ToolSpec(name=name, description=description, parameters=parameters)


def _line_of(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1


def _json_items(path: Path, text: str) -> list[tuple[Any, str]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CatalogFileError(f"{path}:{exc.lineno}: not valid JSON: {exc.msg}") from None
    if isinstance(data, dict) and "tools" in data:
        data = data["tools"]
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list):
        raise CatalogFileError(f"{path}:1: expected a list of tool definitions, a "
                               f"{{\"tools\": [...]}} object or one definition; got "
                               f"{type(data).__name__}")
    # Locate each top-level item's line so errors point into the file.
    decoder, items = json.JSONDecoder(), []
    pos = text.index("[") + 1 if text.lstrip().startswith("[") and data else None
    for index, item in enumerate(data):
        line = 1
        if pos is not None:
            while pos < len(text) and text[pos] in " \t\r\n,":
                pos += 1
            line = _line_of(text, pos)
            _, pos = decoder.raw_decode(text, pos)
        items.append((item, f"{path}:{line} (tool #{index + 1})"))
    return items


def load_file(path: str | Path) -> list[ToolSpec]:
    """The tool definitions of a ``.json`` or ``.jsonl`` file, in file order."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CatalogFileError(f"{path}: cannot read: {exc}") from None
    if path.suffix == ".jsonl" or (path.suffix != ".json" and _looks_like_jsonl(text)):
        items = []
        for number, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                items.append((json.loads(line), f"{path}:{number}"))
            except json.JSONDecodeError as exc:
                raise CatalogFileError(f"{path}:{number}: not valid JSON: {exc.msg}") from None
    else:
        items = _json_items(path, text)
    if not items:
        raise CatalogFileError(f"{path}: holds no tool definitions")
    return [spec_from_definition(item, where) for item, where in items]


def _looks_like_jsonl(text: str) -> bool:
    lines = [ln for ln in text.splitlines() if ln.strip()]
    return len(lines) > 1 and all(ln.lstrip().startswith("{") for ln in lines[:2])


def dedupe(specs: Iterable[ToolSpec]) -> list[ToolSpec]:
    """Specs with exact repeats dropped; a different tool reusing a name gets ``name_2``."""
    seen: dict[str, str] = {}
    out = []
    for spec in specs:
        key = json.dumps(spec.model_dump(mode="json"), sort_keys=True)
        name, n = spec.name, 1
        while name in seen and seen[name] != key:
            n += 1
            name = f"{spec.name}_{n}"
        if name in seen:
            continue
        seen[name] = key
        out.append(spec if name == spec.name else spec.model_copy(update={"name": name}))
    return out


async def mcp_specs(target: str) -> list[ToolSpec]:
    """The tool specs an MCP server (command line or URL) lists; the server is closed after."""
    from toolweave.tools.mcp import McpServer

    async with McpServer(target) as server:
        return [t.spec for t in server.tools()]


def load_source(source: str) -> list[ToolSpec]:
    """Specs from one CLI source: a JSON/JSONL file, ``module:attr``, or an MCP target."""
    import asyncio

    if source.startswith(("http://", "https://")) or " " in source.strip():
        return asyncio.run(mcp_specs(source))
    path = Path(source)
    if path.exists() or source.endswith((".json", ".jsonl")):
        return load_file(path)
    if ":" in source:
        from toolweave.tools.registry import load_tools

        return load_tools(source).specs()
    raise CatalogFileError(f"{source}: not a file, a 'module:attr' tool spec, an MCP command "
                           "line or an http(s) URL")
