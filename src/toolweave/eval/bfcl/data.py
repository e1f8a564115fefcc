"""BFCL tasks as toolweave sees them: the question, the tools as `ToolSpec`, the answer key.

The data ships inside the ``bfcl-eval`` package as JSON-lines files
(``bfcl_eval/data/BFCL_v4_<category>.json``; answers under ``data/possible_answer/``, absent
for the (ir)relevance categories). Only the single-turn AST categories are loaded here.

BFCL's function docs use Python-ish types (``dict``, ``float``, ``tuple``, ``any``); `to_schema`
turns them into JSON Schema the formats and grammars understand. Function names may contain
dots, which tool formats and APIs reject; they are sanitized (``math.factorial`` →
``math_factorial``) and each task keeps the mapping back, so predictions are scored under
BFCL's original names (see `checker`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from toolweave.types import Message, ToolCall, ToolSpec

# Single-turn categories, in BFCL's order. "simple" was renamed "simple_python" in BFCL v4.
AST_CATEGORIES = ("simple_python", "multiple", "parallel", "parallel_multiple")
LIVE_CATEGORIES = ("live_simple", "live_multiple", "live_parallel", "live_parallel_multiple")
RELEVANCE_CATEGORIES = ("irrelevance", "live_irrelevance", "live_relevance")
NON_LIVE = (*AST_CATEGORIES, "irrelevance")
CATEGORIES = (*NON_LIVE, *LIVE_CATEGORIES, "live_irrelevance", "live_relevance")
ALIASES = {"simple": "simple_python", "simple_python": "simple"}

# BFCL type → JSON Schema type (as BFCL's own GORILLA_TO_OPENAPI, except "any", which really
# is any value: BFCL's checker accepts a string or the answer key's own type for it).
_TYPES = {
    "dict": "object", "object": "object", "float": "number", "number": "number",
    "double": "number", "tuple": "array", "array": "array", "list": "array",
    "integer": "integer", "long": "integer", "string": "string", "boolean": "boolean",
    "bool": "boolean",
}
# JSON Schema keywords kept as they are; BFCL's own extras ("optional", free "format") go.
_KEPT = ("description", "enum", "default", "minimum", "maximum", "minItems", "maxItems")


@dataclass
class BfclTask:
    """One BFCL question: ``functions`` as BFCL wrote them, ``tools`` as the model sees them."""

    id: str
    category: str
    messages: list[Message]
    functions: list[dict[str, Any]]
    tools: list[ToolSpec]
    original_names: dict[str, str] = field(default_factory=dict)  # sanitized → BFCL name
    possible_answer: list[dict[str, Any]] | None = None

    def original_name(self, name: str) -> str:
        """BFCL's name for a tool name the model used (unknown names pass through)."""
        return self.original_names.get(name, name)

    def declared_arguments(self, call: ToolCall) -> dict[str, Any]:
        """``call``'s arguments in the types its BFCL function declares (`as_declared`)."""
        name = self.original_name(call.name)
        doc = next((f.get("parameters") for f in self.functions if f.get("name") == name), None)
        return as_declared(dict(call.arguments), doc) if isinstance(doc, dict) \
            else dict(call.arguments)


def data_dir() -> Path:
    """Where the installed ``bfcl-eval`` keeps its data (without importing its modules)."""
    try:
        return Path(str(resources.files("bfcl_eval") / "data"))
    except ModuleNotFoundError as exc:
        raise RuntimeError("BFCL data needs the bfcl-eval package: "
                           "pip install --no-deps bfcl-eval") from exc


def canonical_category(name: str) -> str:
    """``simple`` → ``simple_python``; other names are checked against `CATEGORIES`."""
    name = name.strip()
    name = "simple_python" if name == "simple" else name
    if name not in CATEGORIES:
        raise ValueError(f"unsupported BFCL category {name!r}; known: {', '.join(CATEGORIES)}")
    return name


def _category_file(folder: Path, category: str) -> Path | None:
    """The newest ``BFCL_v<N>_<category>.json`` in ``folder`` (also under the old name)."""
    names = [category] + ([ALIASES[category]] if category in ALIASES else [])
    found: list[tuple[int, Path]] = []
    for name in names:
        for path in folder.glob(f"BFCL_v*_{name}.json"):
            version = re.match(r"BFCL_v(\d+)_", path.name)
            if version and path.name == f"BFCL_v{version.group(1)}_{name}.json":
                found.append((int(version.group(1)), path))
    return max(found)[1] if found else None


def available_categories() -> list[str]:
    """The supported categories present in the installed data."""
    folder = data_dir()
    return [c for c in CATEGORIES if _category_file(folder, c) is not None]


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def load_tasks(category: str, limit: int | None = None) -> list[BfclTask]:
    """The first ``limit`` tasks of a category (all when None), with their answer keys."""
    category = canonical_category(category)
    folder = data_dir()
    path = _category_file(folder, category)
    if path is None:
        raise FileNotFoundError(f"no BFCL data for {category!r} in {folder}")
    entries = _read_jsonl(path)[:limit]
    answers: dict[str, list] = {}
    if category not in RELEVANCE_CATEGORIES:
        answer_path = _category_file(folder / "possible_answer", category)
        if answer_path is None:
            raise FileNotFoundError(f"no BFCL answers for {category!r}")
        answers = {a["id"]: a["ground_truth"] for a in _read_jsonl(answer_path)}
    return [_task(entry, category, answers.get(entry["id"])) for entry in entries]


def _task(entry: dict[str, Any], category: str, answer: list | None) -> BfclTask:
    functions = entry["function"]
    tools, names = to_toolspecs(functions)
    turn = entry["question"][0]  # single-turn categories: one turn of one or more messages
    messages = [Message(role=m["role"], content=m["content"]) for m in turn]
    if category not in RELEVANCE_CATEGORIES and answer is None:
        raise ValueError(f"BFCL task {entry['id']} has no possible answer")
    return BfclTask(id=entry["id"], category=category, messages=messages, functions=functions,
                    tools=tools, original_names=names, possible_answer=answer)


def sanitize_name(name: str) -> str:
    """A tool name formats and APIs accept (``^[a-zA-Z0-9_-]{1,64}$``): dots become ``_``, as
    BFCL does for models that reject dots."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", name)[:64] or "_"


def to_toolspecs(functions: list[dict[str, Any]]) -> tuple[list[ToolSpec], dict[str, str]]:
    """BFCL function docs → tools, plus the map from each tool name back to BFCL's name."""
    tools: list[ToolSpec] = []
    names: dict[str, str] = {}
    for fn in functions:
        name = base = sanitize_name(fn["name"])
        n = 2
        while name in names:  # "a.b" and "a_b" in one task: keep both callable and distinct
            name = f"{base[:60]}_{n}"
            n += 1
        names[name] = fn["name"]
        params = to_schema(fn.get("parameters") or {"type": "dict", "properties": {}})
        params["type"] = "object"
        params.setdefault("properties", {})
        tools.append(ToolSpec(name=name, description=fn.get("description", ""),
                              parameters=params))
    return tools, names


def to_schema(param: dict[str, Any]) -> dict[str, Any]:
    """One BFCL parameter doc → JSON Schema (recursively through properties and items).

    ``dict`` → object, ``float`` → number, ``tuple`` → array, ``any`` → ``{}`` (any value);
    unknown types become strings, as BFCL does for function-calling APIs.
    """
    kind = param.get("type")
    schema: dict[str, Any] = {}
    if kind is not None and kind != "any":
        schema["type"] = _TYPES.get(kind, "string")
    for key in _KEPT:
        if key in param:
            schema[key] = param[key]
    properties = param.get("properties")
    if isinstance(properties, dict):
        schema["properties"] = {k: to_schema(v) for k, v in properties.items()}
        required = [r for r in param.get("required", []) if r in properties]
        if required:
            schema["required"] = required
    if isinstance(param.get("items"), dict):
        schema["items"] = to_schema(param["items"])
    return schema


def as_declared(value: Any, param: dict[str, Any]) -> Any:
    """``value`` in the type BFCL's parameter doc ``param`` declares, where JSON cannot say
    it: a whole number for a ``float`` parameter (or list item, or field) becomes a float, as
    a Python tool's type validation would make it (BFCL's checker wants ``133.0``)."""
    kind = param.get("type")
    if kind == "float" and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    items = param.get("items")
    if kind in ("array", "tuple") and isinstance(items, dict) and isinstance(value, list):
        return [as_declared(v, items) for v in value]
    properties = param.get("properties")
    if isinstance(properties, dict) and isinstance(value, dict):
        return {k: as_declared(v, properties[k]) if isinstance(properties.get(k), dict) else v
                for k, v in value.items()}
    return value
