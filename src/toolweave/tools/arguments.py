"""Checking a call's arguments before a tool runs, and saying clearly what is wrong.

A small model fixes a bad call only when the message names the field and what was expected,
so each failure here becomes one short sentence plus the tool's expected arguments.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ValidationError

from toolweave.tools.errors import ToolDefinitionError
from toolweave.tools.schema import Parameter
from toolweave.types import ToolSpec

# Turns a call's arguments into the (args, kwargs) of the tool's function, or raises.
Prepare = Callable[[dict[str, Any]], tuple[tuple[Any, ...], dict[str, Any]]]


class ArgumentError(Exception):
    """Arguments that do not fit the tool; ``kind`` becomes ``Observation.error``."""

    def __init__(self, message: str, kind: str = "invalid_arguments") -> None:
        super().__init__(message)
        self.message = message
        self.kind = kind


def validated_arguments(
    model: type[BaseModel], params: list[Parameter], schema: dict[str, Any]
) -> Prepare:
    """Validate against ``model`` and map the fields back onto the function's parameters."""
    # which field goes where, sorted out once rather than at every call
    positional = [p.field for p in params if p.positional_only]
    keywords = [(p.name, p.field) for p in params if not p.positional_only]

    def prepare(arguments: dict[str, Any]) -> tuple[tuple[Any, ...], dict[str, Any]]:
        try:
            values = model.model_validate(arguments)
        except ValidationError as exc:
            raise ArgumentError(_explain(exc, schema)) from None
        fields = values.__dict__
        args = tuple([fields[f] for f in positional]) if positional else ()
        return args, {name: fields[f] for name, f in keywords}

    return prepare


def raw_arguments(arguments: dict[str, Any]) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """Pass the arguments dict through as the one positional argument."""
    return (dict(arguments),), {}


def custom_input(spec: ToolSpec, *, pass_dict: bool) -> Prepare:
    """Take a custom tool's text from ``arguments["input"]`` and check it against its regex."""
    pattern = _compile(spec)

    def prepare(arguments: dict[str, Any]) -> tuple[tuple[Any, ...], dict[str, Any]]:
        text = arguments.get("input")
        if text is None and len(arguments) == 1:
            # Models sometimes name the field after the function's parameter; accept that.
            text = next(iter(arguments.values()))
        if not isinstance(text, str):
            raise ArgumentError(f"{spec.name} takes its input as text: pass a string as `input`.")
        if pattern is not None and pattern.fullmatch(text) is None:
            raise ArgumentError(
                f"input to {spec.name} does not match the required format "
                f"(regex {pattern.pattern!r}); got {_short(text)}",
                kind="invalid_input",
            )
        return ((dict(arguments, input=text),) if pass_dict else (text,)), {}

    return prepare


def _compile(spec: ToolSpec) -> re.Pattern[str] | None:
    fmt = spec.input_format
    if fmt is None or fmt.kind != "regex":
        return None  # a grammar cannot be checked in Python; the decoder enforces it
    try:
        return re.compile(fmt.value)
    except (re.error, TypeError) as exc:
        raise ToolDefinitionError(f"tool {spec.name!r}: invalid input_format regex: {exc}") from exc


def _explain(exc: ValidationError, schema: dict[str, Any]) -> str:
    problems = []
    for err in exc.errors(include_url=False):
        where = ".".join(str(part) for part in err["loc"]) or "arguments"
        if err["type"] == "missing":
            problems.append(f"`{where}` is required but missing")
        elif err["type"] == "extra_forbidden":
            problems.append(f"`{where}` is not a parameter of this tool")
        else:
            problems.append(f"`{where}`: {err['msg']} (got {_short(err['input'])})")
    return f"Invalid arguments: {'; '.join(problems)}. Expected {expected_arguments(schema)}."


def expected_arguments(schema: dict[str, Any]) -> str:
    """A one-line summary of an object schema, e.g. ``a (integer, required), k (integer = 3)``."""
    required = set(schema.get("required", ()))
    parts = []
    for name, prop in schema.get("properties", {}).items():
        detail = describe_type(prop)
        if name in required:
            detail += ", required"
        elif "default" in prop:
            detail += f" = {prop['default']!r}"
        parts.append(f"{name} ({detail})")
    return ", ".join(parts) if parts else "no arguments"


def describe_type(schema: dict[str, Any]) -> str:
    """A short human name for a schema's type: ``integer``, ``one of 'a', 'b'``, ``list of …``."""
    if "enum" in schema:
        return "one of " + ", ".join(repr(v) for v in schema["enum"])
    if "const" in schema:
        return repr(schema["const"])
    if "anyOf" in schema:
        return " or ".join(describe_type(s) for s in schema["anyOf"])
    kind = schema.get("type", "any")
    if kind == "array" and isinstance(schema.get("items"), dict):
        return f"list of {describe_type(schema['items'])}"
    if isinstance(kind, list):
        return " or ".join(kind)
    return str(kind)


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
