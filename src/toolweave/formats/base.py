"""The `ToolFormat` interface: how tools are shown to a model and how its calls are read back.

A format is pure text <-> calls. It renders the tool docs for the system prompt, builds the
grammar one assistant turn must follow, parses a turn into free text plus calls (never raising:
junk becomes `ParseError` values the agent can show the model), and writes calls and results
back into the history the way the model was trained to see them.

`TextFormat` holds what the formats that write calls into the text share: the grammar cache,
optional tool binding (so values can be decoded per the tool's schema), and the
never-raise guard around parsing.
"""

from __future__ import annotations

import json
import threading
from bisect import bisect_left
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

from pydantic import BaseModel, Field, ValidationError

from toolweave._identity_cache import MISSING, IdentityCache
from toolweave._json_encoding import one_shot
from toolweave.text import defuse
from toolweave.types import Completion, Constraint, Message, Text, ToolCall, ToolSpec

SNIPPET_CHARS = 200


class ParseError(BaseModel):
    """Why part of a turn could not be read as a call, with the offending text."""

    message: Text
    snippet: Text = ""


class ParsedTurn(BaseModel):
    """One assistant turn, read: the text outside the calls, the calls, and what went wrong.

    ``text`` is the thought when there are calls, else the final answer.
    """

    text: Text = ""  # lone surrogates replaced: the answer goes into traces and prompts
    calls: list[ToolCall] = Field(default_factory=list)
    errors: list[ParseError] = Field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when the turn parsed cleanly."""
        return not self.errors


@runtime_checkable
class ToolFormat(Protocol):
    """A wire format for tool calls (hermes, openai, glm-xml, plaintext)."""

    name: str
    native: bool  # True only when tools go to the backend natively (openai)

    def render(self, tools: Sequence[ToolSpec]) -> str: ...
    def grammar(self, tools: Sequence[ToolSpec],
                require_call: bool = False, max_calls: int = ...) -> Constraint | None: ...
    def parse(self, text: str) -> ParsedTurn: ...
    def parse_completion(self, completion: Completion) -> ParsedTurn: ...
    def assistant_message(self, text: str, calls: Sequence[ToolCall]) -> Message: ...
    def results_messages(self, calls: Sequence[ToolCall],
                         results: Sequence[str]) -> list[Message]: ...


def snippet(text: str, start: int = 0, end: int | None = None) -> str:
    """A short excerpt of ``text[start:end]`` for error messages."""
    part = text[start:end]
    return part if len(part) <= SNIPPET_CHARS else part[:SNIPPET_CHARS] + "…"


INVALID = object()  # what `loads` returns for text that is not JSON


def loads(text: str) -> Any:
    """``json.loads`` that returns `INVALID` instead of raising (also on absurd nesting)."""
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return INVALID


# One encoder for every call: json.dumps builds a new JSONEncoder whenever it gets an option
# (and `one_shot` keeps its C encoder too).
_ENCODE = one_shot(json.JSONEncoder(ensure_ascii=False))


def dumps(value: Any) -> str:
    """Compact-but-readable one-line JSON, as HF chat templates' ``tojson`` writes it."""
    return _ENCODE(value)


def function_schema(tool: ToolSpec) -> dict[str, Any]:
    """The JSON Schema of a tool's arguments; a custom tool takes ``{"input": <string>}``."""
    if tool.kind == "function":
        return tool.parameters
    input_schema: dict[str, Any] = {"type": "string"}
    fmt = tool.input_format
    if fmt is not None and fmt.kind == "regex":
        input_schema["pattern"] = fmt.value
    elif fmt is not None and fmt.kind == "grammar":
        input_schema["description"] = f"text in this {fmt.syntax} grammar:\n{fmt.value}"
    elif fmt is not None and fmt.kind == "json_schema":
        input_schema["description"] = f"a JSON document valid under: {dumps(fmt.value)}"
    return {"type": "object", "properties": {"input": input_schema}, "required": ["input"]}


def function_entry(tool: ToolSpec) -> dict[str, Any]:
    """``{"name", "description", "parameters"}`` of a tool, custom tools included."""
    return {"name": tool.name, "description": tool.description,
            "parameters": function_schema(tool)}


# The free text before the calls, capped: past it the grammar allows only a call or the end.
# About 300 tokens, more than an agent step's max_tokens usually leaves; and cheap (measured with
# the tiny model: compiling and decoding no slower than with an unbounded `[^<]*`).
FREE_TEXT_MAX_CHARS = 1200
# When a call is required, the text before it is a thought: short, so that a rambling model
# reaches its call within the step's token budget.
THOUGHT_MAX_CHARS = 160
# A turn's grammar allows at most MAX_CALLS calls (`calls_rule`): a looping small model stops
# instead of filling its token budget with copies of one call. Agents may ask for fewer.
MAX_CALLS = 6


def calls_rule(call: str, max_calls: int = MAX_CALLS) -> str:
    """GBNF for one to ``max_calls`` ``call``s, one per line."""
    return f'{call} ( "\\n" {call} ){{0,{max(1, max_calls) - 1}}}'


def add_free_text_rule(builder) -> None:
    """``tw-free``: text that cannot start a ``<``-tag (so no call marker), capped.

    No ``<think>`` block is allowed: a grammar-constrained turn has no room for reasoning (a
    thinking model reasons unconstrained first, then answers under the grammar); letting one
    in lets the model hide malformed calls inside it."""
    builder.rule("tw-free", f"[^<]{{0,{FREE_TEXT_MAX_CHARS}}}")
    # a thought does not open with "{": that would be a bare JSON call, which small models
    # then repeat inside the "thought" (formats with a bare-call path offer that instead)
    builder.rule("tw-thought", f'( [^<{{`" \\t\\n] [^<]{{0,{THOUGHT_MAX_CHARS - 1}}} )?')


class TagIndex:
    """Where each of a format's tags occurs, found once per text: searching the rest of the text
    again for every malformed block would make a turn of many broken blocks quadratic."""

    def __init__(self, text: str, *tags: str):
        self.end = len(text)
        self._at = {tag: _positions(text, tag) for tag in tags}

    def find(self, tag: str, i: int) -> int:
        """Like ``text.find(tag, i)``: the first occurrence at or after ``i``, or -1."""
        at = self._at[tag]
        k = bisect_left(at, i)
        return at[k] if k < len(at) else -1


def _positions(text: str, tag: str) -> list[int]:
    """Every (non-overlapping) start of ``tag`` in ``text``, as ``re.finditer`` would find."""
    at, i = [], text.find(tag)
    while i >= 0:
        at.append(i)
        i = text.find(tag, i + (len(tag) or 1))
    return at


# -- the grammar cache ------------------------------------------------------------------------
# Keyed by (format, tool set as JSON): building a grammar runs llama.cpp's schema converter for
# every tool, and the in-process backend keeps parsed grammars by their text, so handing back
# the very same Constraint each step keeps constrained decoding cheap. Bounded because
# retrieval can produce many different tool sets over a long-lived process.
_GRAMMARS: OrderedDict[tuple[str, tuple[str, ...]], Constraint | None] = OrderedDict()
_GRAMMARS_LOCK = threading.Lock()
_GRAMMARS_MAX = 64
# Fast path, every step of a run: the very same spec objects as last time. Serialising a
# thousand specs per step to build the content key would cost more than the step itself.
_BY_IDENTITY: IdentityCache[Constraint | None] = IdentityCache(_GRAMMARS_MAX)


def cached_grammar(format_name: str, tools: Sequence[ToolSpec], build,
                   variant: str = "") -> Constraint | None:
    """``build(tools)`` once per (format, tool set, variant); later calls return the same object."""
    hit = _BY_IDENTITY.get(tools, format_name + variant)
    if hit is not MISSING:
        return hit  # type: ignore[return-value]
    key = (format_name + variant, tuple(t.model_dump_json() for t in tools))
    with _GRAMMARS_LOCK:
        if key in _GRAMMARS:
            _GRAMMARS.move_to_end(key)
            return _BY_IDENTITY.put(tools, format_name + variant, _GRAMMARS[key])
        built = _GRAMMARS[key] = build(list(tools))
        while len(_GRAMMARS) > _GRAMMARS_MAX:
            _GRAMMARS.popitem(last=False)
        return _BY_IDENTITY.put(tools, format_name + variant, built)


class TextFormat:
    """Base of the formats that write calls into the assistant text.

    A format may be *bound* to the tool set (``fmt.bind(tools)``, or the constructor): parsers
    that have no types in the text (glm-xml strings, plaintext) then decode each value per its
    tool's schema. Unbound, they fall back to generic rules (documented per format).
    """

    name = ""
    native = False

    def __init__(self, tools: Sequence[ToolSpec] = ()):
        self.tools: dict[str, ToolSpec] = {t.name: t for t in tools}

    def bind(self, tools: Sequence[ToolSpec]):
        """A copy of this format that knows ``tools`` (for schema-aware parsing)."""
        return type(self)(tools)

    def grammar(self, tools: Sequence[ToolSpec], require_call: bool = False,
                max_calls: int = MAX_CALLS) -> Constraint | None:
        """The GBNF grammar of one assistant turn; built once per tool set.

        ``require_call`` leaves out the final-answer path: the turn must call a tool (a
        ``tool_choice="required"`` for models that would otherwise answer from memory).
        ``max_calls`` caps the calls of the turn.
        """
        return cached_grammar(
            self.name, tools,
            lambda ts: Constraint.grammar(self.build_grammar(ts, require_call and bool(ts),
                                                             max_calls=max_calls)),
            variant=(":required" if require_call else "")
            + (f":calls{max_calls}" if max_calls != MAX_CALLS else ""))

    def build_grammar(self, tools: list[ToolSpec], require_call: bool = False,
                      max_calls: int = MAX_CALLS) -> str:  # pragma: no cover - abstract
        raise NotImplementedError

    def parse(self, text: str) -> ParsedTurn:
        """Free text and calls of one turn. Never raises."""
        return guarded_parse(self._parse, text, truncated=False)

    def parse_completion(self, completion: Completion) -> ParsedTurn:
        """Like `parse`; a turn cut off by ``max_tokens`` makes an unclosed last call an error
        instead of a tolerated missing closing tag (its arguments may be cut short too)."""
        return guarded_parse(self._parse, completion.text,
                             truncated=completion.finish_reason == "length")

    def _parse(self, text: str, truncated: bool) -> ParsedTurn:  # pragma: no cover - abstract
        raise NotImplementedError

    def assistant_message(self, text: str, calls: Sequence[ToolCall]) -> Message:
        """The turn as history: the calls live in ``content`` (the model wrote them as text);
        ``tool_calls`` stays empty so a chat template does not render them a second time."""
        blocks = [self.render_call(c) for c in calls]
        content = "\n".join(([text] if text else []) + blocks)
        return Message(role="assistant", content=content)

    def render_call(self, call: ToolCall) -> str:  # pragma: no cover - abstract
        raise NotImplementedError

    def results_messages(self, calls: Sequence[ToolCall],
                         results: Sequence[str]) -> list[Message]:
        """Tool results as one user message of ``<tool_response>`` blocks, in call order."""
        check_results(calls, results)
        if not calls:
            return []
        # a result cannot close its block (or open another, or write a call): it is data
        blocks = [f"<tool_response>\n{defuse(r, _RESPONSE_MARKUP)}\n</tool_response>"
                  for r in results]
        return [Message(role="user", content="\n".join(blocks))]


MAX_ERRORS = 10
_RESPONSE_MARKUP = ("<tool_response>", "</tool_response>", "<tool_call>", "</tool_call>")


def guarded_parse(parse, text: str, truncated: bool) -> ParsedTurn:
    """``parse(text, truncated)`` that never raises, with at most `MAX_ERRORS` errors (they are
    shown to the model; a thousand broken blocks need not be listed one by one)."""
    if not isinstance(text, str):
        return ParsedTurn(errors=[ParseError(message=f"expected text, got {type(text)}")])
    try:
        turn = parse(text, truncated)
    except ValidationError as exc:  # a call the types refuse (arguments nested too deep)
        reason = exc.errors()[0]["msg"].removeprefix("Value error, ")
        return ParsedTurn(text=text.strip(), errors=[
            ParseError(message=f"the call cannot be taken: {reason}", snippet=snippet(text))])
    except Exception as exc:  # noqa: BLE001 - a parser bug must not crash an agent run
        return ParsedTurn(text=text.strip(), errors=[
            ParseError(message=f"internal parser error: {exc!r}", snippet=snippet(text))])
    if len(turn.errors) > MAX_ERRORS:
        more = len(turn.errors) - MAX_ERRORS
        turn.errors = [*turn.errors[:MAX_ERRORS],
                       ParseError(message=f"… and {more} more malformed calls")]
    return turn


def check_results(calls: Sequence[ToolCall], results: Sequence[str]) -> None:
    if len(calls) != len(results):
        raise ValueError(f"{len(calls)} calls but {len(results)} results: pair each call "
                         "with exactly one result")
