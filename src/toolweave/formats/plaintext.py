"""Plaintext tool calls: GPT-5-style custom tools in a line syntax, no JSON to get wrong.

A call is a block of whole lines::

    CALL run_sql
    SELECT name FROM users WHERE id = 3
    END

A custom tool's input is the raw text between the ``CALL`` line and the ``END`` line (it must
satisfy the tool's ``input_format``; it cannot contain a line starting with ``END``). A
function tool's input is one ``key: value`` line per argument: strings raw, other values as
JSON (``a: 2``, ``flags: ["x"]``); a string that would not survive that (a newline, surrounding
blanks, a leading quote, or text that reads as another type) is written as a JSON string.

Which tools are custom, and each parameter's type, come from the tools the format is bound to
(``PlaintextFormat(tools)``, ``.bind(tools)`` or ``get_format("plaintext", tools)``). For a
tool it does not know, `parse` returns ``{"input": <raw text>}``: bind the format to read
function tools' arguments.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from toolweave.constraints.gbnf import GrammarBuilder, literal
from toolweave.formats.base import (
    MAX_CALLS,
    THOUGHT_MAX_CHARS,
    ParsedTurn,
    ParseError,
    TextFormat,
    calls_rule,
    check_results,
    dumps,
    function_schema,
    snippet,
)
from toolweave.formats.values import custom_input_rule, decode_value, encode_value, value_rule
from toolweave.text import WORD_JOINER
from toolweave.types import Message, ToolCall, ToolSpec

_CALL = re.compile(r"CALL[ \t]+(\S+)[ \t\r]*")
_KEYWORD_LINE = re.compile(r"(?m)^([ \t]*)(CALL|END|RESULT)\b")


def _defuse_lines(result: str) -> str:
    """``result`` with its lines that begin like this format's markup (CALL, END, RESULT)
    broken by a word joiner, so that they read as text."""
    return _KEYWORD_LINE.sub(lambda m: m[1] + m[2][0] + WORD_JOINER + m[2][1:], result)
_KEY_VALUE = re.compile(r"\s*([^:\s][^:]*?)\s*:(.*)", re.DOTALL)

_INTRO = """\
# Tools

You can call the tools below. To call a tool, write these lines:
CALL <tool name>
<input>
END
Put any thinking first, then one or more CALL blocks, and nothing after the last END.
If you need no tool, just write your answer."""

# Lines that cannot start a call (free text) or end one (custom input), spelled out letter by
# letter because GBNF has no negative lookahead.
_NOT_CALL = ('[^C\\n] [^\\n]* | "C" ( [^A\\n] [^\\n]* | "A" ( [^L\\n] [^\\n]* '
             '| "L" ( [^L\\n] [^\\n]* )? )? )?')
_NOT_END = '[^E\\n] [^\\n]* | "E" ( [^N\\n] [^\\n]* | "N" ( [^D\\n] [^\\n]* )? )?'


class PlaintextFormat(TextFormat):
    """``CALL name`` / input lines / ``END`` blocks after free text."""

    name = "plaintext"

    def render(self, tools: Sequence[ToolSpec]) -> str:
        return "\n\n".join([_INTRO, *(_tool_doc(t) for t in tools)])

    def build_grammar(self, tools: list[ToolSpec], require_call: bool = False,
                      max_calls: int = MAX_CALLS) -> str:
        builder = GrammarBuilder()
        builder.rule("tw-free-line", _NOT_CALL)
        builder.rule("tw-input-line", _NOT_END)
        builder.rule("tw-line", "[^\\n]*")
        builder.rule("tw-input-free", '( tw-input-line? "\\n" )*')
        alternatives = [builder.rule(f"tw-call-{i}", _call_rule(builder, tool, i))
                        for i, tool in enumerate(tools)]
        if not alternatives:
            builder.rule("root", '( tw-free-line? "\\n" )* tw-free-line?')
            return builder.text()
        builder.rule("tw-call", '"CALL " ( ' + " | ".join(alternatives) + " )")
        # one short thought line at most before the calls (see hermes); only an answer is long
        builder.rule("tw-thought", f"[^C\\n] [^\\n]{{0,{THOUGHT_MAX_CHARS}}}")
        calls = '( tw-thought "\\n" )? ' + calls_rule("tw-call", max_calls)
        builder.rule("root", calls if require_call
                     else f'( tw-free-line? "\\n" )* tw-free-line? | {calls}')
        return builder.text()

    def render_call(self, call: ToolCall) -> str:
        tool = self.tools.get(call.name)
        if _takes_raw_input(tool, call.arguments):
            text = call.arguments.get("input", "")
            text = text if isinstance(text, str) else dumps(text)
            lines = [text] if text else []
        else:
            props = _properties(tool)
            lines = [f"{key}: " + encode_value(value, props.get(key), quoted_strings=True,
                                               forbidden="\n", stripped=True)
                     for key, value in call.arguments.items()]
        return "\n".join([f"CALL {call.name}", *lines, "END"])

    def results_messages(self, calls: Sequence[ToolCall],
                         results: Sequence[str]) -> list[Message]:
        """One user message of ``RESULT name`` / text / ``END RESULT`` blocks, in call order."""
        check_results(calls, results)
        if not calls:
            return []
        # a result line cannot end its block early or start a call: it is data
        blocks = [f"RESULT {c.name}\n{_defuse_lines(r)}\nEND RESULT"
                  for c, r in zip(calls, results, strict=True)]
        return [Message(role="user", content="\n\n".join(blocks))]

    def _parse(self, text: str, truncated: bool) -> ParsedTurn:
        lines = text.split("\n")  # not splitlines(): inputs keep \r, \x0b, \u2028 … as they are
        outside: list[str] = []
        calls: list[ToolCall] = []
        errors: list[ParseError] = []
        i = 0
        while i < len(lines):
            header = _CALL.fullmatch(lines[i])
            if header is None:
                outside.append(lines[i])
                i += 1
                continue
            start = i
            i += 1
            while i < len(lines) and lines[i].rstrip() != "END":
                i += 1
            body = lines[start + 1:i]
            block = "\n".join(lines[start:i + 1])
            if i == len(lines) and truncated:
                errors.append(ParseError(message="the turn was cut off inside a call",
                                         snippet=snippet(block)))
            else:  # a missing END at the very end is tolerated
                call = self._to_call(header.group(1), body)
                if isinstance(call, ToolCall):
                    calls.append(call)
                else:
                    errors.append(ParseError(message=call, snippet=snippet(block)))
            i += 1
        return ParsedTurn(text="\n".join(outside).strip(), calls=calls, errors=errors)

    def _to_call(self, name: str, body: list[str]) -> ToolCall | str:
        tool = self.tools.get(name)
        if tool is None or tool.kind == "custom":
            return ToolCall(name=name, arguments={"input": "\n".join(body)})
        props = _properties(tool)
        args: dict[str, Any] = {}
        for line in body:
            if not line.strip():
                continue
            match = _KEY_VALUE.fullmatch(line)
            if match is None:
                return f"{name} takes one `key: value` line per argument, not {line.strip()!r}"
            key, raw = match.group(1), match.group(2).strip()
            args[key] = decode_value(raw, props.get(key), quoted_strings=True)
        return ToolCall(name=name, arguments=args)


def _takes_raw_input(tool: ToolSpec | None, args: dict[str, Any]) -> bool:
    # Mirrors `_to_call`: unknown tools carry their raw text as {"input": ...}.
    if tool is not None:
        return tool.kind == "custom"
    return set(args) <= {"input"} and isinstance(args.get("input", ""), str)


def _properties(tool: ToolSpec | None) -> dict[str, Any]:
    props = function_schema(tool).get("properties") if tool is not None else None
    return props if isinstance(props, dict) else {}


def _call_rule(builder: GrammarBuilder, tool: ToolSpec, i: int) -> str:
    head = literal(tool.name + "\n")
    if tool.kind == "custom":
        if tool.input_format is None:
            return f'{head} tw-input-free "END"'
        return f'{head} {custom_input_rule(builder, tool, f"tw-in-{i}", "")} "\\nEND"'
    props = _properties(tool)
    required = set(tool.parameters.get("required") or [])
    ordered = [k for k in props if k in required] + [k for k in props if k not in required]
    parts = [head]
    for j, key in enumerate(ordered):
        value = value_rule(builder, props[key], f"tw-arg-{i}-{j}", "tw-line")
        line = f'{literal(f"{key}: ")} {value} "\\n"'
        parts.append(line if key in required else f"( {line} )?")
    return " ".join(parts + ['"END"'])


def _tool_doc(tool: ToolSpec) -> str:
    """A tool's section: its description and the exact shape of its input."""
    lines = [f"## {tool.name}"] + ([tool.description] if tool.description else [])
    if tool.kind == "custom":
        fmt = tool.input_format
        shape = ("any text" if fmt is None
                 else f"text matching the regex {fmt.value}" if fmt.kind == "regex"
                 else f"a JSON document valid under {dumps(fmt.value)}"
                 if fmt.kind == "json_schema"
                 else f"text in this {fmt.syntax} grammar:\n{fmt.value}")
        lines.append(f"Input (the lines between CALL {tool.name} and END): {shape}")
        return "\n".join(lines)
    props = _properties(tool)
    required = set(tool.parameters.get("required") or [])
    if not props:
        lines.append(f"Input: none (CALL {tool.name}, then END).")
        return "\n".join(lines)
    lines.append("Input: one `key: value` line per argument:")
    for key, schema in props.items():
        lines.append(f"{key}: {_describe(schema)}, {'required' if key in required else 'optional'}"
                     + (f" - {schema['description']}" if isinstance(schema, dict)
                        and schema.get("description") else ""))
    return "\n".join(lines)


def _describe(schema: Any) -> str:
    if not isinstance(schema, dict):
        return "any value"
    if isinstance(schema.get("enum"), list):
        return "one of " + ", ".join(str(v) for v in schema["enum"])
    kind = schema.get("type", "any value")
    if kind in ("array", "object"):
        return f"{kind} as JSON"
    return str(kind)
