"""`ModelTurns`: fair (first-come, first-served) turns on one model, for threads and coroutines.

No model: the critical section is a fake one that records who is in it.
"""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from toolweave.models._turns import ModelTurns


def wait_until(condition, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting for the queue"
        time.sleep(0.001)


async def await_until(condition, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting for the queue"
        await asyncio.sleep(0.001)


class Section:
    """A fake critical section: fails if two callers are ever inside it at once."""

    def __init__(self) -> None:
        self.inside = 0
        self.order: list[object] = []
        self._count = threading.Lock()

    def enter(self, who: object) -> None:
        with self._count:
            self.inside += 1
            assert self.inside == 1, "two turns at once"
        self.order.append(who)

    def leave(self) -> None:
        with self._count:
            self.inside -= 1


async def test_waiters_are_served_in_arrival_order_threads_and_tasks_mixed():
    turns, section = ModelTurns(), Section()
    turns.acquire()  # hold the model while the queue forms
    threads: list[threading.Thread] = []
    tasks: list[asyncio.Task] = []

    def thread_turn(who: str) -> None:
        with turns.turn():
            section.enter(who)
            time.sleep(0.002)
            section.leave()

    async def task_turn(who: str) -> None:
        async with turns.aturn():
            section.enter(who)
            await asyncio.sleep(0.002)
            section.leave()

    arrivals = []
    for i in range(8):
        who = f"{'thread' if i % 2 else 'task'}-{i}"
        if i % 2:
            threads.append(threading.Thread(target=thread_turn, args=(who,)))
            threads[-1].start()
        else:
            tasks.append(asyncio.create_task(task_turn(who)))
        arrivals.append(who)
        await await_until(lambda n=i + 1: turns.waiting == n)  # arrived: queued, in order
    turns.release()
    await asyncio.gather(*tasks)
    for t in threads:
        await asyncio.to_thread(t.join, 5)
    assert section.order == arrivals
    assert not turns.held and turns.waiting == 0


def test_a_thread_releasing_cannot_take_the_turn_straight_back():
    """Under contention each thread takes its turn in rotation; a plain `threading.Lock`
    lets the releasing thread re-acquire at once, again and again."""
    turns, section = ModelTurns(), Section()
    rounds, workers = 20, 4
    ready = threading.Barrier(workers)

    def worker(who: int) -> None:
        ready.wait()
        for _ in range(rounds):
            with turns.turn():
                section.enter(who)
                time.sleep(0.003)  # a turn long enough for the others to queue again
                section.leave()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    order = section.order
    assert len(order) == rounds * workers
    repeats = sum(a == b for a, b in zip(order, order[1:], strict=False))
    # FIFO hands the turn to whoever waited longest: a repeat only happens when nobody else
    # was queued (a slow wake-up on a loaded machine), not as the rule
    assert repeats <= 3, order
    # and the turns of each round interleave: nobody finished while others had most left
    first_done = min(max(i for i, w in enumerate(order) if w == who) for who in range(workers))
    assert first_done >= len(order) - 2 * workers, order


async def test_a_cancelled_waiter_leaves_the_queue_and_loses_no_turn():
    turns, section = ModelTurns(), Section()
    await turns.aacquire()

    async def take(who: str) -> None:
        async with turns.aturn():
            section.enter(who)
            section.leave()

    first = asyncio.create_task(take("first"))
    await await_until(lambda: turns.waiting == 1)
    doomed = asyncio.create_task(take("doomed"))
    await await_until(lambda: turns.waiting == 2)
    last = asyncio.create_task(take("last"))
    await await_until(lambda: turns.waiting == 3)
    doomed.cancel()
    with pytest.raises(asyncio.CancelledError):
        await doomed
    assert turns.waiting == 2  # it left the queue at once, not when its turn came
    turns.release()
    await asyncio.wait_for(asyncio.gather(first, last), 5)
    assert section.order == ["first", "last"]
    assert not turns.held  # and the model is free again: nothing deadlocked
    assert await asyncio.wait_for(turns.aacquire(), 1) == 0.0
    turns.release()


async def test_a_waiter_cancelled_as_the_turn_reaches_it_passes_the_turn_on():
    turns = ModelTurns()
    await turns.aacquire()
    doomed = asyncio.create_task(turns.aacquire())
    await await_until(lambda: turns.waiting == 1)
    after = asyncio.create_task(turns.aacquire())
    await await_until(lambda: turns.waiting == 2)
    turns.release()  # grants the turn to ``doomed``: its wake-up is scheduled, not yet run
    doomed.cancel()  # ... and it is cancelled before it runs
    with pytest.raises(asyncio.CancelledError):
        await doomed
    await asyncio.wait_for(after, 5)  # the turn went on to the next waiter
    assert turns.held and turns.waiting == 0
    turns.release()
    assert not turns.held


def test_an_exception_inside_the_turn_releases_it():
    turns = ModelTurns()
    with pytest.raises(ValueError, match="boom"), turns.turn():
        raise ValueError("boom")
    assert not turns.held
    got = []
    t = threading.Thread(target=lambda: got.append(turns.acquire()))
    t.start()
    t.join(2)
    assert got and not t.is_alive()  # the next caller gets the model
    turns.release()


async def test_an_exception_inside_an_async_turn_releases_it_to_the_next_waiter():
    turns = ModelTurns()

    async def failing() -> None:
        async with turns.aturn():
            await asyncio.sleep(0.01)
            raise RuntimeError("model crashed")

    failure = asyncio.create_task(failing())
    await await_until(lambda: turns.held)
    waiter = asyncio.create_task(turns.aacquire())
    with pytest.raises(RuntimeError, match="model crashed"):
        await failure
    assert await asyncio.wait_for(waiter, 2) > 0
    turns.release()


async def test_waiting_for_a_turn_does_not_block_the_event_loop():
    turns = ModelTurns()
    holder_in, holder_out = threading.Event(), threading.Event()

    def hold() -> None:  # a thread holding the model for a while, as a long turn does
        with turns.turn():
            holder_in.set()
            holder_out.wait(5)

    t = threading.Thread(target=hold)
    t.start()
    holder_in.wait(5)
    waiter = asyncio.create_task(turns.aacquire())
    ticks = 0
    while ticks < 20:  # the loop keeps running other work while the waiter waits
        await asyncio.sleep(0.005)
        ticks += 1
    assert not waiter.done() and turns.waiting == 1
    holder_out.set()
    waited = await asyncio.wait_for(waiter, 5)
    assert waited >= 0.09  # it really waited for the other turn, ~20 ticks long
    turns.release()
    t.join(5)


def test_a_turn_can_be_released_from_another_thread():
    """A model turn ends on the worker thread that ran it, not the caller's."""
    turns = ModelTurns()
    turns.acquire()
    t = threading.Thread(target=turns.release)
    t.start()
    t.join(2)
    assert not turns.held
    with pytest.raises(RuntimeError, match="without a turn"):
        turns.release()


def test_waiters_on_different_event_loops_share_one_queue():
    turns, order = ModelTurns(), []
    turns.acquire()

    def loop_turn(who: str) -> None:
        async def run() -> None:
            async with turns.aturn():
                order.append(who)

        asyncio.run(run())

    threads = []
    for i in range(3):
        threads.append(threading.Thread(target=loop_turn, args=(f"loop-{i}",)))
        threads[-1].start()
        wait_until(lambda n=i + 1: turns.waiting == n)
    turns.release()
    for t in threads:
        t.join(5)
    assert order == ["loop-0", "loop-1", "loop-2"]
