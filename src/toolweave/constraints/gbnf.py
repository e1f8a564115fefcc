"""Compiling constraints to GBNF, the grammar language llama.cpp samples under.

JSON Schema and regex go through llama.cpp's own converter (shipped in llama-cpp-python), so what
llama.cpp accepts is exactly what we generate. Results are cached: a grammar is compiled once
per constraint, not once per step. `GrammarBuilder` lets tool-call formats compose larger
grammars (free text, then calls whose arguments follow each tool's schema) from the same parts.
"""

from __future__ import annotations

import json
from functools import lru_cache

from toolweave.constraints._ranges import has_bounds, numeric_rule
from toolweave.constraints.check import check
from toolweave.errors import InvalidConstraintError, UnsupportedConstraintError
from toolweave.types import Constraint

# Shorthand classes llama.cpp's regex converter does not know, outside and inside [...].
_SHORTHANDS = {"d": ("[0-9]", "0-9"), "w": ("[a-zA-Z0-9_]", "a-zA-Z0-9_"),
               "s": ("[ \\t\\n\\r]", " \\t\\n\\r"), "D": ("[^0-9]", None),
               "W": ("[^a-zA-Z0-9_]", None), "S": ("[^ \\t\\n\\r]", None)}


# As in llama.cpp's C++ converter: no raw control characters inside JSON strings.
JSON_CHAR_RULE = r'''[^"\\\x7F\x00-\x1F] | [\\] (["\\/bfnrt] | "u" [0-9a-fA-F]{4})'''


def to_gbnf(constraint: Constraint) -> str:
    """The GBNF text of ``constraint``. Raises for invalid or untranslatable constraints."""
    check(constraint)
    if constraint.kind == "grammar":
        if constraint.syntax != "gbnf":
            raise UnsupportedConstraintError(
                f"a {constraint.syntax} grammar cannot be applied by llama.cpp; write it in GBNF"
            )
        return constraint.value
    if constraint.kind == "json_schema":
        return _schema_gbnf(json.dumps(constraint.value, sort_keys=True))
    return _regex_gbnf(constraint.value)


@lru_cache(maxsize=256)
def _schema_gbnf(schema_json: str) -> str:
    builder = GrammarBuilder()
    builder.schema(json.loads(schema_json), "root")
    return builder.text()


@lru_cache(maxsize=256)
def _regex_gbnf(pattern: str) -> str:
    builder = GrammarBuilder()
    builder.regex(pattern, "root")
    return builder.text()


def literal(text: str) -> str:
    """``text`` as a GBNF string literal."""
    escaped = (text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
               .replace("\r", "\\r").replace("\t", "\\t"))
    return f'"{escaped}"'


class GrammarBuilder:
    """Builds one GBNF grammar from schema, regex and hand-written rules.

    All rules share one namespace (llama.cpp's converter de-duplicates helper rules such as
    ``space`` or ``string``), so several tools' argument schemas can live in one grammar.
    """

    def __init__(self) -> None:
        converter = _bounded_converter()
        self._schemas = converter(prop_order={}, allow_fetch=False, dotall=False,
                                  raw_pattern=False)
        self._raw = converter(prop_order={}, allow_fetch=False, dotall=False, raw_pattern=True)

    def schema(self, schema: dict, name: str) -> str:
        """Add rules for a JSON document valid under ``schema``; returns the rule's name."""
        try:
            resolved = self._schemas.resolve_refs(schema, name)
            # the converter reserves "root"; the empty name is its way of asking for it
            return self._schemas.visit(resolved, "" if name == "root" else name)
        except UnsupportedConstraintError:
            raise
        except Exception as exc:  # the converter raises bare exceptions on what it cannot map
            raise InvalidConstraintError(f"cannot compile JSON Schema to a grammar: {exc}") from exc

    def regex(self, pattern: str, name: str) -> str:
        """Add a rule matching exactly the strings that fully match ``pattern``."""
        anchored = "^" + _expand_shorthands(pattern.removeprefix("^").removesuffix("$")) + "$"
        try:
            return self._raw.visit({"type": "string", "pattern": anchored},
                                   "" if name == "root" else name)
        except Exception as exc:
            raise InvalidConstraintError(f"cannot compile regex {pattern!r} to a grammar: {exc}") \
                from exc

    def rule(self, name: str, body: str) -> str:
        """Add a hand-written rule ``name ::= body``; returns its (possibly de-duplicated) name."""
        return self._schemas._add_rule(name, body)

    def text(self) -> str:
        rules = dict(self._raw._rules)
        rules.update(self._schemas._rules)
        if "char" in rules:  # the Python port lets raw control characters into JSON strings
            rules["char"] = JSON_CHAR_RULE
        return "\n".join(f"{name} ::= {body}" for name, body in sorted(rules.items()))


@lru_cache(maxsize=1)
def _bounded_converter():
    """llama.cpp's converter, taught numeric bounds (it ignores minimum/maximum otherwise)."""
    from llama_cpp.llama_grammar import RESERVED_NAMES, SPACE_RULE, SchemaConverter

    class BoundedConverter(SchemaConverter):
        def _generate_constant_rule(self, value):
            # an enum value as the model writes it ("21 °C"), not as \u escapes it never would;
            # escaped by `literal`: the port's own escaping leaves backslashes as they are, so
            # a value holding a quote (JSON: \") ended the literal early and llama.cpp
            # rejected the whole grammar
            return literal(json.dumps(value, ensure_ascii=False))

        def visit(self, schema, name):
            if (isinstance(schema, dict) and schema.get("type") in ("integer", "number")
                    and has_bounds(schema)):
                rule_name = name + "-" if name in RESERVED_NAMES else name or "root"
                self._add_rule("space", SPACE_RULE)
                return self._add_rule(rule_name, numeric_rule(schema) + " space")
            return super().visit(schema, name)

    return BoundedConverter


def _expand_shorthands(pattern: str) -> str:
    out: list[str] = []
    in_class = False
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern):
            nxt = pattern[i + 1]
            if nxt in _SHORTHANDS:
                outside, inside = _SHORTHANDS[nxt]
                if in_class and inside is None:
                    raise InvalidConstraintError(
                        f"\\{nxt} inside a character class cannot be compiled to a grammar"
                    )
                out.append(inside if in_class else outside)
            else:
                out.append(pattern[i:i + 2])
            i += 2
            continue
        if ch == "[" and not in_class:
            in_class = True
        elif ch == "]" and in_class:
            in_class = False
        out.append(ch)
        i += 1
    return "".join(out)
