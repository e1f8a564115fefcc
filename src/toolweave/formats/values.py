"""Argument values written as text, not JSON (glm-xml, plaintext): grammar rules and decoding.

Both formats write string values raw and everything else as JSON, as GLM-4.5's template does.
Reading a value back therefore needs the parameter's schema: a raw ``123`` is the string "123"
for a string parameter and the number 123 otherwise. Writing checks that the reader will get
the same value back and falls back to a JSON literal when it would not.
"""

from __future__ import annotations

import re
from typing import Any

from toolweave.constraints.gbnf import GrammarBuilder, literal
from toolweave.errors import InvalidConstraintError, UnsupportedConstraintError
from toolweave.formats.base import INVALID, dumps, loads
from toolweave.types import ToolSpec


def is_string_param(schema: Any) -> bool:
    """Whether a parameter's values are strings (so written and read raw)."""
    if not isinstance(schema, dict):
        return False
    if schema.get("type") == "string":
        return True
    if "type" not in schema:
        if "const" in schema:
            return isinstance(schema["const"], str)
        enum = schema.get("enum")
        return isinstance(enum, list) and bool(enum) and all(isinstance(v, str) for v in enum)
    return False


def decode_value(raw: str, schema: Any, *, quoted_strings: bool) -> Any:
    """A value read from text. String parameters stay raw (with ``quoted_strings``, a JSON
    string literal is unquoted: plaintext writes awkward strings that way); others are JSON,
    falling back to the raw text so the tool layer can report the type error."""
    if is_string_param(schema):
        if quoted_strings and raw.startswith('"'):
            value = loads(raw)
            if isinstance(value, str):
                return value
        return raw
    value = loads(raw)
    return raw if value is INVALID else value


def encode_value(value: Any, schema: Any, *, quoted_strings: bool, forbidden: str,
                 stripped: bool = False) -> str:
    """The text for ``value`` that `decode_value` reads back as ``value``, never containing
    ``forbidden`` (the format's value terminator) where that can be avoided. ``stripped``: the
    reader strips blanks around values, so a string with such blanks is written quoted."""
    if isinstance(value, str) and forbidden not in value and \
            not (stripped and value != value.strip()):
        back = decode_value(value, schema, quoted_strings=quoted_strings)
        if isinstance(back, str) and back == value:
            return value
    text = dumps(value)
    # `<` only occurs inside JSON strings, where \u003c means the same character
    return text.replace("<", "\\u003c") if forbidden in text else text


# Keys that say what a value looks like; a schema without any (``{}``, or only a description)
# accepts any JSON value.
_SHAPE_KEYS = {"type", "enum", "const", "properties", "items", "prefixItems", "anyOf", "oneOf",
               "allOf", "$ref", "additionalProperties", "pattern"}
DEFAULT_MAX_STRING_CHARS = 256
_BOUNDED_STRING_KEYS = {"maxLength", "enum", "const", "pattern", "format"}
ANY_VALUE = {"type": ["string", "number", "boolean", "array", "object", "null"]}
_SUBSCHEMA_KEYS = ("items", "additionalProperties", "not")
_SUBSCHEMA_LIST_KEYS = ("anyOf", "oneOf", "allOf", "prefixItems")
_SUBSCHEMA_MAP_KEYS = ("properties", "$defs", "definitions")


# Regex shorthands llama.cpp's schema converter copies as literal text inside "pattern".
_SHORTHAND = re.compile(r"\\[dwsDWS]")


def grammar_schema(schema: Any) -> Any:
    """``schema`` made safe for llama.cpp's converter: every shapeless subschema becomes an
    explicit "any JSON value" (the converter rejects a schema holding only a description and
    reads ``{}`` as an object), and a "pattern" using ``\\d``-style shorthands is dropped (the
    converter would demand a literal ``\\d``; the tool layer still validates the pattern)."""
    if not isinstance(schema, dict):
        return schema
    if not _SHAPE_KEYS & schema.keys():
        return ANY_VALUE
    out = dict(schema)
    if isinstance(out.get("pattern"), str) and _SHORTHAND.search(out["pattern"]):
        del out["pattern"]
    if out.get("type") == "string" and not _BOUNDED_STRING_KEYS & out.keys():
        # a degenerate small model repeats itself inside a string until the step's tokens run
        # out; a tool that takes long text (code, documents) declares its own maxLength
        out["maxLength"] = DEFAULT_MAX_STRING_CHARS
    for key in _SUBSCHEMA_KEYS:
        if isinstance(out.get(key), dict):
            out[key] = grammar_schema(out[key])
    for key in _SUBSCHEMA_LIST_KEYS:
        if isinstance(out.get(key), list):
            out[key] = [grammar_schema(s) for s in out[key]]
    for key in _SUBSCHEMA_MAP_KEYS:
        if isinstance(out.get(key), dict):
            out[key] = {k: grammar_schema(s) for k, s in out[key].items()}
    return out


def value_rule(builder: GrammarBuilder, schema: Any, name: str, raw_rule: str) -> str:
    """A grammar rule for one parameter's value: raw text for strings (``raw_rule``), the
    string's own literals or regex when it has enum/const/pattern, the JSON rule otherwise."""
    pattern = schema.get("pattern") if isinstance(schema, dict) else None
    schema = grammar_schema(schema)
    if schema is ANY_VALUE or not isinstance(schema, dict):
        return raw_rule  # unknown type: raw text covers both raw strings and JSON
    if is_string_param(schema):
        if "const" in schema:
            return builder.rule(name, literal(schema["const"]))
        if isinstance(schema.get("enum"), list) and schema["enum"]:
            return builder.rule(name, " | ".join(literal(str(v)) for v in schema["enum"]))
        if isinstance(pattern, str):  # raw text: the regex applies as is (shorthands too)
            try:
                return builder.regex(pattern, name)
            except InvalidConstraintError:
                return raw_rule  # a regex llama.cpp cannot compile: the tool layer checks it
        return raw_rule
    return builder.schema(schema, name)


def custom_input_rule(builder: GrammarBuilder, tool: ToolSpec, name: str,
                      free_rule: str) -> str:
    """The rule for a custom tool's raw input: its regex, its GBNF grammar (rules renamed under
    ``name``), its JSON schema, or ``free_rule`` when it has no input format."""
    fmt = tool.input_format
    if fmt is None:
        return free_rule
    if fmt.kind == "regex":
        return builder.regex(fmt.value, name)
    if fmt.kind == "json_schema":
        return builder.schema(grammar_schema(fmt.value), name)
    if fmt.syntax != "gbnf":
        raise UnsupportedConstraintError(
            f"tool {tool.name!r} has a {fmt.syntax} input grammar; llama.cpp grammars must be "
            "GBNF, so write it in GBNF or decode this tool set unconstrained")
    return embed_gbnf(builder, fmt.value, f"{name}-")


# Tokens of a GBNF grammar: what is copied as is (literals, classes, repetition counts, token
# references, operators), comments (dropped) and names (renamed).
_GBNF_TOKEN = re.compile(r'''
    (?P<lit>"(?:\\.|[^"\\])*")
  | (?P<cls>\[(?:\\.|[^\]\\])*\])
  | (?P<count>\{[^}]*\})
  | (?P<tok>!?<[^>\s]*>)
  | (?P<comment>\#[^\n]*)
  | (?P<name>[A-Za-z0-9_-]+)
  | (?P<define>::=)
  | (?P<space>\s+)
  | (?P<other>.)
''', re.VERBOSE | re.DOTALL)


def embed_gbnf(builder: GrammarBuilder, gbnf: str, prefix: str) -> str:
    """Add the rules of a whole GBNF grammar, every name prefixed so none collides with the
    builder's; returns the name its ``root`` got."""
    tokens = [(m.lastgroup, m.group()) for m in _GBNF_TOKEN.finditer(gbnf)]
    tokens = [t for t in tokens if t[0] != "comment"]
    rules: list[tuple[str, list[str]]] = []
    for i, (kind, text) in enumerate(tokens):
        if kind == "name":
            nxt = next((t for t in tokens[i + 1:] if t[0] != "space"), None)
            if nxt is not None and nxt[0] == "define":
                rules.append((prefix + text, []))
                continue
            text = prefix + text
        elif kind == "define" or (kind == "space" and not (rules and rules[-1][1])):
            continue
        elif kind == "space":
            text = " "  # a rule's body is re-emitted on one line
        if not rules:
            raise InvalidConstraintError("a GBNF input grammar must start with a rule")
        rules[-1][1].append(text)
    if not any(name == prefix + "root" for name, _ in rules):
        raise InvalidConstraintError("a GBNF input grammar needs a `root` rule")
    for name, body in rules:
        builder.rule(name, "".join(body).strip())
    return prefix + "root"
