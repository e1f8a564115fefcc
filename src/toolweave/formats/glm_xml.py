"""GLM-4.5 tool calls: XML-like key/value tags, string values written raw.

From the GLM-4.5 report (shared/reference/methods.md §6)::

    <tool_call>get_weather
    <arg_key>city</arg_key>
    <arg_value>Beijing</arg_value>
    </tool_call>

Strings go in raw (multi-line, quotes and code need no escaping: the reason the format exists);
other values are JSON. Reading a value back needs its type, so a bound format
(``GlmXmlFormat(tools)`` / ``.bind(tools)``) decodes per the tool's schema; unbound, or for a
key the schema does not know, a value is JSON when it parses as JSON and the raw string
otherwise. Newer GLM templates drop the newlines between tags, so parsing ignores whitespace
between tags (never inside a value).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from toolweave.constraints.gbnf import GrammarBuilder, literal
from toolweave.formats.base import (
    MAX_CALLS,
    ParsedTurn,
    ParseError,
    TagIndex,
    TextFormat,
    add_free_text_rule,
    calls_rule,
    dumps,
    function_entry,
    function_schema,
    snippet,
)
from toolweave.formats.values import custom_input_rule, decode_value, encode_value, value_rule
from toolweave.types import ToolCall, ToolSpec

OPEN, CLOSE = "<tool_call>", "</tool_call>"
KEY, KEY_END, VALUE, VALUE_END = "<arg_key>", "</arg_key>", "<arg_value>", "</arg_value>"

# Verbatim from the GLM-4.5 template (methods.md §6).
_HEADER = ("# Tools\n\nYou may call one or more functions to assist with the user query.\n\n"
           "You are provided with function signatures within <tools></tools> XML tags:\n<tools>")
_FOOTER = ("</tools>\n\nFor each function call, output the function name and arguments within "
           "the following XML format:\n<tool_call>{function-name}\n"
           "<arg_key>{arg-key-1}</arg_key>\n<arg_value>{arg-value-1}</arg_value>\n"
           "<arg_key>{arg-key-2}</arg_key>\n<arg_value>{arg-value-2}</arg_value>\n...\n"
           "</tool_call>")

_WS = re.compile(r"\s*")
_NAME = re.compile(r"\s*([^\s<>]+)")


class GlmXmlFormat(TextFormat):
    """``<tool_call>name<arg_key>k</arg_key><arg_value>v</arg_value>…</tool_call>`` blocks.

    Results go back as one user message of ``<tool_response>`` blocks: GLM's own template puts
    them in an ``<|observation|>`` turn, a role toolweave's `Message` does not have; the blocks
    inside are the same.
    """

    name = "glm-xml"

    def render(self, tools: Sequence[ToolSpec]) -> str:
        lines = [dumps(function_entry(t)) for t in tools]
        return "\n".join([_HEADER, *lines, _FOOTER])

    def build_grammar(self, tools: list[ToolSpec], require_call: bool = False,
                      max_calls: int = MAX_CALLS) -> str:
        builder = GrammarBuilder()
        add_free_text_rule(builder)
        builder.rule("tw-raw", "[^<]*")  # a raw string value; `<` would open a tag
        alternatives = [builder.rule(f"tw-call-{i}", _call_body(builder, tool, i))
                        for i, tool in enumerate(tools)]
        if not alternatives:
            builder.rule("root", "tw-free")
            return builder.text()
        builder.rule("tw-call", literal(OPEN) + " ( " + " | ".join(alternatives) + " ) "
                     + literal(CLOSE))
        calls = 'tw-thought ' + calls_rule("tw-call", max_calls)  # short thought: see hermes
        builder.rule("root", calls if require_call else f"tw-free | {calls}")
        return builder.text()

    def render_call(self, call: ToolCall) -> str:
        props = _properties(self.tools.get(call.name))
        pairs = "".join(
            f"{KEY}{key}{KEY_END}\n{VALUE}"
            + encode_value(value, props.get(key), quoted_strings=False,
                           forbidden=VALUE_END)
            + f"{VALUE_END}\n"
            for key, value in call.arguments.items())
        return f"{OPEN}{call.name}\n{pairs}{CLOSE}"

    def _parse(self, text: str, truncated: bool) -> ParsedTurn:
        outside: list[str] = []
        calls: list[ToolCall] = []
        errors: list[ParseError] = []
        tags = TagIndex(text, OPEN, CLOSE, KEY_END, VALUE_END)
        pos = 0
        while (start := text.find(OPEN, pos)) >= 0:
            outside.append(text[pos:start])
            call, end = self._read_call(text, start, truncated, tags)
            pos = max(end, start + len(OPEN))  # no malformed input can stall the scan
            if isinstance(call, ToolCall):
                calls.append(call)
            else:
                errors.append(ParseError(message=call, snippet=snippet(text, start, pos)))
        outside.append(text[pos:])
        rest = "".join(outside)
        if (stray := rest.find(KEY)) >= 0:
            # e.g. "<get_weather><arg_key>city</arg_key>…": a call without its <tool_call>
            # tag. Reported, so that an unconstrained loop asks for a repair instead of
            # taking it for the final answer.
            errors.append(ParseError(
                message=f"{KEY} outside a call: write {OPEN}name\n{KEY}…{VALUE_END}\n{CLOSE}",
                snippet=snippet(rest, max(stray - 40, 0), stray + 60)))
        return ParsedTurn(text=rest.strip(), calls=calls, errors=errors)

    def _read_call(self, text: str, start: int, truncated: bool,
                   tags: TagIndex) -> tuple[ToolCall | str, int]:
        """The call opened at ``start`` (or what is wrong with it) and where its text ends.
        Values are read up to their closing tag, so they may contain any other tag."""
        name = _NAME.match(text, start + len(OPEN))
        if name is None:
            return f"{OPEN} must be followed by the tool's name", _resync(tags, start + len(OPEN))
        props = _properties(self.tools.get(name.group(1)))
        args: dict[str, Any] = {}
        i = name.end()
        while True:
            i = _WS.match(text, i).end()
            if text.startswith(CLOSE, i):
                return ToolCall(name=name.group(1), arguments=args), i + len(CLOSE)
            if i == len(text) or text.startswith(OPEN, i):  # missing close tag: tolerated
                if truncated:
                    return "the turn was cut off inside a call", i
                return ToolCall(name=name.group(1), arguments=args), i
            if not text.startswith(KEY, i):
                return f"expected {KEY} or {CLOSE} in the call", _resync(tags, i)
            key_end = tags.find(KEY_END, i)
            value_at = _WS.match(text, key_end + len(KEY_END)).end() if key_end >= 0 else -1
            if key_end < 0 or not text.startswith(VALUE, value_at):
                return f"{KEY} must be closed and followed by {VALUE}", _resync(tags, i)
            value_end = tags.find(VALUE_END, value_at)
            if value_end < 0:
                cut = "the turn was cut off inside a call" if truncated else \
                    f"{VALUE} is not closed by {VALUE_END}"
                return cut, len(text)
            key = text[i + len(KEY):key_end].strip()
            raw = text[value_at + len(VALUE):value_end]
            args[key] = decode_value(raw, props.get(key), quoted_strings=False)
            i = value_end + len(VALUE_END)


def _properties(tool: ToolSpec | None) -> dict[str, Any]:
    if tool is None:
        return {}
    props = function_schema(tool).get("properties")
    return props if isinstance(props, dict) else {}


def _resync(tags: TagIndex, i: int) -> int:
    """After a malformed call, continue after its closing tag (or at the next call)."""
    close = tags.find(CLOSE, i)
    if close >= 0:
        return close + len(CLOSE)
    nxt = tags.find(OPEN, i)
    return nxt if nxt >= 0 else tags.end


def _call_body(builder: GrammarBuilder, tool: ToolSpec, i: int) -> str:
    """``name\\n`` then the required arguments in schema order, then each optional one or not."""
    schema = function_schema(tool)
    props = schema.get("properties") or {}
    required = set(schema.get("required") or [])
    parts = [literal(tool.name + "\n")]
    ordered = [k for k in props if k in required] + [k for k in props if k not in required]
    for j, key in enumerate(ordered):
        if tool.kind == "custom":
            value = custom_input_rule(builder, tool, f"tw-in-{i}", "tw-raw")
        else:
            value = value_rule(builder, props[key], f"tw-arg-{i}-{j}", "tw-raw")
        opening, closing = literal(f"{KEY}{key}{KEY_END}\n{VALUE}"), literal(f"{VALUE_END}\n")
        pair = f"{opening} {value} {closing}"
        parts.append(pair if key in required else f"( {pair} )?")
    return " ".join(parts)
