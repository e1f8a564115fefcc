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
from toolweave.models.base import DEFAULT_MAX_TOKENS, StreamingModel
from toolweave.types import (
    Completion,
    Constraint,
    Delta,
    Message,
    Timings,
    ToolCall,
    ToolSpec,
    Usage,
    new_id,
)

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_RETRY_AFTER_S = 30.0


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
                 connect_timeout_s: float = 5.0, max_retries: int = 3, backoff_s: float = 0.5):
        if dialect not in self.DIALECT_CONSTRAINTS:
            valid = ", ".join(self.DIALECT_CONSTRAINTS)
            raise ModelSpecError(f"unknown server dialect {dialect!r}: use one of {valid}")
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
        self._client: httpx.AsyncClient | None = None

    @classmethod
    def from_spec(cls, spec: str, **options: Any) -> OpenAICompatible:
        """Build from ``http(s)://host:port/v1[?dialect=NAME][#model]``; ``options`` win."""
        parts = urlsplit(spec)
        kwargs: dict[str, Any] = {"model": parts.fragment or None}
        if dialect := parse_qs(parts.query).get("dialect"):
            kwargs["dialect"] = dialect[-1]
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
            return response
        try:
            text = (await response.aread()).decode("utf-8", "replace")
        except httpx.TransportError:  # the status alone still says what went wrong
            text = ""
        await response.aclose()
        error = ServerError(self.redact(f"{url} answered HTTP {response.status_code}: "
                                        f"{text[:300]}"))
        if response.status_code in RETRY_STATUSES:
            raise _Retryable(error, response.headers.get("retry-after"))
        raise error

    async def _pause_or_raise(self, exc: _Retryable, attempt: int) -> None:
        """Sleep before try ``attempt + 1``, or raise the typed error when none is left."""
        if attempt >= self.max_retries:
            raise exc.error from exc.__cause__
        delay = self.backoff_s * 2 ** attempt + random.uniform(0, self.backoff_s)
        try:  # a server that says when to come back knows better than our backoff
            delay = float(exc.retry_after) if exc.retry_after is not None else delay
        except ValueError:  # an HTTP date: rare enough to fall back to our own backoff
            pass
        await asyncio.sleep(min(max(delay, 0.0), MAX_RETRY_AFTER_S))

    async def resolve_model(self) -> str:
        """The model name to send: the given one, else the first one ``GET /models`` lists."""
        url = f"{self.base_url}/models"
        for attempt in range(self.max_retries + 1 if self.model is None else 0):
            try:
                response = await self._open("GET", url, None)
                self.model = self.name = str(json.loads(await response.aread())["data"][0]["id"])
                break
            except _Retryable as exc:
                await self._pause_or_raise(exc, attempt)
            except (ServerError, httpx.TransportError, ValueError, LookupError, TypeError):
                self.model = self.name = "default"  # no usable list: the server picks its own
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
        body["model"] = await self.resolve_model()
        url = f"{self.base_url}/chat/completions"
        started = time.perf_counter()
        for attempt in range(self.max_retries + 1):
            acc = _Accumulator(started)
            try:
                response = await self._open("POST", url, body)
                try:
                    async for delta in _read_sse(response, acc, url):
                        yield delta
                finally:
                    await response.aclose()
            except _Retryable as exc:
                if acc.yielded:  # the caller has seen part of this answer: a retry would repeat it
                    raise exc.error from exc.__cause__
                await self._pause_or_raise(exc, attempt)
                continue
            yield Delta(completion=acc.completion(self.model or ""))
            return

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


_SSE_FIELDS = ("data", "event", "id", "retry")


async def _read_sse(response: httpx.Response, acc: _Accumulator, url: str
                    ) -> AsyncIterator[Delta]:
    """Parse the SSE body into deltas, feeding ``acc``; raise on anything that is not SSE."""
    data: list[str] = []
    try:
        async for line in response.aiter_lines():
            if not line:
                if data:
                    for delta in acc.event("\n".join(data), url):
                        yield delta
                    data = []
                continue
            if line.startswith(":"):  # a comment, e.g. a keep-alive ping
                continue
            field, _, value = line.partition(":")
            if field not in _SSE_FIELDS:
                raise ServerProtocolError(f"{url} did not send an SSE stream: {line[:200]!r}")
            if field == "data":
                data.append(value.removeprefix(" "))
    except httpx.TransportError as exc:
        raise _unavailable(f"connection to {url} broke mid-stream", exc) from exc
    if data:  # a last event without its blank line
        for delta in acc.event("\n".join(data), url):
            yield delta
    if not acc.done and acc.finish_reason is None:
        raise ServerProtocolError(
            f"{url} ended the stream without [DONE] or a finish_reason "
            f"(after {len(acc.text)} characters of text)")


class _Accumulator:
    """Collects streamed chunks into one `Completion`."""

    def __init__(self, started: float):
        self.started = started
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

    def event(self, data: str, url: str) -> list[Delta]:
        if data.strip() == "[DONE]":
            self.done = True
            return []
        try:
            chunk = json.loads(data)
        except json.JSONDecodeError:
            raise ServerProtocolError(f"{url} sent SSE data that is not JSON: {data[:200]!r}") \
                from None
        if not isinstance(chunk, dict):
            raise ServerProtocolError(f"{url} sent SSE data that is not an object: {data[:200]!r}")
        if "error" in chunk:  # vLLM and others report mid-stream failures this way
            raise ServerError(f"{url} failed mid-stream: {json.dumps(chunk['error'])[:300]}")
        self.model = chunk.get("model") or self.model
        self.usage = chunk.get("usage") or self.usage
        deltas = [self._choice(choice) for choice in chunk.get("choices") or []]
        return [d for d in deltas if d is not None]

    def _choice(self, choice: dict[str, Any]) -> Delta | None:
        self.finish_reason = choice.get("finish_reason") or self.finish_reason
        delta = choice.get("delta") or {}
        text = delta.get("content") or ""
        reasoning = delta.get("reasoning_content") or delta.get("reasoning") or ""
        for fragment in delta.get("tool_calls") or []:
            self._tool_fragment(fragment)
        if text or reasoning or delta.get("tool_calls"):
            self.first = self.first or time.perf_counter()
            self.pieces += 1
        if not (text or reasoning):
            return None
        self.text.append(text)
        self.reasoning.append(reasoning)
        self.yielded = True
        return Delta(text=text, reasoning=reasoning)

    def _tool_fragment(self, fragment: dict[str, Any]) -> None:
        call = self.calls.setdefault(int(fragment.get("index", len(self.calls))),
                                     {"id": None, "name": "", "arguments": ""})
        call["id"] = fragment.get("id") or call["id"]
        function = fragment.get("function") or {}
        call["name"] += function.get("name") or ""
        call["arguments"] += function.get("arguments") or ""

    def completion(self, model: str) -> Completion:
        end = time.perf_counter()
        usage = self.usage or {}
        prompt = int(usage.get("prompt_tokens") or 0)
        cached = int((usage.get("prompt_tokens_details") or {}).get("cached_tokens") or 0)
        generated = int(usage.get("completion_tokens") or self.pieces)
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
    raw = call["arguments"]
    try:
        arguments = json.loads(raw) if raw.strip() else {}
    except json.JSONDecodeError:
        arguments = None
    if not isinstance(arguments, dict):  # junk is kept for the caller to report, never raised
        arguments = {"__raw__": raw}
    return ToolCall(id=call["id"] or new_id(), name=call["name"], arguments=arguments)
