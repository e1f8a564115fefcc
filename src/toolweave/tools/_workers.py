"""Running synchronous tool functions off the event loop, cheaply.

A sync tool runs on a worker thread, so that one that blocks or hangs cannot stall the event
loop and its per-call timeout still fires. `asyncio.to_thread` pays for that with an executor
future, a cross-thread wake-up of the loop (a self-pipe write, an epoll return) and several loop
iterations: 60-80 µs a call on a small machine, more than everything else an agent step does.

Most tool functions return within microseconds, so the caller first waits for the worker on
its own thread, for at most `BLOCKING_WAIT_S`, through a plain lock hand-off. For that wait
the caller and the worker share the caller's core (tools/_same_core.py): a hand-off across
cores costs two cross-core wake-ups, ~65 µs on a VM, against ~20 µs on one core. Only a call
still running after the wait is awaited asynchronously, as `to_thread` would, and from then on
the loop is free, the caller's timeout can fire, and the worker may use any core again.

The trade-off: a slow sync call holds the event loop for up to `BLOCKING_WAIT_S` (1 ms) before
it lets go. To keep that from serialising concurrent calls (several calls in one step, or other
runs on the same loop), the blocking wait is skipped while any other call is being awaited
asynchronously: then the new call goes straight to the asynchronous wait. A hung call that
its caller gave up on (timed out) no longer counts as awaited.

A caller that gives up (its timeout fired, or it was cancelled) abandons its job. A job still
queued is dropped and never starts. A job already running cannot be stopped, so its worker is
abandoned instead: it stops counting toward ``max_workers``, which frees its slot for a new
worker, and once the call returns the thread exits rather than rejoin the pool. Otherwise a few
hung tools would hold every worker, and every later sync call in the process (built-ins too)
would wait in the queue until its own timeout. Abandoned threads still running are capped by
``max_abandoned`` (`MAX_ABANDONED`): at the cap a timed-out worker keeps its slot, and a call
that finds no free worker fails at once with `WorkersExhausted` instead of queueing behind
hung calls or starting threads without limit. So at most ``max_workers + max_abandoned``
worker threads exist at once.

Workers are daemon threads, started on demand up to the same limit as asyncio's default
executor and then reused, the most recently used first (it is already on the caller's core).
A job is handed to one worker directly, so that this worker can be pinned before it wakes.
Being daemons, a hung tool's worker cannot keep the interpreter (or `asyncio.run`, which waits
for its default executor) from exiting.

On a machine whose cores are all busy, each hand-off may also wait for the scheduler to run
the worker and then the caller again (0.1-5 ms now and then); only running the function on the
loop thread itself avoids that, which tools/_inline.py does for tools that proved quick.
"""

from __future__ import annotations

import asyncio
import collections
import contextvars
import functools
import os
import threading
import time
from collections.abc import Callable
from typing import Any

from toolweave.tools._same_core import SameCore

BLOCKING_WAIT_S = 0.001
MAX_WORKERS = min(32, (os.cpu_count() or 1) + 4)  # as asyncio's default executor
# Timed-out calls whose threads may still run in the background, beyond MAX_WORKERS. Each is a
# hung tool holding a thread and its stack; past this many the process is in trouble, and new
# calls that would have to queue are refused rather than left to time out behind them.
MAX_ABANDONED = 64


class WorkersExhausted(RuntimeError):
    """No worker is free and too many timed-out calls still hold threads: not started."""


class Job:
    """One call on a worker: ``done`` is held until the result is in."""

    __slots__ = ("done", "finished", "mutex", "ok", "run", "value", "waiter", "worker")

    def __init__(self, run: Callable[[], Any]):
        self.run = run
        self.done = threading.Lock()
        self.done.acquire()
        self.mutex = threading.Lock()  # orders ``finished`` against ``waiter``
        self.finished = self.ok = False
        self.value: Any = None
        # (loop, future) once the caller waits asynchronously; the worker then wakes the loop
        self.waiter: tuple[asyncio.AbstractEventLoop, asyncio.Future] | None = None
        self.worker: _Worker | None = None  # who runs it; None while queued (the pool's lock)

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


class _Worker:
    """One worker thread: woken through ``wake`` with ``job`` set; ``cpu`` is the core it is
    pinned to (None: its ``home`` affinity); ``abandoned``: its caller gave up, so it exits
    after this job."""

    __slots__ = ("abandoned", "cpu", "finish", "home", "job", "next", "tid", "wake")

    def __init__(self, finish: Callable[[_Worker], None]):
        self.wake = threading.Lock()
        self.wake.acquire()
        self.job: Job | None = None
        self.next: Job | None = None  # set by ``finish``: a queued job to run straight away
        self.finish = functools.partial(finish, self)
        self.tid = 0
        self.cpu: int | None = None
        self.home: set[int] | None = None  # the affinity to restore; known once first pinned
        self.abandoned = False


class SyncWorkers:
    """A pool of reusable worker threads for sync tool calls (see the module docstring):
    ``max_workers`` counted workers, plus at most ``max_abandoned`` threads still running calls
    whose callers gave up."""

    def __init__(self, max_workers: int = MAX_WORKERS, *, max_abandoned: int = MAX_ABANDONED,
                 same_core: SameCore | None = None):
        self.max_workers = max_workers
        self.max_abandoned = max_abandoned
        self.same_core = same_core or SameCore()
        self._lock = threading.Lock()
        self._idle: list[_Worker] = []  # a stack: the last worker used is the warmest
        self._backlog: collections.deque[Job] = collections.deque()  # jobs over the limit
        self._threads = 0  # workers counted toward max_workers
        self._abandoned = 0  # threads still running a call whose caller gave up
        self._awaiting = 0  # calls whose callers wait asynchronously right now

    def awaiting(self) -> bool:
        """Whether some call is awaited asynchronously now (one a new call could overlap)."""
        return self._awaiting > 0

    def start(self, fn: Callable[..., Any], args: tuple = (),
              kwargs: dict[str, Any] | None = None, wait_s: float = BLOCKING_WAIT_S
              ) -> tuple[Job, bool]:
        """Start ``fn(*args, **kwargs)`` on a worker, in a copy of the caller's context (as
        `asyncio.to_thread` does, so context variables reach the tool), and wait for it on
        this thread for up to ``wait_s``: (the job, whether it has finished).

        The wait is skipped while another call is awaited asynchronously, so that the calls of
        one step (each started after the previous one's wait) still overlap. During the wait,
        caller and worker share the caller's core (tools/_same_core.py). Raises
        `WorkersExhausted` when the call would have to queue while ``max_abandoned`` timed-out
        calls still run."""
        job = Job(functools.partial(contextvars.copy_context().run, fn, *args, **(kwargs or {})))
        if wait_s <= 0 or self._awaiting:
            self._dispatch(job, None)
            return job, job.done.acquire(blocking=False)
        pin = self.same_core.choose()
        started = time.perf_counter()
        pinned = self.same_core.pin_caller() if pin else None
        try:
            worker = self._dispatch(job, pinned)
            finished = job.done.acquire(timeout=wait_s)
        finally:
            if pinned is not None:
                self.same_core.restore_caller(pinned[1])
        # a hand-off that overran the wait counts as the whole wait (a busy pinned core is
        # exactly that); the way it went is whether the caller really was pinned
        self.same_core.record(pinned is not None,
                              time.perf_counter() - started if finished else wait_s)
        if not finished and worker is not None:
            with self._lock:  # a long call: let it run on any core
                self._place(worker, None)
        return job, finished

    async def wait(self, job: Job) -> None:
        """Wait for ``job`` without blocking the event loop. Cancelling the wait (a timeout)
        abandons the job: if queued it never starts; if running it runs on, off the pool."""
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
        except BaseException:
            self._abandon(job)
            raise
        finally:
            with self._lock:
                self._awaiting -= 1

    async def run(self, fn: Callable[..., Any], args: tuple = (),
                  kwargs: dict[str, Any] | None = None, *,
                  wait_s: float = BLOCKING_WAIT_S) -> Any:
        """``fn(*args, **kwargs)`` on a worker thread; its result, or its exception raised."""
        job, finished = self.start(fn, args, kwargs, wait_s)
        if not finished:
            await self.wait(job)
        ok, value = job.outcome()
        if ok:
            return value
        raise value

    def _dispatch(self, job: Job, pinned: tuple[int, set[int]] | None) -> _Worker | None:
        """Hand ``job`` to an idle worker (pinned to ``pinned``'s core, or unpinned), a new
        one, or, at the limit, the backlog (None); `WorkersExhausted` if it would queue while
        ``max_abandoned`` abandoned threads still run."""
        with self._lock:
            worker = self._idle.pop() if self._idle else None
            new = worker is None
            if not new:
                self._place(worker, pinned)
            elif self._threads < self.max_workers:
                self._threads += 1
                worker = _Worker(self._finish)  # its thread is started below, outside the lock
            elif self._abandoned >= self.max_abandoned:
                raise WorkersExhausted(
                    f"no tool worker is free and {self._abandoned} tool calls that timed out "
                    "are still running (the limit): not starting another call until they end; "
                    "fix or avoid the tools that hang")
            else:
                self._backlog.append(job)
                return None
            job.worker = worker
        if new:
            self._spawn(worker)
            self._place(worker, pinned)  # not shared yet: no lock needed
        worker.job = job
        worker.wake.release()
        return worker

    def _abandon(self, job: Job) -> None:
        """``job``'s caller gave up: drop it if queued; else take its worker off the pool (it
        exits after the call) and start a worker for the next queued job, if any."""
        with self._lock:
            worker = job.worker
            if worker is None:
                try:
                    self._backlog.remove(job)  # a queued call nobody waits for never starts
                except ValueError:
                    pass
                return
            # finished: the worker has (or is about to have) moved on; it is no longer this
            # job's. At the cap the worker keeps its slot, so that threads stay bounded.
            if job.finished or worker.abandoned or self._abandoned >= self.max_abandoned:
                return
            worker.abandoned = True
            self._threads -= 1
            self._abandoned += 1
            if not self._backlog:
                return
            job = self._backlog.popleft()
            self._threads += 1
            worker = job.worker = _Worker(self._finish)
        self._spawn(worker)
        worker.job = job
        worker.wake.release()

    def _place(self, worker: _Worker, pinned: tuple[int, set[int]] | None) -> None:
        # Pin to the caller's core, or back to the worker's home affinity; a syscall only
        # when that changes.
        cpu = pinned[0] if pinned is not None else None
        if cpu == worker.cpu or not worker.tid:  # tid 0 would mean the calling thread
            return
        if cpu is not None:
            if worker.home is None:
                worker.home = pinned[1]  # type: ignore[index]
            if self.same_core.set_thread(worker.tid, (cpu,)):
                worker.cpu = cpu
        elif worker.home is not None and self.same_core.set_thread(worker.tid, worker.home):
            worker.cpu = None

    def _spawn(self, worker: _Worker) -> None:
        thread = threading.Thread(target=self._work, args=(worker,), name="toolweave-tool",
                                  daemon=True)
        thread.start()
        worker.tid = thread.native_id or 0

    def _work(self, worker: _Worker) -> None:
        while True:
            worker.wake.acquire()
            job = worker.job
            while job is not None:
                job.execute(worker.finish)
                job = worker.next
            # Off the pool: its slot went to another worker. (A worker that went idle may have
            # been handed a new job, and abandoned with it, before getting here: job is set.)
            if worker.abandoned and worker.job is None:
                return

    def _finish(self, worker: _Worker) -> None:
        # Called by ``worker`` before it releases its job's caller: take a queued job, or go
        # back on the idle stack; an abandoned worker does neither and exits.
        with self._lock:
            if worker.abandoned:
                self._abandoned -= 1
                worker.next = worker.job = None
            elif self._backlog:
                worker.job = worker.next = self._backlog.popleft()
                worker.job.worker = worker
            else:
                worker.next = worker.job = None
                self._idle.append(worker)

    def _after_fork(self) -> None:
        # A forked child has none of the parent's threads: start afresh.
        self.__init__(self.max_workers, max_abandoned=self.max_abandoned,
                      same_core=self.same_core)


WORKERS = SyncWorkers()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=WORKERS._after_fork)

