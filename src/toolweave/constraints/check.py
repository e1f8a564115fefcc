"""Validating constraints, and checking that an output satisfies one."""

from __future__ import annotations

import json
import re

from toolweave.errors import InvalidConstraintError
from toolweave.types import Constraint


def check(constraint: Constraint) -> None:
    """Raise `InvalidConstraintError` when the constraint itself is malformed."""
    if constraint.kind == "json_schema":
        _check_schema(constraint.value)
    elif constraint.kind == "regex":
        if not isinstance(constraint.value, str):
            raise InvalidConstraintError("a regex constraint needs a pattern string")
        try:
            re.compile(constraint.value)
        except re.error as exc:
            raise InvalidConstraintError(f"invalid regex {constraint.value!r}: {exc}") from exc
    elif not isinstance(constraint.value, str) or not constraint.value.strip():
        raise InvalidConstraintError("a grammar constraint needs the grammar's text")


def _check_schema(schema: object) -> None:
    import jsonschema

    if not isinstance(schema, dict):
        raise InvalidConstraintError(f"a JSON Schema must be an object, got {type(schema).__name__}")
    try:
        jsonschema.validators.validator_for(schema).check_schema(schema)
    except jsonschema.SchemaError as exc:
        path = "/".join(str(p) for p in exc.path) or "<root>"
        raise InvalidConstraintError(f"invalid JSON Schema at {path}: {exc.message}") from exc


def matches(constraint: Constraint, text: str) -> bool:
    """Whether ``text`` satisfies ``constraint``. Grammars cannot be checked here: raises."""
    if constraint.kind == "regex":
        return re.fullmatch(constraint.value, text) is not None
    if constraint.kind == "json_schema":
        import jsonschema

        try:
            document = json.loads(text)
        except json.JSONDecodeError:
            return False
        return jsonschema.validators.validator_for(constraint.value)(constraint.value).is_valid(
            document
        )
    raise NotImplementedError("grammar membership is checked by the sampler, not here")
