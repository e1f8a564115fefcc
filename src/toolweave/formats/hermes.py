"""Hermes / Qwen tool calls: one JSON object per ``<tool_call>`` block.

The format Qwen2.5/Qwen3, Jan and most open tool-tuned models are trained on (see
shared/reference/methods.md §7)::

    I'll look it up.
    <tool_call>
    {"name": "get_weather", "arguments": {"city": "Paris"}}
    </tool_call>

Several blocks per turn; results go back as one user message of ``<tool_response>`` blocks.
Custom (freeform) tools appear as functions taking ``{"input": <string>}``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from toolweave.constraints.gbnf import GrammarBuilder, literal
from toolweave.formats.base import (
    FREE_TEXT_MAX_CHARS,
    MAX_CALLS,
    ParsedTurn,
    ParseError,
    TagIndex,
    TextFormat,
    add_free_text_rule,
    cached_grammar,
    calls_rule,
    dumps,
    function_entry,
    function_schema,
    snippet,
)
from toolweave.formats.values import custom_input_rule, grammar_schema
from toolweave.types import Constraint, ToolCall, ToolSpec

OPEN, CLOSE = "<tool_call>", "</tool_call>"

# Verbatim from Qwen3's chat template (methods.md §7): the model was trained on these bytes.
_HEADER = ("# Tools\n\nYou may call one or more functions to assist with the user query.\n\n"
           "You are provided with function signatures within <tools></tools> XML tags:\n<tools>")
_FOOTER = ("</tools>\n\nFor each function call, return a json object with function name and "
           "arguments within <tool_call></tool_call> XML tags:\n<tool_call>\n"
           '{"name": <function-name>, "arguments": <args-json-object>}\n</tool_call>')

_WS = re.compile(r"\s*")
_FENCE = re.compile(r"```[A-Za-z]*[ \t]*\n?")
_DECODER = json.JSONDecoder()
# possessive (*+): a turn of nothing but whitespace must not be rescanned once per space
_BARE_CALL_START = re.compile(r'\s*+(```[A-Za-z]*+\s*+)?\[?\s*+\{\s*+"name"\s*+:')
# the common turn: one block holding one JSON object, nothing but whitespace after it
_ONE_BLOCK = re.compile(r"<tool_call>\s*(\{.*\})\s*</tool_call>\s*", re.DOTALL)


class HermesFormat(TextFormat):
    """``<tool_call>{"name": ..., "arguments": {...}}</tool_call>`` blocks after free text."""

    name = "hermes"

    def render(self, tools: Sequence[ToolSpec]) -> str:
        """The Qwen ``# Tools`` section: one JSON signature per line, in the given order."""
        lines = [dumps({"type": "function", "function": function_entry(t)}) for t in tools]
        return "\n".join([_HEADER, *lines, _FOOTER])

    def reasoned_call_grammar(self, tools: Sequence[ToolSpec]) -> Constraint:
        """A turn that must give a one-line rationale, then call (a distillation teacher's turn:
        the rationale becomes a training target; see `toolweave.distill`)."""
        return cached_grammar(
            self.name, tools,
            lambda ts: Constraint.grammar(self.build_grammar(ts, True, reason_first=True)),
            variant=":reasoned")

    def build_grammar(self, tools: list[ToolSpec], require_call: bool = False,
                      reason_first: bool = False, max_calls: int = MAX_CALLS) -> str:
        builder = GrammarBuilder()
        add_free_text_rule(builder)
        alternatives = []
        for i, tool in enumerate(tools):
            head = literal(f'{dumps(tool.name)}, "arguments": ')
            args = _args_rule(builder, tool, i)
            alternatives.append(builder.rule(f"tw-call-{i}", f"{head} {args}"))
        # an answer does not open with "{", a quote or a code fence (how Qwen writes bare calls)
        builder.rule("tw-lead", f'[^<{{`" \\t\\n] [^<]{{0,{FREE_TEXT_MAX_CHARS - 1}}}')
        if not alternatives:
            builder.rule("root", "tw-lead")
            return builder.text()
        names = " ( " + " | ".join(alternatives) + " ) "
        builder.rule("tw-call", literal(OPEN + '\n{"name": ') + names + literal("}\n" + CLOSE))
        # Small Qwen models often write a call as bare JSON, without the tags. Rather than let
        # that pass as a final answer, a turn that opens with "{" must be a well-formed call.
        # Several bare calls go one per line; a newline after the last is allowed too, so
        # that a model closing its JSON with a newline is not forced into another call.
        builder.rule("tw-bare-1", literal('{"name": ') + names + literal("}"))
        builder.rule("tw-bare", calls_rule("tw-bare-1", max_calls) + ' "\\n"?')
        # A thought before calls is short (so a rambling model still reaches its call within the
        # step's tokens, and a turn is never cut inside a call); only an answer may be long.
        calls = calls_rule("tw-call", max_calls)
        # A required call comes at once: a small model made to "think" first talks itself
        # into made-up facts, then calls with whatever its thought ended on.
        if reason_first:
            # one line, with no JSON or code in it: left free, a teacher writes the call
            # itself into its "rationale" and then again as the call
            builder.rule("tw-reason",
                         f'[^<{{`" \\t\\n] [^<{{}}`\\n]{{8,{REASON_MAX_CHARS}}} "\\n"')
            builder.rule("root", f"tw-reason {calls}")
        else:
            builder.rule("root", f"tw-bare | {calls}" if require_call
                         else f"tw-bare | tw-lead | tw-thought {calls}")
        return builder.text()

    def render_call(self, call: ToolCall) -> str:
        return f"{OPEN}\n{dumps({'name': call.name, 'arguments': call.arguments})}\n{CLOSE}"

    def _parse(self, text: str, truncated: bool) -> ParsedTurn:
        return parse_hermes(text, truncated)


REASON_MAX_CHARS = 240  # one line of rationale before a required call


def _args_rule(builder: GrammarBuilder, tool: ToolSpec, i: int) -> str:
    fmt = tool.input_format
    if tool.kind == "custom" and fmt is not None and fmt.kind != "json_schema":
        # The input format constrains the JSON string's characters as they are written; inputs
        # needing escapes (quotes, backslashes, newlines) would come out as invalid JSON.
        inner = custom_input_rule(builder, tool, f"tw-in-{i}", "")
        return builder.rule(f"args-{i}", literal('{"input": "') + f" {inner} " + literal('"}'))
    return builder.schema(grammar_schema(function_schema(tool)), f"args-{i}")


def parse_hermes(text: str, truncated: bool = False) -> ParsedTurn:
    """Read ``<tool_call>`` blocks. Tolerates a missing closing tag at the very end, code
    fences, an extra ``}``, an object opened with ``{{`` (as some chat templates show
    it), and ``arguments`` given as a JSON string; reports anything else
    (single quotes, bad JSON) as a `ParseError` while keeping the calls that did parse."""
    one = _one_call(text)
    return one if one is not None else _parse_blocks(text, truncated)


def _parse_blocks(text: str, truncated: bool) -> ParsedTurn:
    """`parse_hermes` of any turn: every block read in turn, errors reported."""
    outside: list[str] = []
    calls: list[ToolCall] = []
    errors: list[ParseError] = []
    tags = TagIndex(text, OPEN, CLOSE)
    pos = 0
    while (start := text.find(OPEN, pos)) >= 0:
        outside.append(text[pos:start])
        # max(): whatever a block holds, the scan moves on (no malformed input can loop it)
        pos = max(_read_block(text, start, truncated, calls, errors, tags), start + len(OPEN))
    outside.append(text[pos:])
    if not calls and not errors:
        bare, rest = _bare_calls(text)
        if bare:
            # calls one per line whose last was cut off: the whole ones stand, the cut one is
            # reported (a small model lists variations of its call until the token cap)
            cut = [ParseError(message="the turn was cut off inside a call"
                              + ("" if truncated else " (it is not valid JSON)"),
                              snippet=snippet(rest))] if rest else []
            return ParsedTurn(text="", calls=bare, errors=cut)
        if _BARE_CALL_START.match(text):
            # a bare call that does not parse (cut off by the token cap, as a call repeating
            # an expression until the cap is): not an answer
            errors.append(ParseError(message="the call is not valid JSON"
                                     + (" (the turn was cut off)" if truncated else ""),
                                     snippet=snippet(text)))
    return ParsedTurn(text="".join(outside).strip(), calls=calls, errors=errors)


def _one_call(text: str) -> ParsedTurn | None:
    """The turn most turns are — text, then one well-formed block with one call, then nothing
    — read without the general scan (every agent step parses one); None for any other turn,
    which the general reader takes, errors and all."""
    start = text.find(OPEN)
    if start < 0 or text.count(OPEN, start + 1) or text.count(CLOSE) != 1:
        return None
    match = _ONE_BLOCK.fullmatch(text, start)
    if match is None:
        return None
    try:
        # the block is one object from its "{" to its last "}": what json.loads would read,
        # without its checks of options and of the whitespace around it
        body = match[1]
        obj, end = _DECODER.raw_decode(body)
        if end != len(body):
            return None  # more than one value: the general reader says so
    except (ValueError, RecursionError):
        return None  # the general reader says what is wrong with it
    call = _to_call(obj)
    return ParsedTurn(text=text[:start].strip(), calls=[call]) if isinstance(call, ToolCall) \
        else None


def _bare_calls(text: str) -> tuple[list[ToolCall], str]:
    """Calls written as bare JSON (no tags) when that JSON is the whole turn, and the text of
    a last call that does not parse (one per line, the last cut off); ([], "") when the turn
    is not such calls."""
    body = text.strip()
    if fence := _FENCE.match(body):
        body = body[fence.end():]
    body = body.removesuffix("```").strip()  # a closing fence, even one that was never opened
    if not body.startswith(("{", "[")):
        return [], ""
    items: list[Any] = []
    pos, rest = 0, ""
    while pos < len(body):  # one JSON value, or several on their own lines (parallel calls)
        try:
            obj, end = _DECODER.raw_decode(body, _inside_doubled_brace(body, pos))
        except (ValueError, RecursionError):
            if not items or not body.startswith(("{", "["), pos):
                return [], ""
            rest = body[pos:]  # a last call that was never finished
            break
        items += obj if isinstance(obj, list) else [obj]
        pos = _skip_extra_braces(body, end)
    if not items or not all(isinstance(item, dict) and "name" in item for item in items):
        return [], ""
    calls = [_to_call(item) for item in items]
    return (calls, rest) if all(isinstance(c, ToolCall) for c in calls) else ([], "")


def _read_block(text: str, start: int, truncated: bool, calls: list[ToolCall],
                errors: list[ParseError], tags: TagIndex) -> int:
    """Parse the block opened at ``start``; returns where the text after it begins."""
    i = _skip(text, start + len(OPEN))
    if fence := _FENCE.match(text, i):
        i = _skip(text, fence.end())
    i = _inside_doubled_brace(text, i)
    try:
        obj, end = _decode(text, i, tags)
    except (ValueError, RecursionError) as exc:
        close = tags.find(CLOSE, i)
        stop = close if close >= 0 else _next_open(tags, i)
        body = text[i:stop]
        hint = ("single quotes are not JSON: write the call with double quotes"
                if "'" in body and '"' not in body else f"the call is not valid JSON ({exc})")
        if close < 0 and truncated:
            hint = "the turn was cut off inside a call"
        errors.append(ParseError(message=hint, snippet=snippet(text, start, stop + len(CLOSE))))
        return close + len(CLOSE) if close >= 0 else stop
    end = _skip(text, end)
    if text.startswith("```", end):
        end = _skip(text, end + 3)
    end = _skip_extra_braces(text, end)
    if text.startswith(CLOSE, end):
        end += len(CLOSE)
    elif end < len(text) and not text.startswith(OPEN, end):
        close = tags.find(CLOSE, end)
        stop = close + len(CLOSE) if close >= 0 else _next_open(tags, end)
        errors.append(ParseError(message=f"unexpected text after the call's JSON, before {CLOSE}",
                                 snippet=snippet(text, start, stop)))
        return stop
    elif truncated:
        errors.append(ParseError(message="the turn was cut off before " + CLOSE,
                                 snippet=snippet(text, start)))
        return end
    if obj == []:
        errors.append(ParseError(message="an empty list is not a call",
                                 snippet=snippet(text, start, end)))
    for item in obj if isinstance(obj, list) else [obj]:
        call = _to_call(item)
        if isinstance(call, ToolCall):
            calls.append(call)
        else:
            errors.append(ParseError(message=call, snippet=snippet(text, start, end)))
    return end


def _decode(text: str, i: int, tags: TagIndex) -> tuple[Any, int]:
    """The JSON value at ``i`` and where it ends. Decoded from a slice that ends at a later
    ``<tool_call>`` (widened while the value runs past it, e.g. a string mentioning the tag):
    json's errors count lines from the start of what they were given, so decoding the whole
    rest of the text for each of many broken blocks would be quadratic."""
    if text[i:i + 1] not in ("{", "["):
        raise ValueError("expected a JSON object")
    reach = 1
    while True:
        stop = i
        for _ in range(reach):
            stop = tags.find(OPEN, stop + 1)
            if stop < 0:
                break
        chunk = text[i:stop] if stop >= 0 else text[i:]
        try:
            obj, end = _DECODER.raw_decode(chunk)
            return obj, i + end
        except json.JSONDecodeError as exc:
            ran_out = exc.pos >= len(chunk) - 1 or exc.msg.startswith("Unterminated string")
            if stop < 0 or not ran_out:
                raise
            reach *= 2


def _to_call(obj: Any) -> ToolCall | str:
    """A call from a decoded JSON object, or a message saying what is wrong with it."""
    if isinstance(obj, dict) and isinstance(obj.get("function"), dict):
        obj = obj["function"]  # the OpenAI shape, which some models echo back
    if not isinstance(obj, dict):
        return 'a call must be a JSON object {"name": ..., "arguments": {...}}'
    name = obj.get("name")
    if not isinstance(name, str) or not name.strip():
        return 'the call has no "name" string'
    args = obj.get("arguments", obj.get("parameters"))
    if args is None or args == "":
        args = {}
    if isinstance(args, str):
        try:
            args = json.loads(args)
        except (ValueError, RecursionError):
            return f'"arguments" of {name} is a string that is not a JSON object'
    if not isinstance(args, dict):
        return f'"arguments" of {name} must be a JSON object'
    return ToolCall(name=name.strip(), arguments=args)


def _skip(text: str, i: int) -> int:
    return _WS.match(text, i).end()


def _inside_doubled_brace(text: str, i: int) -> int:
    """Where the call object starts when it opens with ``{{``. Some chat templates (the one in
    the Qwen2.5-Coder-1.5B GGUF of the bench model) show the call as ``{{"name": …}}``, a Jinja
    escape left inside a string literal, and models that copy it open the object twice.
    ``{{`` is never valid JSON, so stepping over the outer brace reads no valid input
    differently; the extra closing brace is then skipped like any other
    (`_skip_extra_braces`)."""
    if text.startswith("{", i) and text.startswith("{", inner := _skip(text, i + 1)):
        return inner
    return i


def _skip_extra_braces(text: str, i: int) -> int:
    """Past whitespace and stray ``}`` after a call: small models often close the object once
    too often (or twice, after opening it with ``{{``)."""
    i = _skip(text, i)
    while text.startswith("}", i):
        i = _skip(text, i + 1)
    return i


def _next_open(tags: TagIndex, i: int) -> int:
    nxt = tags.find(OPEN, i)
    return nxt if nxt >= 0 else tags.end
