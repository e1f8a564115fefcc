"""`Tool`: a callable the model can use, and the `@tool` decorator that makes one.

A Tool pairs a `ToolSpec` (what the model sees) with a Python callable (what runs). Its one
job at run time is `Tool.invoke`: arguments in, an `Observation` out, never an exception —
bad arguments, errors, hangs and floods of output all come back as text the model can act on.

Timeouts: a sync tool (``def``) runs on a worker thread (tools/_workers.py); at its timeout the
caller stops waiting and the call runs on in the background, off the worker pool, since a thread
cannot be stopped. A sync tool whose last calls each returned within a millisecond runs on the
calling thread instead, under an alarm that interrupts it at its timeout (tools/_inline.py).
An async tool (``async def``) runs on the event loop and is cancelled at its timeout, but only
at an ``await``: one that blocks (``time.sleep``, blocking I/O, long CPU work)
cannot be interrupted and holds up everything else on the loop meanwhile. Such a call is
reported as a timeout once it returns, if it returned late. Blocking work belongs in a sync tool.
"""

from __future__ import annotations

import asyncio
import inspect
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any, Literal

from pydantic import BaseModel

from toolweave.tools import _inline
from toolweave.tools._docstrings import parse_docstring
from toolweave.tools._output import DEFAULT_MAX_OUTPUT_CHARS, cap, reported_error, to_text
from toolweave.tools._workers import BLOCKING_WAIT_S, WORKERS, WorkersExhausted
from toolweave.tools.arguments import (
    ArgumentError,
    Prepare,
    custom_input,
    raw_arguments,
    validated_arguments,
)
from toolweave.tools.errors import ToolDefinitionError
from toolweave.tools.schema import build_arguments_model, json_schema, read_signature
from toolweave.types import Constraint, Observation, ToolCall, ToolSpec

DEFAULT_TIMEOUT_S = 30.0
# A sync tool whose last this many calls returned within the worker hand-off's wait runs inline
INLINE_AFTER = 2
# OpenAI-compatible servers accept ^[a-zA-Z0-9_-]{1,64}$; keep every tool inside that.
_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class Tool:
    """A tool: its `ToolSpec`, the callable behind it, a timeout and an output cap.

    Build one with `@tool`, `Tool.from_function` or, for a callable that takes the raw
    arguments dict (an MCP client, say), `Tool.from_callable`.
    """

    def __init__(
        self,
        spec: ToolSpec,
        fn: Callable[..., Any],
        prepare: Prepare,
        *,
        timeout_s: float | None = DEFAULT_TIMEOUT_S,
        max_output_chars: int | None = DEFAULT_MAX_OUTPUT_CHARS,
        arguments_model: type[BaseModel] | None = None,
        stateful: bool = False,
        idempotent: bool | None = None,
        requires_confirmation: bool = False,
    ) -> None:
        if not _NAME.match(spec.name):
            raise ToolDefinitionError(
                f"tool name {spec.name!r} is not valid: use 1-64 letters, digits, '_' or '-' "
                "(pass name=... to @tool)"
            )
        self.spec = spec
        self.fn = fn
        self.timeout_s = timeout_s
        self._quick_calls = 0  # calls in a row that returned within the hand-off wait
        self.max_output_chars = max_output_chars
        self.arguments_model = arguments_model
        # calls that change shared state run in the order written, never side by side
        self.stateful = stateful
        # whether running a call twice does no harm: a resumed run re-runs such a call whose
        # result was lost, and reports any other as of unknown outcome (`runtime.replay`)
        self.idempotent = not stateful if idempotent is None else idempotent
        # a call runs only when the run's confirmation hook says yes (`runtime.policy`)
        self.requires_confirmation = requires_confirmation
        self._prepare = prepare
        self._is_async = _is_async_callable(fn)

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def description(self) -> str:
        return self.spec.description

    @classmethod
    def from_function(
        cls,
        fn: Callable[..., Any],
        *,
        name: str | None = None,
        description: str | None = None,
        timeout_s: float | None = DEFAULT_TIMEOUT_S,
        max_output_chars: int | None = DEFAULT_MAX_OUTPUT_CHARS,
        kind: Literal["function", "custom"] = "function",
        input_format: Constraint | None = None,
        stateful: bool = False,
        idempotent: bool | None = None,
        requires_confirmation: bool = False,
    ) -> Tool:
        """A Tool from a typed function (sync or async); see `tool` for the arguments.
        ``stateful``: its calls change state others read (a method of a stateful object), so
        a turn's calls to it run one after another, in order. ``idempotent``: whether a call
        may safely run twice (by default, when it is not stateful). ``requires_confirmation``:
        each call runs only once the run's confirmation hook approves it."""
        name = name or getattr(fn, "__name__", "")
        doc_description, param_docs = parse_docstring(inspect.getdoc(fn))
        description = doc_description if description is None else description
        if kind == "custom":
            return cls._custom(fn, name, description, param_docs, input_format,
                               timeout_s=timeout_s, max_output_chars=max_output_chars,
                               stateful=stateful, idempotent=idempotent,
                               requires_confirmation=requires_confirmation)
        if input_format is not None:
            raise ToolDefinitionError(
                f"tool {name!r}: input_format applies to kind='custom' tools only"
            )
        model, params = build_arguments_model(fn, name, param_docs)
        spec = ToolSpec(name=name, description=description, parameters=json_schema(model))
        return cls(spec, fn, validated_arguments(model, params, spec.parameters),
                   timeout_s=timeout_s, max_output_chars=max_output_chars,
                   arguments_model=model, stateful=stateful, idempotent=idempotent,
                   requires_confirmation=requires_confirmation)

    @classmethod
    def _custom(cls, fn: Callable[..., Any], name: str, description: str,
                param_docs: dict[str, str], input_format: Constraint | None,
                **limits: Any) -> Tool:
        params = list(read_signature(fn, name).parameters.values())
        if len(params) != 1 or params[0].kind in (params[0].VAR_POSITIONAL,
                                                  params[0].VAR_KEYWORD):
            raise ToolDefinitionError(
                f"custom tool {name!r} must take exactly one str parameter, got {len(params)}"
            )
        spec = ToolSpec(
            name=name, description=description, kind="custom", input_format=input_format,
            parameters=_custom_parameters(param_docs.get(params[0].name)),
        )
        return cls(spec, fn, custom_input(spec, pass_dict=False), **limits)

    @classmethod
    def from_callable(
        cls,
        spec: ToolSpec,
        fn: Callable[[dict[str, Any]], Awaitable[Any] | Any],
        *,
        timeout_s: float | None = DEFAULT_TIMEOUT_S,
        max_output_chars: int | None = DEFAULT_MAX_OUTPUT_CHARS,
        stateful: bool = False,
        idempotent: bool | None = None,
        requires_confirmation: bool = False,
    ) -> Tool:
        """A Tool from a ready `ToolSpec` and a callable taking the arguments dict.

        Arguments are not validated here (the other side, e.g. an MCP server, owns the
        schema), except that a custom tool's regex ``input_format`` is still checked. The
        timeout and output cap apply as for any tool.
        """
        prepare = custom_input(spec, pass_dict=True) if spec.kind == "custom" else raw_arguments
        return cls(spec, fn, prepare, timeout_s=timeout_s, max_output_chars=max_output_chars,
                   stateful=stateful, idempotent=idempotent,
                   requires_confirmation=requires_confirmation)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Call the underlying function directly, as plain Python (no validation, no cap)."""
        return self.fn(*args, **kwargs)

    def __repr__(self) -> str:
        return f"Tool(name={self.name!r}, kind={self.spec.kind!r})"

    async def invoke(self, call: ToolCall) -> Observation:
        """Run one call and describe the outcome; never raises except on cancellation.

        ``Observation.error`` says what kind of failure it was: ``"invalid_arguments"``,
        ``"invalid_input"`` (a custom tool's input does not match its format), ``"timeout"``,
        ``"reported_error"`` (a result that only reports an error, `reported_error`) or the
        exception's type name; ``content`` says it in words for the model.
        """
        started = time.time()
        try:
            args, kwargs = self._prepare(call.arguments)
        except ArgumentError as exc:
            return self._observe(call, started, exc.message, error=exc.kind)
        try:
            if self._is_async:
                ok, value = await self._run_async(args, kwargs)
            else:
                ok, value = await self._run_sync(args, kwargs)
        except TimeoutError as exc:  # ours: the tool's own TimeoutError is caught inside
            message = str(exc) if isinstance(exc, _BlockedLoop) else (
                f"{self.name} timed out after {self.timeout_s:g} s")
            return self._observe(call, started, message, error="timeout")
        if ok:
            try:
                text = to_text(value)
            except Exception as exc:  # noqa: BLE001 - a result whose str() or JSON fails
                value = exc
            else:
                # {"error": "..."} returned rather than raised is a failure all the same
                return self._observe(call, started, text,
                                     error="reported_error" if reported_error(text) else None)
        return self._observe(call, started, _describe_exception(value),
                             error=type(value).__name__)

    async def _run_async(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[bool, Any]:
        # asyncio.timeout rather than wait_for: no extra task and loop round per call. It
        # cancels the call at an await; a call that blocks the loop past its deadline returns
        # with no await left to cancel, so that is caught here, after the fact.
        timeout_s = self.timeout_s
        async with asyncio.timeout(timeout_s) as scope:
            outcome = await _settle(self.fn(*args, **kwargs))
        deadline = scope.when()
        if timeout_s is not None and deadline is not None:
            late = asyncio.get_running_loop().time() - deadline
            if late > 0:
                raise _BlockedLoop(self.name, timeout_s, timeout_s + late)
        return outcome

    async def _run_sync(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[bool, Any]:
        # On a worker thread, so a blocking or hanging function neither stalls the event loop
        # nor escapes the timeout; a thread cannot be stopped, so on timeout it runs on in the
        # background. Most calls finish within the short blocking hand-off wait and need no
        # timer at all (see tools/_workers.py for that trade-off). A tool whose last calls all
        # did runs on this thread instead, under an alarm (tools/_inline.py), when no other
        # call is in flight to overlap with.
        t0 = time.monotonic()
        timeout_s = self.timeout_s
        if (self._quick_calls >= INLINE_AFTER and not WORKERS.awaiting()
                and _inline.available(timeout_s)):
            ok, value = _inline.run(self.fn, args, kwargs, timeout_s)
            if time.monotonic() - t0 > BLOCKING_WAIT_S:
                self._quick_calls = 0  # it ran long: back to the worker path
            if not ok and isinstance(value, _inline.InlineTimeout):
                raise TimeoutError
        else:
            try:
                job, finished = WORKERS.start(
                    self.fn, args, kwargs,
                    BLOCKING_WAIT_S if timeout_s is None else min(BLOCKING_WAIT_S, timeout_s))
            except WorkersExhausted as exc:  # too many hung calls hold threads: not started
                return False, exc
            self._quick_calls = self._quick_calls + 1 if finished else 0
            if not finished:
                async with asyncio.timeout(_left(timeout_s, t0)):
                    await WORKERS.wait(job)
            ok, value = job.outcome()
        if ok and type(value) is not str and inspect.isawaitable(value):
            # a sync function that returned an awaitable
            self._quick_calls = 0  # its work is awaited: no gain in running it here
            async with asyncio.timeout(_left(timeout_s, t0)):
                return await _settle(value)
        if not ok and not isinstance(value, (Exception, SystemExit)):
            raise value  # KeyboardInterrupt and the like are not the tool's failure
        return ok, value

    def _observe(self, call: ToolCall, started: float, content: str,
                 error: str | None = None) -> Observation:
        content, cut = cap(content, self.max_output_chars)
        return Observation(
            call_id=call.id, tool=self.name, content=content, ok=error is None, error=error,
            truncated_chars=cut, started_at=started, ended_at=time.time(),
        )


def tool(
    fn: Callable[..., Any] | None = None,
    *,
    name: str | None = None,
    description: str | None = None,
    timeout_s: float | None = DEFAULT_TIMEOUT_S,
    max_output_chars: int | None = DEFAULT_MAX_OUTPUT_CHARS,
    kind: Literal["function", "custom"] = "function",
    input_format: Constraint | None = None,
    stateful: bool = False,
    idempotent: bool | None = None,
    requires_confirmation: bool = False,
) -> Any:
    """Turn a typed function into a `Tool`; use bare (``@tool``) or with arguments.

    Args:
        fn: the function (given when used bare).
        name: the tool's name; defaults to the function's name.
        description: overrides the docstring's first paragraph.
        timeout_s: seconds a call may run; None for no limit. A sync tool is abandoned at
            its timeout (its thread runs on in the background, off the worker pool). An async
            tool is cancelled at its next ``await``; while it blocks the event loop (time.sleep,
            blocking I/O, long computation) nothing can interrupt it, and a call that returns
            past its timeout that way is reported as a timeout. Put blocking work in sync tools.
        max_output_chars: longer output keeps its head and notes how much was cut.
        kind: "custom" for a freeform tool: a function of one str parameter that receives
            the call's text (``arguments["input"]``).
        input_format: for custom tools, a regex (checked before the call) or a grammar.
        stateful: its calls change state other calls read: a turn's calls run in order.
        idempotent: whether running a call twice does no harm (by default: when it is not
            stateful). A resumed run (`Agent.resume`) re-runs an idempotent call whose result
            was lost when the run was killed; any other such call is reported as of unknown
            outcome, never repeated. Declare ``idempotent=False`` on tools that send, pay,
            delete or append.
        requires_confirmation: a call runs only when the run's confirmation hook approves it
            (`Agent(confirm=...)`); with no hook it is refused (`toolweave.runtime.policy`).
    """
    def wrap(f: Callable[..., Any]) -> Tool:
        return Tool.from_function(
            f, name=name, description=description, timeout_s=timeout_s,
            max_output_chars=max_output_chars, kind=kind, input_format=input_format,
            stateful=stateful, idempotent=idempotent,
            requires_confirmation=requires_confirmation,
        )

    return wrap(fn) if fn is not None else wrap


async def _settle(awaitable: Any) -> tuple[bool, Any]:
    """(True, its result) or (False, the exception it raised), awaiting ``awaitable``.

    Catching here, inside the timeout, keeps a TimeoutError raised by the tool itself apart
    from our own timeout."""
    try:
        result = await awaitable
        if inspect.isawaitable(result):
            result = await result
        return True, result
    except (Exception, SystemExit) as exc:  # noqa: BLE001 - the tool's failure is data
        return False, exc


class _BlockedLoop(TimeoutError):
    """An async tool returned past its timeout: it blocked the event loop, uninterruptibly."""

    def __init__(self, name: str, timeout_s: float, took_s: float):
        super().__init__(
            f"{name} timed out: it returned after {took_s:.2g} s, past its {timeout_s:g} s "
            "timeout, having blocked the event loop (time.sleep, blocking I/O, long "
            "computation), which an async tool's timeout cannot interrupt; blocking work "
            "belongs in a sync tool (def, not async def), which runs on a worker thread")


def _left(timeout_s: float | None, t0: float) -> float | None:
    """What remains of ``timeout_s`` counted from ``t0`` (time.monotonic); None for no limit."""
    return None if timeout_s is None else timeout_s - (time.monotonic() - t0)


def _is_async_callable(fn: Callable[..., Any]) -> bool:
    # An object whose __call__ is ``async def`` is awaited too, like a coroutine function.
    return inspect.iscoroutinefunction(fn) or inspect.iscoroutinefunction(type(fn).__call__)


def _custom_parameters(description: str | None) -> dict[str, Any]:
    text = {"type": "string", "description": description or "the tool's input text"}
    return {"type": "object", "properties": {"input": text}, "required": ["input"]}


def _describe_exception(exc: BaseException) -> str:
    message = str(exc).strip()
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__
