"""Running synchronous tool functions off the event loop, cheaply.

A sync tool runs on a worker thread, so that one that blocks or hangs cannot stall the event
loop and its per-call timeout still fires. `asyncio.to_thread` pays for that with an executor
future, a cross-thread wake-up of the loop (a self-pipe write, an epoll return) and several loop
iterations: 60-80 µs a call on a small machine, more than everything else an agent step does.

Most tool functions return within microseconds, so the caller first waits for the worker on
its own thread, for at most `BLOCKING_WAIT_S`, through a plain lock hand-off (~15 µs).
Only a call still running after that is awaited asynchronously, as `to_thread` would, and from
then on the loop is free and the caller's timeout can fire.

The trade-off: a slow sync call holds the event loop for up to `BLOCKING_WAIT_S` (1 ms) before
it lets go. To keep that from serialising concurrent calls (several calls in one step, or other
runs on the same loop), the blocking wait is skipped while any other call is being awaited
asynchronously: then the new call goes straight to the asynchronous wait. A hung call that
its caller gave up on (timed out) no longer counts; its thread runs on in the background.

Workers are daemon threads, started on demand up to the same limit as asyncio's default
executor and then reused; a hung tool therefore cannot keep the interpreter (or `asyncio.run`,
which waits for its default executor) from exiting.

On a machine whose cores are all busy, each hand-off may also wait for the scheduler to run
the worker and then the caller again (0.1-5 ms now and then); only running the function on the
loop thread itself avoids that, and that would give up the timeout and the free loop.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import os
import queue
import threading
from collections.abc import Callable
from typing import Any

BLOCKING_WAIT_S = 0.001
MAX_WORKERS = min(32, (os.cpu_count() or 1) + 4)  # as asyncio's default executor


class Job:
    """One call on a worker: ``done`` is held until the result is in."""

    __slots__ = ("done", "finished", "mutex", "ok", "run", "value", "waiter")

    def __init__(self, run: Callable[[], Any]):
        self.run = run
        self.done = threading.Lock()
        self.done.acquire()
        self.mutex = threading.Lock()  # orders ``finished`` against ``waiter``
        self.finished = self.ok = False
        self.value: Any = None
        # (loop, future) once the caller waits asynchronously; the worker then wakes the loop
        self.waiter: tuple[asyncio.AbstractEventLoop, asyncio.Future] | None = None

    def execute(self, before_release: Callable[[], None]) -> None:
        """Run the call; ``before_release`` is the worker's own bookkeeping.

        Everything the worker does holding the GIL happens before ``done`` is released: the
        caller wakes on that release and needs the GIL at once, and a worker that still holds
        it then (and is descheduled on a busy machine) would stall the caller for milliseconds.
        """
        try:
            self.value, self.ok = self.run(), True
        except BaseException as exc:  # noqa: BLE001 - handed to the caller, who decides
            self.value = exc
        self.run = None  # drop the arguments now; a caller may hold the job a while
        with self.mutex:
            self.finished = True
            waiter = self.waiter
        before_release()
        if waiter is not None:
            loop, future = waiter
            try:
                loop.call_soon_threadsafe(_wake, future)
            except RuntimeError:
                pass  # the loop is closed: nobody is waiting any more
        self.done.release()

    def outcome(self) -> tuple[bool, Any]:
        """(True, the return value) or (False, the exception raised); once finished."""
        return self.ok, self.value


def _wake(future: asyncio.Future) -> None:
    if not future.done():  # cancelled when the caller timed out
        future.set_result(None)


class SyncWorkers:
    """A pool of reusable worker threads for sync tool calls (see the module docstring)."""

    def __init__(self, max_workers: int = MAX_WORKERS):
        self.max_workers = max_workers
        self._jobs: queue.SimpleQueue[Job] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._threads = 0
        self._idle = 0  # workers waiting for a job and not claimed; below zero: jobs queued
        self._awaiting = 0  # calls whose callers wait asynchronously right now

    def submit(self, fn: Callable[..., Any], args: tuple, kwargs: dict[str, Any]) -> Job:
        """Start ``fn(*args, **kwargs)`` on a worker, in a copy of the caller's context (as
        `asyncio.to_thread` does, so context variables reach the tool)."""
        job = Job(functools.partial(contextvars.copy_context().run, fn, *args, **kwargs))
        with self._lock:
            start = self._idle <= 0 and self._threads < self.max_workers
            if start:
                self._threads += 1
            else:
                # claim an idle worker, so the next submit does not count on it too; at the
                # limit, ``_idle`` goes below zero: jobs queue for the next worker to finish
                self._idle -= 1
        self._jobs.put(job)
        if start:
            threading.Thread(target=self._work, name="toolweave-tool", daemon=True).start()
        return job

    def wait_blocking(self, job: Job, wait_s: float = BLOCKING_WAIT_S) -> bool:
        """Wait up to ``wait_s`` on this thread for ``job``; whether it finished.

        Returns False at once while another call is awaited asynchronously, so that the calls
        of one step (each submitted after the previous one's wait) still overlap."""
        if wait_s <= 0 or self._awaiting:
            return job.done.acquire(blocking=False)
        return job.done.acquire(timeout=wait_s)

    async def wait(self, job: Job) -> None:
        """Wait for ``job`` without blocking the event loop (cancellable; the job runs on)."""
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        with job.mutex:
            if job.finished:
                return
            job.waiter = (loop, future)
        with self._lock:
            self._awaiting += 1
        try:
            await future
        finally:
            with self._lock:
                self._awaiting -= 1

    async def run(self, fn: Callable[..., Any], args: tuple = (),
                  kwargs: dict[str, Any] | None = None, *,
                  wait_s: float = BLOCKING_WAIT_S) -> Any:
        """``fn(*args, **kwargs)`` on a worker thread; its result, or its exception raised."""
        job = self.submit(fn, args, kwargs or {})
        if not self.wait_blocking(job, wait_s):
            await self.wait(job)
        ok, value = job.outcome()
        if ok:
            return value
        raise value

    def _work(self) -> None:
        while True:
            self._jobs.get().execute(self._now_idle)

    def _now_idle(self) -> None:
        with self._lock:
            self._idle += 1

    def _after_fork(self) -> None:
        # A forked child has none of the parent's threads: start afresh.
        self.__init__(self.max_workers)


WORKERS = SyncWorkers()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=WORKERS._after_fork)

