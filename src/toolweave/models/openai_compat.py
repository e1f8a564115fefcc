"""`OpenAICompatible`: any server that speaks ``/v1/chat/completions`` (vLLM, sglang, Ollama,
llama-server, llama-cpp-python's server, hosted APIs), streamed over SSE.

Every request streams (``stream: true`` with ``stream_options.include_usage``) so the first token
reaches the caller as soon as the server has it. Constraints go out in each server's own
structured-output fields, chosen by a *dialect*; a constraint a dialect cannot carry is refused
before any request is sent, never dropped.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import random
import time
from collections.abc import AsyncIterator, Sequence
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit, urlunsplit

import httpx

from toolweave.constraints import check, to_gbnf
from toolweave.errors import (
    ModelSpecError,
    ServerError,
    ServerProtocolError,
    ServerUnavailableError,
)
from toolweave.models._deadline import Deadline
from toolweave.models._openai_sse import ChunkAccumulator, SseDecoder
from toolweave.models.base import DEFAULT_MAX_TOKENS, StreamingModel
from toolweave.types import Constraint, Delta, Message, ToolSpec

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_RETRY_AFTER_S = 30.0
# The whole of one generation, retries included: as long as the OpenAI SDK's default timeout.
DEFAULT_DEADLINE_S = 600.0
MAX_ERROR_BODY_BYTES = 64 * 1024  # an error page is read this far, then the status speaks
MAX_MODELS_BYTES = 4 * 1024 * 1024


class OpenAICompatible(StreamingModel):
    """A chat model behind an OpenAI-compatible HTTP server.

    ``dialect`` says which structured-output fields the server understands (see
    `DIALECT_CONSTRAINTS`): ``openai`` (hosted OpenAI and the generic default: JSON Schema via
    ``response_format``), ``vllm`` (``structured_outputs``), ``sglang`` (``regex``/``ebnf``),
    ``llama-cpp`` (llama-cpp-python's server: every constraint compiled here to a GBNF
    ``grammar``) and ``llama-server`` (llama.cpp's C++ server: ``json_schema``/``grammar``).

    ``reasoning`` effort other than ``auto`` is sent as ``reasoning_effort`` to the ``openai`` and
    ``vllm`` dialects only; the other servers have no such field and it is ignored for them.

    The API key is ``api_key``, else one written in the URL (``https://:KEY@host/v1``: taken
    out of the URL, so it is never shown), else ``$TOOLWEAVE_API_KEY``, else ``$OPENAI_API_KEY``
    — the last for OpenAI's own hosts only: a key for one provider is not handed to whatever
    server a spec names. The key is masked in every error this client raises. Failed
    requests (HTTP 429/5xx, connection errors, timeouts) are retried with exponential backoff
    until the first streamed piece has reached the caller, never after.

    ``timeout_s`` bounds each wait for the server (connecting, then every read); ``deadline_s``
    bounds a whole request, retries included, so a server that keeps the stream alive with
    ``: ping`` comments or trickles tokens cannot hold a generation forever (None: no
    deadline). Past it the stream ends with `ServerDeadlineError`. An answer that is not the
    documented shape (a field of the wrong type, data that is not JSON, an HTML page) is a
    `ServerProtocolError` naming what was wrong.
    """

    DIALECT_CONSTRAINTS: ClassVar[dict[str, frozenset[str]]] = {
        "openai": frozenset({"json_schema"}),
        "vllm": frozenset({"json_schema", "regex", "grammar:gbnf", "grammar:lark"}),
        "sglang": frozenset({"json_schema", "regex", "grammar:gbnf"}),
        "llama-cpp": frozenset({"json_schema", "regex", "grammar:gbnf"}),
        "llama-server": frozenset({"json_schema", "regex", "grammar:gbnf"}),
    }
    REASONING_DIALECTS: ClassVar[frozenset[str]] = frozenset({"openai", "vllm"})

    def __init__(self, base_url: str, model: str | None = None, *, api_key: str | None = None,
                 dialect: str = "openai", timeout_s: float = 120.0,
                 connect_timeout_s: float = 5.0, max_retries: int = 3, backoff_s: float = 0.5,
                 deadline_s: float | None = DEFAULT_DEADLINE_S):
        if dialect not in self.DIALECT_CONSTRAINTS:
            valid = ", ".join(self.DIALECT_CONSTRAINTS)
            raise ModelSpecError(f"unknown server dialect {dialect!r}: use one of {valid}")
        if deadline_s is not None and not deadline_s > 0:
            raise ModelSpecError(f"deadline_s must be a positive number of seconds or None, "
                                 f"got {deadline_s!r}")
        parts = urlsplit(base_url.rstrip("/"))
        in_url = parts.password or parts.username  # https://KEY@host and https://:KEY@host
        host = parts.hostname or ""
        # the URL without its credentials: it names the model in traces and errors
        netloc = (f"[{host}]" if ":" in host else host) + (f":{parts.port}" if parts.port else "")
        self.base_url = urlunsplit((parts.scheme, netloc, parts.path, parts.query,
                                    parts.fragment))
        self.model = model
        self.dialect = dialect
        self.constraint_kinds = self.DIALECT_CONSTRAINTS[dialect]
        self.name = model or self.base_url
        openai_host = host == "openai.com" or host.endswith(".openai.com")
        self.api_key = (api_key or in_url or os.environ.get("TOOLWEAVE_API_KEY")
                        or (os.environ.get("OPENAI_API_KEY") if openai_host else None))
        self.headers = {"Accept": "application/json, text/event-stream"}
        if self.api_key:
            self.headers["Authorization"] = f"Bearer {self.api_key}"
        self.timeout = httpx.Timeout(timeout_s, connect=connect_timeout_s)
        self.max_retries = max(0, max_retries)
        self.backoff_s = backoff_s
        self.deadline_s = deadline_s
        self._client: httpx.AsyncClient | None = None

    @classmethod
    def from_spec(cls, spec: str, **options: Any) -> OpenAICompatible:
        """Build from ``http(s)://host:port/v1[?dialect=NAME][&deadline=SECONDS][#model]``
        (``deadline=none``: no deadline); ``options`` win."""
        parts = urlsplit(spec)
        kwargs: dict[str, Any] = {"model": parts.fragment or None}
        query = parse_qs(parts.query)
        if dialect := query.get("dialect"):
            kwargs["dialect"] = dialect[-1]
        if deadline := query.get("deadline"):
            kwargs["deadline_s"] = _deadline_option(deadline[-1])
        base = urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
        return cls(base, **{**kwargs, **options})

    # -- HTTP ------------------------------------------------------------------------------------

    @property
    def client(self) -> httpx.AsyncClient:
        """The shared HTTP client, created on first use (inside the running event loop)."""
        if self._client is None or self._client.is_closed:
            self._client = httpx.AsyncClient(timeout=self.timeout)
        return self._client

    def redact(self, text: str) -> str:
        """``text`` with the API key masked (a server may echo the request's headers)."""
        return text.replace(self.api_key, "***") if self.api_key else text

    async def aclose(self) -> None:
        """Close the HTTP client; a later request opens a new one."""
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def _open(self, method: str, url: str, body: dict | None) -> httpx.Response:
        """Send one request and return the open (streaming) response, or raise.

        Raises `_Retryable` for what a later try may fix, `ServerError` for what it will not.
        """
        request = self.client.build_request(method, url, json=body, headers=self.headers)
        try:
            response = await self.client.send(request, stream=True)
        except httpx.TransportError as exc:
            raise _unavailable(f"cannot reach {url}", exc) from exc
        if response.status_code < 400:
            if not _is_html(response):
                return response
            await response.aclose()  # a login page, a proxy's, a web UI's: never SSE
            raise ServerProtocolError(f"{url} answered with an HTML page, not an API response "
                                      "(is the URL the server's /v1 base?)")
        text = await _error_body(response)
        error = ServerError(self.redact(f"{url} answered HTTP {response.status_code}: "
                                        f"{text[:300]}"))
        if response.status_code in RETRY_STATUSES:
            raise _Retryable(error, response.headers.get("retry-after"))
        raise error

    async def _pause_or_raise(self, exc: _Retryable, attempt: int,
                              deadline: Deadline | None = None) -> None:
        """Sleep before try ``attempt + 1``, or raise the typed error when none is left (no
        try left, or none that could start before the deadline)."""
        if attempt >= self.max_retries:
            raise exc.error from exc.__cause__
        delay = self.backoff_s * 2 ** attempt + random.uniform(0, self.backoff_s)
        try:  # a server that says when to come back knows better than our backoff
            delay = float(exc.retry_after) if exc.retry_after is not None else delay
        except ValueError:  # an HTTP date: rare enough to fall back to our own backoff
            pass
        if math.isnan(delay):  # "Retry-After: nan" parses as a float too
            delay = self.backoff_s
        delay = min(max(delay, 0.0), MAX_RETRY_AFTER_S)
        if deadline is not None and deadline.left() <= delay:
            raise exc.error from exc.__cause__  # the failure says more than the deadline
        await asyncio.sleep(delay)

    async def resolve_model(self) -> str:
        """The model name to send: the given one, else the first one ``GET /models`` lists."""
        url = f"{self.base_url}/models"
        for attempt in range(self.max_retries + 1 if self.model is None else 0):
            try:
                response = await self._open("GET", url, None)
                try:
                    listed = _first_model(await _read_capped(response, MAX_MODELS_BYTES))
                finally:
                    await response.aclose()
                self.model = self.name = listed or "default"  # none: the server picks its own
                break
            except _Retryable as exc:
                await self._pause_or_raise(exc, attempt)
            except (ServerError, httpx.TransportError):
                self.model = self.name = "default"
                break
        return self.model or "default"

    # -- generation ------------------------------------------------------------------------------

    async def stream(
        self, messages: Sequence[Message], *, tools: Sequence[ToolSpec] = (),
        constraint: Constraint | None = None, max_tokens: int = DEFAULT_MAX_TOKENS,
        temperature: float = 0.0, reasoning: str = "auto", stop: Sequence[str] = (),
    ) -> AsyncIterator[Delta]:
        """Text and reasoning pieces as they arrive, then one delta carrying the `Completion`."""
        self.check_constraint(constraint)  # refused before anything goes over the wire
        body = self.request_body(messages, tools=tools, constraint=constraint,
                                 max_tokens=max_tokens, temperature=temperature,
                                 reasoning=reasoning, stop=stop)
        url = f"{self.base_url}/chat/completions"
        deadline = Deadline(self.deadline_s, url)
        started = time.perf_counter()
        try:
            body["model"] = await deadline.run(self.resolve_model())
            for attempt in range(self.max_retries + 1):
                acc = ChunkAccumulator(url, started)
                try:
                    response = await deadline.run(self._open("POST", url, body))
                    try:
                        async for delta in _read_sse(response, acc, url, deadline):
                            yield delta
                    finally:
                        await response.aclose()
                except _Retryable as exc:
                    if acc.yielded:  # the caller has seen part of this answer: no repeating it
                        raise exc.error from exc.__cause__
                    await self._pause_or_raise(exc, attempt, deadline)
                    continue
                yield Delta(completion=acc.completion(self.model or ""))
                return
        except ServerError as exc:
            if self.api_key and self.api_key in str(exc):  # a server may echo the request
                raise type(exc)(self.redact(str(exc))) from None
            raise

    def request_body(self, messages: Sequence[Message], *, tools: Sequence[ToolSpec] = (),
                     constraint: Constraint | None = None, max_tokens: int = DEFAULT_MAX_TOKENS,
                     temperature: float = 0.0, reasoning: str = "auto",
                     stop: Sequence[str] = ()) -> dict[str, Any]:
        """The JSON body of a chat-completions request (without ``model``)."""
        body: dict[str, Any] = {
            "messages": [_wire_message(m) for m in messages],
            "max_tokens": max_tokens, "temperature": temperature,
            "stream": True, "stream_options": {"include_usage": True},
        }
        if stop:
            body["stop"] = list(stop)
        if tools:
            body["tools"] = [t.openai_schema() for t in tools]
        if reasoning != "auto" and self.dialect in self.REASONING_DIALECTS:
            body["reasoning_effort"] = reasoning
        if constraint is not None:
            body.update(self.constraint_fields(constraint))
        return body

    def constraint_fields(self, constraint: Constraint) -> dict[str, Any]:
        """The request fields that carry ``constraint`` in this server's dialect."""
        self.check_constraint(constraint)
        check(constraint)  # an invalid schema or regex fails here, typed, not as a server 400
        value, dialect = constraint.value, self.dialect
        if dialect == "llama-cpp":  # its server takes only GBNF; compiling here keeps one path
            return {"grammar": to_gbnf(constraint)}
        if constraint.kind == "json_schema":
            if dialect == "vllm":
                return {"structured_outputs": {"json": value}}
            if dialect == "llama-server":
                return {"json_schema": value}
            return {"response_format": {"type": "json_schema", "json_schema": {
                "name": "output", "schema": value, "strict": False}}}
        # vLLM before 0.12 took guided_json / guided_regex / guided_grammar instead of
        # structured_outputs; they were removed in 0.12, so only the current field is sent.
        if constraint.kind == "regex":
            return {"vllm": {"structured_outputs": {"regex": value}}, "sglang": {"regex": value},
                    "llama-server": {"grammar": to_gbnf(constraint)}}[dialect]
        return {"vllm": {"structured_outputs": {"grammar": value}}, "sglang": {"ebnf": value},
                "llama-server": {"grammar": value}}[dialect]


class _Retryable(Exception):
    """A failure another try may fix; ``error`` is what the caller sees if none is left."""

    def __init__(self, error: ServerError, retry_after: str | None = None):
        super().__init__(str(error))
        self.error = error
        self.retry_after = retry_after


def _unavailable(what: str, exc: Exception) -> _Retryable:
    return _Retryable(ServerUnavailableError(f"{what}: {str(exc) or type(exc).__name__}"))


def _wire_message(message: Message) -> dict[str, Any]:
    out: dict[str, Any] = {"role": message.role, "content": message.content}
    if message.tool_calls:
        out["content"] = message.content or None  # some servers reject "" beside tool calls
        out["tool_calls"] = [
            {"id": c.id, "type": "function",
             "function": {"name": c.name, "arguments": json.dumps(c.arguments)}}
            for c in message.tool_calls
        ]
    if message.tool_call_id:
        out["tool_call_id"] = message.tool_call_id
    if message.name:
        out["name"] = message.name
    return out




def _deadline_option(text: str) -> float | None:
    """A spec's ``deadline=`` value: seconds, or ``none``."""
    if text.strip().lower() in ("none", "off"):
        return None
    try:
        seconds = float(text)
    except ValueError:
        seconds = math.nan
    if not (math.isfinite(seconds) and seconds > 0):
        raise ModelSpecError(f"deadline={text!r} in the model spec: give a positive number of "
                             "seconds, or none")
    return seconds


def _is_html(response: httpx.Response) -> bool:
    kind = response.headers.get("content-type", "").split(";")[0].strip().lower()
    return kind in ("text/html", "application/xhtml+xml")


async def _read_capped(response: httpx.Response, limit: int) -> bytes:
    """At most ``limit`` bytes of the body (a hostile server's body may be endless)."""
    data = bytearray()
    async for piece in response.aiter_bytes():
        data += piece
        if len(data) >= limit:
            break
    return bytes(data[:limit])


async def _error_body(response: httpx.Response) -> str:
    """The start of an error response's body as text, and the response closed."""
    try:
        return (await _read_capped(response, MAX_ERROR_BODY_BYTES)).decode("utf-8", "replace")
    except httpx.TransportError:  # the status alone still says what went wrong
        return ""
    finally:
        await response.aclose()


def _first_model(body: bytes) -> str | None:
    """The first model id a ``GET /models`` body lists, or None when it lists none readably."""
    try:
        listed = json.loads(body)
    except (ValueError, RecursionError):
        return None
    data = listed.get("data") if isinstance(listed, dict) else None
    first = data[0] if isinstance(data, list) and data else None
    name = first.get("id") if isinstance(first, dict) else None
    return name if isinstance(name, str) and name.strip() else None


async def _read_sse(response: httpx.Response, acc: ChunkAccumulator, url: str,
                    deadline: Deadline) -> AsyncIterator[Delta]:
    """The deltas of an SSE body, each read under ``deadline``, feeding ``acc``.

    Raises `ServerProtocolError` on anything that is not a chat-completions stream."""
    decoder = SseDecoder(url)
    pieces = response.aiter_text()  # decoded with replacement characters: never raises
    try:
        while True:
            try:
                text = await deadline.run(anext(pieces), received=sum(map(len, acc.text)))
            except StopAsyncIteration:
                break
            for data in decoder.feed(text):
                for delta in acc.event(data):
                    yield delta
    except httpx.TransportError as exc:
        raise _unavailable(f"connection to {url} broke mid-stream", exc) from exc
    finally:
        await pieces.aclose()
    for data in decoder.close():
        for delta in acc.event(data):
            yield delta
    acc.check_ended()
