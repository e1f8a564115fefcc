"""Reading a chat-completions SSE stream: events out of the text (`SseDecoder`), then chunks
into deltas and one `Completion` (`ChunkAccumulator`). Pure functions of the text, no HTTP.

Everything here reads what a server sent, so nothing is assumed about its shape: a field of the
wrong type, JSON nested past reason, an event too large to hold, a body that is not SSE at all
is a `ServerProtocolError` naming the field, never a ``KeyError``/``AttributeError`` from deep
inside. Invalid UTF-8 never reaches here (the HTTP layer decodes with replacement characters);
lone surrogates from ``"\\ud800"`` escapes are replaced, by the core types and here in the
fields kept as plain strings (the model name, the finish reason, call ids).
"""

from __future__ import annotations

import json
import math
import re
import time
from typing import Any

from pydantic import ValidationError

from toolweave.errors import ServerError, ServerProtocolError
from toolweave.text import clean_text
from toolweave.types import Completion, Delta, Timings, ToolCall, Usage, new_id

# One event's data, and one line still waiting for its end. Far beyond any real chunk (a
# token or a tool-call fragment); what is bigger is a runaway or hostile server.
MAX_EVENT_CHARS = 4_000_000
# Token counts past this are not counts (and would overflow the float timings).
MAX_COUNT = 2**53
EXCERPT_CHARS = 200

_SSE_FIELDS = ("data", "event", "id", "retry")
_LINE_END = re.compile(r"\r\n|\r|\n")
_TYPE_NAMES = {str: "a string", list: "a list", dict: "an object", int: "an integer"}


def excerpt(value: Any) -> str:
    """A short, printable rendering of what a server sent, for an error message."""
    text = value if isinstance(value, str) else _json_or_repr(value)
    return repr(text[:EXCERPT_CHARS]) + ("…" if len(text) > EXCERPT_CHARS else "")


def _json_or_repr(value: Any) -> str:
    try:
        return json.dumps(value, ensure_ascii=False)
    except (ValueError, TypeError, RecursionError):
        return repr(value)[:EXCERPT_CHARS]


class SseDecoder:
    """Splits an SSE body, fed as text in pieces of any size, into the data of its events.

    Comment lines (``: ping``) are skipped; a line that is no SSE field means the body is not
    an event stream (a JSON or HTML answer) and raises `ServerProtocolError`, as does an event
    or a line longer than ``max_event_chars``.
    """

    def __init__(self, source: str, max_event_chars: int = MAX_EVENT_CHARS):
        self.source = source
        self.max_event_chars = max_event_chars
        self._pending: list[str] = []  # the unfinished last line, in the pieces it came in
        self._pending_chars = 0
        self._data: list[str] = []
        self._size = 0

    def feed(self, text: str) -> list[str]:
        """Add text; returns the data of each event it completed."""
        held_cr = bool(self._pending) and self._pending[-1].endswith("\r")
        self._pending.append(text)
        self._pending_chars += len(text)
        if self._pending_chars > self.max_event_chars:
            raise self._too_large()
        if "\n" not in text and "\r" not in text and not held_cr:
            return []  # the line goes on: joined once it ends, not at every piece
        buffer, self._pending = "".join(self._pending), []
        # a final "\r" may be the first half of "\r\n": wait for the next piece to tell
        cut = len(buffer) - 1 if buffer.endswith("\r") else len(buffer)
        *lines, rest = _LINE_END.split(buffer[:cut])
        rest += buffer[cut:]
        self._pending, self._pending_chars = ([rest] if rest else []), len(rest)
        return [event for line in lines if (event := self._line(line)) is not None]

    def close(self) -> list[str]:
        """The end of the body: the last event, if it lacked its blank line."""
        rest, self._pending, self._pending_chars = "".join(self._pending).rstrip("\r"), [], 0
        events = [] if not rest else [e for e in (self._line(rest),) if e is not None]
        if self._data:
            events.append(self._dispatch())
        return events

    def _line(self, line: str) -> str | None:
        if not line:
            return self._dispatch() if self._data else None
        if line.startswith(":"):  # a comment, e.g. a keep-alive ping
            return None
        field, _, value = line.partition(":")
        if field not in _SSE_FIELDS:
            raise ServerProtocolError(f"{self.source} did not send an SSE stream: "
                                      f"{excerpt(line)}")
        if field == "data":
            value = value.removeprefix(" ")
            self._size += len(value) + 1
            if self._size > self.max_event_chars:
                raise self._too_large()
            self._data.append(value)
        return None

    def _dispatch(self) -> str:
        data, self._data, self._size = "\n".join(self._data), [], 0
        return data

    def _too_large(self) -> ServerProtocolError:
        return ServerProtocolError(f"{self.source} sent an SSE event larger than "
                                   f"{self.max_event_chars:,} characters")


def _typed(obj: dict[str, Any], key: str, kind: type, where: str) -> Any:
    """``obj[key]`` when it is absent/null (None) or a ``kind``; else a protocol error."""
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise _Malformed(f"`{where}{key}` should be {_TYPE_NAMES[kind]}, "
                         f"got {_type_name(value)}: {excerpt(value)}")
    return value


def _count(usage: dict[str, Any], key: str, where: str = "usage.") -> int:
    """A token count from ``usage``: a finite, non-negative number (0 when absent)."""
    value = usage.get(key)
    if value is None:
        return 0
    if (isinstance(value, bool) or not isinstance(value, (int, float))
            or not (math.isfinite(value) and 0 <= value < MAX_COUNT)):
        raise _Malformed(f"`{where}{key}` should be a token count, got {excerpt(value)}")
    return int(value)


def _type_name(value: Any) -> str:
    names = {str: "a string", list: "a list", dict: "an object", bool: "a boolean",
             int: "a number", float: "a number"}
    return names.get(type(value), type(value).__name__)


class _Malformed(Exception):
    """A chunk field of the wrong shape; becomes a `ServerProtocolError` naming the source."""


class ChunkAccumulator:
    """Collects streamed ``chat.completion.chunk`` objects into one `Completion`.

    `event` takes one SSE event's data and returns the text/reasoning deltas it carries; a
    chunk that is not the documented shape raises `ServerProtocolError`, one that reports an
    error (``{"error": ...}``, as vLLM does mid-stream) `ServerError`.
    """

    def __init__(self, source: str, started: float | None = None):
        self.source = source
        self.started = time.perf_counter() if started is None else started
        self.first: float | None = None
        self.text: list[str] = []
        self.reasoning: list[str] = []
        self.calls: dict[int, dict[str, Any]] = {}
        self.finish_reason: str | None = None
        self.usage: dict[str, Any] | None = None
        self.model = ""
        self.pieces = 0  # content-bearing chunks: the token count when the server sends no usage
        self.done = False
        self.yielded = False

    def event(self, data: str) -> list[Delta]:
        """The deltas of one event; ``[DONE]`` marks the end."""
        if data.strip() == "[DONE]":
            self.done = True
            return []
        try:
            chunk = json.loads(data)
        except (ValueError, RecursionError):  # RecursionError: nested past reason
            raise ServerProtocolError(f"{self.source} sent SSE data that is not JSON: "
                                      f"{excerpt(data)}") from None
        if not isinstance(chunk, dict):
            raise ServerProtocolError(f"{self.source} sent SSE data that is not an object: "
                                      f"{excerpt(data)}")
        if "error" in chunk:  # vLLM and others report mid-stream failures this way
            raise ServerError(f"{self.source} failed mid-stream: {excerpt(chunk['error'])}")
        try:
            return self._chunk(chunk)
        except _Malformed as exc:
            raise ServerProtocolError(f"{self.source} sent a malformed chunk: {exc}") from None

    def _chunk(self, chunk: dict[str, Any]) -> list[Delta]:
        self.model = clean_text(_typed(chunk, "model", str, "") or self.model)
        self.usage = _typed(chunk, "usage", dict, "") or self.usage
        deltas = []
        for i, choice in enumerate(_typed(chunk, "choices", list, "") or []):
            if not isinstance(choice, dict):
                raise _Malformed(f"`choices[{i}]` should be an object, got {excerpt(choice)}")
            if (delta := self._choice(choice, f"choices[{i}].")) is not None:
                deltas.append(delta)
        return deltas

    def _choice(self, choice: dict[str, Any], where: str) -> Delta | None:
        finish_reason = _typed(choice, "finish_reason", str, where)
        self.finish_reason = clean_text(finish_reason) if finish_reason else self.finish_reason
        delta = _typed(choice, "delta", dict, where) or {}
        where += "delta."
        text = _typed(delta, "content", str, where) or ""
        reasoning = (_typed(delta, "reasoning_content", str, where)
                     or _typed(delta, "reasoning", str, where) or "")
        fragments = _typed(delta, "tool_calls", list, where) or []
        for i, fragment in enumerate(fragments):
            if not isinstance(fragment, dict):
                raise _Malformed(f"`{where}tool_calls[{i}]` should be an object, got "
                                 f"{excerpt(fragment)}")
            self._tool_fragment(fragment, f"{where}tool_calls[{i}].")
        if text or reasoning or fragments:
            self.first = self.first or time.perf_counter()
            self.pieces += 1
        if not (text or reasoning):
            return None
        self.text.append(text)
        self.reasoning.append(reasoning)
        self.yielded = True
        return Delta(text=text, reasoning=reasoning)

    def _tool_fragment(self, fragment: dict[str, Any], where: str) -> None:
        index = _typed(fragment, "index", int, where)
        call = self.calls.setdefault(len(self.calls) if index is None else index,
                                     {"id": None, "name": "", "arguments": ""})
        call_id = _typed(fragment, "id", str, where)
        call["id"] = clean_text(call_id) if call_id else call["id"]
        function = _typed(fragment, "function", dict, where) or {}
        call["name"] += _typed(function, "name", str, where + "function.") or ""
        call["arguments"] += _typed(function, "arguments", str, where + "function.") or ""
        if len(call["arguments"]) > MAX_EVENT_CHARS:
            raise _Malformed(f"the arguments of tool call {index} exceed "
                             f"{MAX_EVENT_CHARS:,} characters")

    def check_ended(self) -> None:
        """Raise unless the stream said it was complete (``[DONE]`` or a finish reason)."""
        if not self.done and self.finish_reason is None:
            raise ServerProtocolError(
                f"{self.source} ended the stream without [DONE] or a finish_reason "
                f"(after {sum(map(len, self.text))} characters of text)")

    def completion(self, model: str) -> Completion:
        """The whole answer so far as one `Completion` (``model`` when the server named none)."""
        end = time.perf_counter()
        try:
            usage = self.usage or {}
            details = _typed(usage, "prompt_tokens_details", dict, "usage.") or {}
            prompt = _count(usage, "prompt_tokens")
            cached = _count(details, "cached_tokens", "usage.prompt_tokens_details.")
            generated = _count(usage, "completion_tokens") or self.pieces
        except _Malformed as exc:
            raise ServerProtocolError(f"{self.source} sent a malformed chunk: {exc}") from None
        decode_s = end - (self.first or end)
        reasoning = "".join(self.reasoning)
        return Completion(
            text="".join(self.text), reasoning=reasoning or None,
            tool_calls=[_tool_call(self.calls[i]) for i in sorted(self.calls)],
            finish_reason=self.finish_reason or "stop",
            usage=Usage(prompt_tokens=prompt, prompt_tokens_evaluated=max(0, prompt - cached),
                        completion_tokens=generated),
            timings=Timings(
                time_to_first_token_s=(self.first or end) - self.started,
                total_s=end - self.started,
                tokens_per_s=(generated - 1) / decode_s if generated > 1 and decode_s > 0 else 0.0,
            ),
            model=self.model or model,
        )


def _tool_call(call: dict[str, Any]) -> ToolCall:
    """A streamed call; arguments that are not a JSON object (or are nested too deep to keep)
    stay as ``{"__raw__": text}`` for the caller to report, never raised."""
    raw, call_id = call["arguments"], call["id"] or new_id()
    try:
        arguments = json.loads(raw) if raw.strip() else {}
    except (ValueError, RecursionError):
        arguments = None
    if isinstance(arguments, dict):
        try:
            return ToolCall(id=call_id, name=call["name"], arguments=arguments)
        except ValidationError:  # nested deeper than a trace can hold
            pass
    return ToolCall(id=call_id, name=call["name"], arguments={"__raw__": raw})
