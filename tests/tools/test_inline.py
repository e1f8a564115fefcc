"""Sync tools that proved quick run on the calling thread, their timeout kept by an alarm."""

from __future__ import annotations

import asyncio
import contextvars
import signal
import sys
import threading
import time

import pytest

from toolweave.tools import tool
from toolweave.tools._inline import available
from toolweave.tools.tool import INLINE_AFTER
from toolweave.types import ToolCall

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="inline runs need Linux's SIGALRM delivery")
REQUEST = contextvars.ContextVar("request", default="none")


def _call(name: str, **arguments) -> ToolCall:
    return ToolCall(id="c", name=name, arguments=arguments)


async def _threads(t, n: int) -> list[int]:
    return [int((await t.invoke(_call(t.name))).content) for _ in range(n)]


async def test_a_quick_tool_moves_onto_the_calling_thread():
    @tool
    def where() -> int:
        """Which thread runs the call."""
        return threading.get_ident()

    threads = await _threads(where, INLINE_AFTER + 3)
    here = threading.get_ident()
    assert all(t != here for t in threads[:INLINE_AFTER])  # proving itself on a worker
    assert all(t == here for t in threads[INLINE_AFTER:])


async def test_an_inline_call_that_hangs_is_interrupted_at_its_timeout_and_moves_back():
    hang = threading.Event()

    @tool(timeout_s=0.3)
    def sometimes_hangs() -> int:
        """Returns at once, unless told to hang."""
        if hang.is_set():
            time.sleep(30)
        return threading.get_ident()

    await _threads(sometimes_hangs, INLINE_AFTER + 1)
    hang.set()
    started = time.monotonic()
    observation = await sometimes_hangs.invoke(_call("sometimes_hangs"))
    assert observation.error == "timeout" and "timed out after 0.3 s" in observation.content
    assert time.monotonic() - started < 5
    assert signal.getsignal(signal.SIGALRM) is signal.SIG_DFL  # the alarm is given back
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    hang.clear()
    assert (await _threads(sometimes_hangs, 1))[0] != threading.get_ident()  # worker again


async def test_a_tool_catching_every_exception_cannot_swallow_its_timeout():
    slow = threading.Event()

    @tool(timeout_s=0.2)
    def careless() -> str:
        """Catches everything."""
        try:
            if slow.is_set():
                time.sleep(30)
        except Exception:  # noqa: BLE001 - the point of the test
            return "swallowed"
        return "ok"

    for _ in range(INLINE_AFTER + 1):
        assert (await careless.invoke(_call("careless"))).content == "ok"
    slow.set()
    assert (await careless.invoke(_call("careless"))).error == "timeout"


async def test_an_inline_tool_sees_what_a_worker_thread_would():
    @tool
    def own_loop() -> str:
        """Runs its own event loop and sets a context variable."""
        REQUEST.set("changed by the tool")

        async def inner() -> str:
            return "inner loop ran"

        return f"{asyncio.run(inner())} on {threading.get_ident()}"

    REQUEST.set("the caller's")
    for _ in range(INLINE_AFTER + 2):
        observation = await own_loop.invoke(_call("own_loop"))
        assert observation.ok and observation.content.startswith("inner loop ran"), observation
    assert observation.content.endswith(str(threading.get_ident()))  # it did run inline
    assert REQUEST.get() == "the caller's"
    assert asyncio.get_running_loop() is not None  # the caller's loop is set again


async def test_errors_of_an_inline_tool_are_observations():
    fail = threading.Event()

    @tool
    def fragile() -> str:
        """Fails when told to."""
        if fail.is_set():
            raise ValueError("broken input")
        return "fine"

    await _threads_text(fragile, INLINE_AFTER + 1)
    fail.set()
    observation = await fragile.invoke(_call("fragile"))
    assert observation.error == "ValueError" and "broken input" in observation.content


async def _threads_text(t, n: int) -> None:
    for _ in range(n):
        assert (await t.invoke(_call(t.name))).ok


async def test_no_inline_run_where_the_alarm_cannot_be_borrowed():
    previous = signal.signal(signal.SIGALRM, lambda *_: None)
    try:
        assert not available(1.0)
        assert available(None)  # no timeout: nothing to enforce
    finally:
        signal.signal(signal.SIGALRM, previous)
    assert available(1.0)

    seen: list[bool] = []
    thread = threading.Thread(target=lambda: seen.append(available(1.0)))
    thread.start()
    thread.join()
    assert seen == [False]  # off the main thread the alarm would not reach the call


async def test_no_inline_run_while_another_call_is_awaited():
    @tool
    def where() -> int:
        """Which thread runs the call."""
        return threading.get_ident()

    @tool(timeout_s=5)
    def nap() -> str:
        """Sleeps a fifth of a second."""
        time.sleep(0.2)
        return "n"

    await _threads(where, INLINE_AFTER + 1)
    napping, there = await asyncio.gather(nap.invoke(_call("nap")),
                                          where.invoke(_call("where")))
    assert napping.content == "n" and int(there.content) != threading.get_ident()
