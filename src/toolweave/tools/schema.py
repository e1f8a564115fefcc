"""From a Python signature to a pydantic model and a short, self-contained JSON Schema.

Every parameter becomes a field named ``p<i>`` with the parameter's name as its alias. This
lets parameters be called anything (``json``, ``schema``, ``model_config`` would otherwise
clash with BaseModel's own attributes) while the schema, validation and error messages all
use the real names.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, create_model

from toolweave.tools.errors import ToolDefinitionError

# Schema keywords whose values are schemas (or maps / lists of schemas). Only these are
# walked, so a property *named* "title" or a default value holding "$ref" is left alone.
_SCHEMA_MAPS = ("properties", "patternProperties", "$defs", "definitions")
_SCHEMA_LISTS = ("anyOf", "oneOf", "allOf", "prefixItems")
_SCHEMA_VALUES = ("items", "additionalProperties", "not", "contains", "if", "then", "else")


@dataclass(frozen=True)
class Parameter:
    """One parameter of a tool function: its real name and how it is passed."""

    name: str
    field: str
    positional_only: bool


def build_arguments_model(
    fn: Callable[..., Any], name: str, param_docs: dict[str, str]
) -> tuple[type[BaseModel], list[Parameter]]:
    """A pydantic model of ``fn``'s parameters (extra arguments forbidden) and their order."""
    signature = read_signature(fn, name)
    fields: dict[str, Any] = {}
    params: list[Parameter] = []
    for i, p in enumerate(signature.parameters.values()):
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            raise ToolDefinitionError(
                f"tool {name!r}: *args/**kwargs ({p.name}) cannot be described to a model; "
                "list the parameters explicitly"
            )
        annotation = Any if p.annotation is p.empty else p.annotation
        default = ... if p.default is p.empty else p.default
        info = Field(default, alias=p.name, description=param_docs.get(p.name))
        fields[f"p{i}"] = (annotation, info)
        params.append(Parameter(p.name, f"p{i}", p.kind is p.POSITIONAL_ONLY))
    # Forbidding extras gives the model a clear message ("unexpected field") instead of a
    # silently ignored misspelt argument, and puts additionalProperties: false in the schema.
    config = ConfigDict(extra="forbid")
    try:
        model = create_model(f"{name}_arguments", __config__=config, **fields)
    except Exception as exc:  # pydantic raises several types for unsupported annotations
        raise ToolDefinitionError(f"tool {name!r}: unsupported parameter types: {exc}") from exc
    return model, params


def read_signature(fn: Callable[..., Any], name: str) -> inspect.Signature:
    """``fn``'s signature with string annotations evaluated; ToolDefinitionError if impossible."""
    try:
        return inspect.signature(fn, eval_str=True)
    except (NameError, TypeError, SyntaxError) as exc:
        raise ToolDefinitionError(
            f"cannot read the type hints of tool {name!r}: {exc}; define the types it uses "
            "at module level"
        ) from exc
    except ValueError as exc:  # some builtins and C functions have no signature
        raise ToolDefinitionError(f"tool {name!r}: no signature to build a schema from: {exc}")


def json_schema(model: type[BaseModel]) -> dict[str, Any]:
    """``model``'s JSON Schema with ``$defs`` inlined and pydantic's ``title`` keys dropped.

    Recursive models cannot be inlined; their definitions stay under ``$defs``.
    """
    try:
        raw = model.model_json_schema()
    except Exception as exc:
        raise ToolDefinitionError(
            f"cannot build a JSON Schema for {model.__name__}: {exc}"
        ) from exc
    defs = raw.pop("$defs", {})
    recursive: set[str] = set()
    schema = _clean(raw, defs, (), recursive)
    if recursive:
        schema["$defs"] = {n: _clean(defs[n], defs, (n,), recursive) for n in sorted(recursive)}
    return schema


def _clean(node: Any, defs: dict[str, Any], stack: tuple[str, ...], recursive: set[str]) -> Any:
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        target = ref.rsplit("/", 1)[-1]
        if target in stack:
            recursive.add(target)
        else:
            siblings = {k: v for k, v in node.items() if k != "$ref"}
            inlined = _clean(defs[target], defs, (*stack, target), recursive)
            # Sibling keys (a field's description, default) win over the referenced model's.
            return {**inlined, **_clean(siblings, defs, stack, recursive)}
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "title" and isinstance(value, str):
            continue
        if key in _SCHEMA_MAPS and isinstance(value, dict):
            out[key] = {k: _clean(v, defs, stack, recursive) for k, v in value.items()}
        elif key in _SCHEMA_LISTS and isinstance(value, list):
            out[key] = [_clean(v, defs, stack, recursive) for v in value]
        elif key in _SCHEMA_VALUES:
            out[key] = _clean(value, defs, stack, recursive)
        else:
            out[key] = value
    return out
