"""Same-core hand-off: a quick sync call shares the caller's core, and nothing stays pinned."""

from __future__ import annotations

import asyncio
import os
import threading
import time

import pytest

from toolweave.tools._same_core import ENV_SWITCH, SameCore
from toolweave.tools._workers import SyncWorkers

pytestmark = pytest.mark.skipif(
    not SameCore().enabled or len(os.sched_getaffinity(0)) < 2,
    reason="needs per-thread CPU affinity (Linux) and at least two allowed cores")


def own_affinity() -> set[int]:
    return os.sched_getaffinity(0)


async def test_a_quick_call_runs_on_the_callers_core_and_the_caller_is_restored():
    workers = SyncWorkers()
    home = own_affinity()
    seen = await workers.run(own_affinity)
    assert len(seen) == 1 and seen <= home  # the worker was pinned to one core ...
    assert own_affinity() == home  # ... and the caller got its affinity back


async def test_a_long_call_is_unpinned_once_the_blocking_wait_ends():
    workers = SyncWorkers()
    home = own_affinity()

    def slow() -> set[int]:
        time.sleep(0.05)  # well past the 1 ms blocking wait
        return own_affinity()

    assert await workers.run(slow) == home
    assert own_affinity() == home


async def test_concurrent_calls_are_not_pinned():
    workers = SyncWorkers()
    home = own_affinity()
    started = threading.Barrier(3, timeout=10)

    def together() -> set[int]:
        started.wait()  # all three run at once: only the first had a blocking wait
        time.sleep(0.01)
        return own_affinity()

    results = await asyncio.gather(*(workers.run(together) for _ in range(3)))
    assert all(r == home for r in results)


async def test_switched_off_by_the_environment(monkeypatch):
    monkeypatch.setenv(ENV_SWITCH, "0")
    workers = SyncWorkers(same_core=SameCore())
    assert not workers.same_core.enabled
    assert await workers.run(own_affinity) == own_affinity()


def test_a_refused_affinity_switches_it_off():
    same_core = SameCore()
    assert not same_core.set_thread(2**31 - 1, (0,))  # no such thread
    assert not same_core.enabled and same_core.pin_caller() is None


def test_the_faster_way_is_chosen_and_the_other_is_still_tried_now_and_then():
    from toolweave.tools._same_core import EXPLORE_EVERY

    same_core = SameCore()
    same_core.record(True, 90e-6)  # pinned hand-offs a little slower ...
    same_core.record(False, 80e-6)  # ... than unpinned ones
    picks = [same_core.choose() for _ in range(4 * EXPLORE_EVERY)]
    assert picks.count(True) == 4  # only the exploring ones
    same_core.record(True, 300e-6)  # pinned ones much slower (a busy machine): tried rarer
    same_core.cost[True] = 320e-6
    picks = [same_core.choose() for _ in range(16 * EXPLORE_EVERY)]
    assert 1 <= picks.count(True) <= 16 // 4  # 4x slower: tried a quarter as often
    for _ in range(40):  # the load goes: pinned hand-offs become the fast ones
        same_core.record(True, 20e-6)
    assert same_core.choose() is True
    same_core.enabled = False
    assert same_core.choose() is False
