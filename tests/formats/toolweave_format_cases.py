"""Tool sets, calls and hypothesis strategies shared by the format tests."""

from __future__ import annotations

import json
import re

from hypothesis import strategies as st

from toolweave.types import Constraint, ToolCall, ToolSpec

WEATHER = ToolSpec(
    name="get_weather", description="Current weather for a city.",
    parameters={"type": "object", "properties": {
        "city": {"type": "string", "description": "the city's name"},
        "unit": {"type": "string", "enum": ["c", "f"], "description": "c or f"}},
        "required": ["city"]})
ADD = ToolSpec(
    name="add", description="Add two integers.",
    parameters={"type": "object", "properties": {"a": {"type": "integer"},
                                                 "b": {"type": "integer"}},
                "required": ["a", "b"]})
DATE_PATTERN = r"\d{4}-\d{2}-\d{2}"
DATE = ToolSpec(name="day_of_week", description="The weekday of a date (YYYY-MM-DD).",
                kind="custom", input_format=Constraint.regex(DATE_PATTERN))
NOTE = ToolSpec(
    name="save_note", description="Save a note.",
    parameters={"type": "object", "properties": {
        "title": {"type": "string"},
        "body": {"type": "string"},
        "tags": {"type": "array", "items": {"type": "string"}},
        "priority": {"type": "number"},
        "urgent": {"type": "boolean"},
        "meta": {"type": "object"},
        "extra": {"description": "anything"},
        "mode": {"enum": ["draft", "final"]}},
        "required": ["title"]})
SHELL = ToolSpec(name="shell", description="Run a shell script.", kind="custom")
CALC = ToolSpec(name="calc", description="Integer arithmetic.", kind="custom",
                input_format=Constraint.grammar(
                    'root ::= num (" " op " " num)*  # a sum\nnum ::= [0-9]+\nop ::= "+" | "-"'))

# The three tools the model tests decode with; plaintext gets a custom tool as its third.
MODEL_TOOLS = {
    "hermes": [WEATHER, ADD, DATE],
    "glm-xml": [WEATHER, ADD, DATE],
    "plaintext": [WEATHER, ADD, DATE],
}
ALL_TOOLS = [WEATHER, ADD, DATE, NOTE, SHELL, CALC]
TEXT_FORMATS = ["hermes", "glm-xml", "plaintext"]
ALL_FORMATS = [*TEXT_FORMATS, "openai"]

# Strings that look like pieces of some format's syntax, or another type when read raw.
TRICKY = ['</arg_value>', '<tool_call>', '</tool_call>', 'END', 'CALL add', '"quoted"',
          ' padded ', '123', '-1.5e3', 'true', 'null', '{"a": 1}', '[1, 2]', 'line1\nline2',
          "it's", '\\', '', '<arg_key>x</arg_key>', 'a: b', '\r\n', '\u2028', 'é ü 中文 🙂']

FRAGMENTS = ['<tool_call>', '</tool_call>', '{"name":', '"arguments":', '{', '}', '[', ']',
             '"', "'", '\\', '\n', ' ', '<arg_key>', '</arg_key>', '<arg_value>',
             '</arg_value>', 'CALL ', 'CALL add', 'END', 'add', 'get_weather', ': ', 'a: 1',
             '```json', '```', 'null', '1e999', '\x00', '\u2028', '🙂', '{"name": "add"}',
             '{"name": "add", "arguments": "{\\"a\\": 1"}']

adversarial_text = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=6)),
                            max_size=40).map("".join)

# JSON values nested a little, as tool arguments carry them.
json_leaf = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6),
                      st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=12))
json_value = st.recursive(json_leaf, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=6), inner, max_size=3)),
    max_leaves=8)


def strings(fmt: str):
    """Strings a format can carry in a string argument."""
    base = st.one_of(st.text(max_size=30), st.sampled_from(TRICKY))
    if fmt == "glm-xml":  # raw values end at the first closing tag; nothing escapes it
        return base.filter(lambda s: "</arg_value>" not in s)
    return base


def custom_inputs(fmt: str):
    """Raw inputs a format can carry for a custom tool."""
    base = st.one_of(st.text(max_size=40), st.sampled_from(TRICKY))
    if fmt == "plaintext":  # the input ends at a line reading END
        return base.filter(lambda s: all(line.rstrip() != "END" for line in s.split("\n")))
    return strings(fmt)


def arguments(tool: ToolSpec, fmt: str):
    """Arguments valid under ``tool``'s schema."""
    if tool.kind == "custom":
        if tool is DATE:
            return st.from_regex(DATE_PATTERN, fullmatch=True).map(lambda s: {"input": s})
        return custom_inputs(fmt).map(lambda s: {"input": s})
    text = strings(fmt)
    by_type = {"string": text, "integer": st.integers(), "boolean": st.booleans(),
               "number": st.one_of(st.integers(-1000, 1000),
                                   st.floats(allow_nan=False, allow_infinity=False)),
               "array": st.lists(text, max_size=3),
               "object": st.dictionaries(st.text(max_size=8), json_value, max_size=3)}
    props = tool.parameters["properties"]
    required = set(tool.parameters.get("required", []))

    def value(schema):
        if "enum" in schema:
            return st.sampled_from(schema["enum"])
        return by_type.get(schema.get("type"), st.one_of(text, json_value))

    return st.fixed_dictionaries(
        {k: value(s) for k, s in props.items() if k in required},
        optional={k: value(s) for k, s in props.items() if k not in required})


def calls(fmt: str, tools=ALL_TOOLS):
    """Lists of calls of ``tools`` with valid arguments."""
    one = st.sampled_from(tools).flatmap(
        lambda t: arguments(t, fmt).map(lambda a, t=t: ToolCall(name=t.name, arguments=a)))
    return st.lists(one, max_size=3)


_CALL_LINE = re.compile(r"CALL[ \t]+\S+[ \t\r]*")


def thoughts(fmt: str):
    """Free text that does not start a call in ``fmt``."""
    text = st.text(max_size=60)
    if fmt == "plaintext":
        return text.filter(lambda s: not any(_CALL_LINE.fullmatch(x) for x in s.split("\n")))
    return text.filter(lambda s: "<tool_call>" not in s)


def same(a, b) -> bool:
    """Equal as JSON documents, types included (1 is not 1.0 is not True)."""
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)
