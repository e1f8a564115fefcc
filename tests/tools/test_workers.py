"""The worker threads that run sync tools: results, errors, overlap, timeouts, context."""

from __future__ import annotations

import asyncio
import contextvars
import importlib
import threading
import time

import pytest

from toolweave.tools import tool
from toolweave.tools._workers import SyncWorkers, WorkersExhausted
from toolweave.types import ToolCall

REQUEST = contextvars.ContextVar("request", default="none")
# the module, not the `tool` decorator that toolweave.tools exports under the same name
TOOL_MODULE = importlib.import_module("toolweave.tools.tool")


async def test_returns_the_result_off_the_loop_thread():
    workers = SyncWorkers()
    loop_thread = threading.get_ident()
    result = await workers.run(lambda a, b=0: (a + b, threading.get_ident()), (2,), {"b": 3})
    assert result[0] == 5 and result[1] != loop_thread


async def test_raises_what_the_function_raised():
    def fail():
        raise ValueError("no")

    with pytest.raises(ValueError, match="no"):
        await SyncWorkers().run(fail)


async def test_a_slow_call_is_awaited_without_holding_the_loop():
    workers = SyncWorkers()
    ticks = 0

    async def ticker():
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.005)

    def wait_for_ticks() -> int:
        # returns once the event loop has run the ticker a few times: only if it is free
        deadline = time.monotonic() + 10
        while ticks < 5 and time.monotonic() < deadline:
            time.sleep(0.002)
        return ticks

    task = asyncio.create_task(ticker())
    await asyncio.sleep(0)
    assert await workers.run(wait_for_ticks) >= 5
    task.cancel()


async def test_concurrent_calls_overlap_and_reuse_workers():
    workers = SyncWorkers()
    # passes only when all four calls run at the same time
    barrier = threading.Barrier(4, timeout=10)
    results = await asyncio.gather(*(workers.run(barrier.wait) for _ in range(4)))
    assert sorted(results) == [0, 1, 2, 3]
    threads = workers._threads
    barrier.reset()
    await asyncio.gather(*(workers.run(barrier.wait) for _ in range(4)))
    assert workers._threads == threads  # idle workers were reused, none started


async def test_a_cancelled_wait_leaves_the_fast_path_open():
    workers = SyncWorkers()
    release = threading.Event()
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.05):
            await workers.run(release.wait)
    # the abandoned call runs on, but no longer counts as awaited
    assert workers._awaiting == 0
    assert await workers.run(lambda: "quick") == "quick"
    release.set()


async def test_context_variables_reach_the_function():
    REQUEST.set("r-1")
    assert await SyncWorkers().run(REQUEST.get) == "r-1"


async def test_sync_tool_timeout_still_fires_after_the_blocking_wait():
    release = threading.Event()

    @tool(timeout_s=0.1)
    def stuck() -> str:
        release.wait(10)  # the worker thread cannot be stopped: let it go after the test
        return "late"

    obs = await stuck.invoke(ToolCall(name="stuck"))
    release.set()
    assert obs.error == "timeout" and "0.1 s" in obs.content


async def test_sync_tool_returning_an_awaitable_is_awaited():
    async def later() -> str:
        return "awaited"

    @tool
    def indirect() -> str:
        return later()

    obs = await indirect.invoke(ToolCall(name="indirect"))
    assert obs.ok and obs.content == "awaited"


async def test_at_the_worker_limit_calls_queue_and_all_finish():
    workers = SyncWorkers(max_workers=1)
    results = await asyncio.gather(*(workers.run(lambda k=k: k) for k in range(5)))
    assert results == [0, 1, 2, 3, 4] and workers._threads == 1
    assert await workers.run(lambda: "after") == "after" and workers._threads == 1


# -- calls whose callers gave up (issue 18) -------------------------------------------------------


@pytest.fixture
def release():
    """An event hung functions wait on; set at teardown so their threads end with the test."""
    event = threading.Event()
    yield event
    event.set()


async def _time_out(workers: SyncWorkers, fn, timeout_s: float = 0.05) -> None:
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(timeout_s):
            await workers.run(fn)


async def test_hung_calls_that_timed_out_do_not_starve_later_calls(monkeypatch, release):
    monkeypatch.setattr(TOOL_MODULE, "WORKERS", SyncWorkers(max_workers=2))

    @tool(timeout_s=0.05)
    def hang() -> str:
        release.wait(10)
        return "late"

    @tool(timeout_s=1.0)
    def quick() -> str:
        return "quick"

    for _ in range(2):  # as many hung calls as the pool has workers
        assert (await hang.invoke(ToolCall(name="hang"))).error == "timeout"
    t0 = time.monotonic()
    obs = await quick.invoke(ToolCall(name="quick"))
    assert obs.ok and obs.content == "quick"
    assert time.monotonic() - t0 < 0.5  # not queued behind the hung calls until its timeout


async def test_a_queued_job_whose_caller_gave_up_never_starts(release):
    workers = SyncWorkers(max_workers=1)
    started = threading.Event()

    def first() -> str:
        started.set()
        release.wait(10)
        return "first"

    called = []
    busy = asyncio.create_task(workers.run(first))  # holds the only worker; not given up
    await asyncio.to_thread(started.wait, 5)
    await _time_out(workers, lambda: called.append("queued"))  # gives up while still queued
    release.set()
    assert await busy == "first"
    assert await workers.run(lambda: "after") == "after"  # the worker ran what came next
    assert called == []


async def test_a_queued_call_starts_once_the_call_ahead_of_it_times_out(release):
    workers = SyncWorkers(max_workers=1)
    hung = asyncio.create_task(_time_out(workers, lambda: release.wait(10), timeout_s=0.05))
    await asyncio.sleep(0.01)  # the hung call holds the only worker
    t0 = time.monotonic()
    assert await workers.run(lambda: "next") == "next"  # queued, then given a new worker
    assert time.monotonic() - t0 < 0.5
    await hung
    assert workers._abandoned == 1 and workers._threads == 1


async def test_abandoned_threads_are_capped_and_then_calls_fail_fast(monkeypatch, release):
    workers = SyncWorkers(max_workers=1, max_abandoned=2)
    for _ in range(3):  # two are abandoned; at the cap the third keeps its worker's slot
        await _time_out(workers, lambda: release.wait(10))
    assert workers._abandoned == 2 and workers._threads == 1
    t0 = time.monotonic()
    with pytest.raises(WorkersExhausted, match="2 tool calls that timed out"):
        await workers.run(lambda: "never")
    assert time.monotonic() - t0 < 0.1

    @tool(timeout_s=1.0)
    def quick() -> str:
        return "quick"

    monkeypatch.setattr(TOOL_MODULE, "WORKERS", workers)
    obs = await quick.invoke(ToolCall(name="quick"))
    assert obs.error == "WorkersExhausted" and "timed out" in obs.content

    release.set()  # the hung calls end; the abandoned threads exit, the kept one is reused
    deadline = time.monotonic() + 2
    while workers._abandoned and time.monotonic() < deadline:
        await asyncio.sleep(0.005)
    assert workers._abandoned == 0
    assert await workers.run(lambda: "after") == "after" and workers._threads == 1
