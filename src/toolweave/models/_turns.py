"""`ModelTurns`: first-come, first-served admission to one in-process model's turns.

One llama.cpp context runs one turn at a time, and every run, DAG branch or eval task that
shares the loaded model takes turns on it. A plain `threading.Lock` is not fair: the thread
that releases it usually takes it straight back, so one run can be served again and again
while the others wait. Here each caller queues; releasing the turn hands it to the longest
waiter directly (no one can barge in between), so the service order is the arrival order.

Thread callers block in `acquire`; coroutines await `aacquire` without blocking their event
loop, from any loop and any thread (a served model is used by the server's loop, an eval's
loops and worker threads alike). A coroutine cancelled while it waits leaves the queue, and
one cancelled just as the turn reached it passes the turn on, so no slot is ever lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Iterator

_WAITING, _GRANTED, _GONE = "waiting", "granted", "gone"


class _ThreadWaiter:
    def __init__(self) -> None:
        self.state = _WAITING
        self.event = threading.Event()

    def grant(self) -> bool:
        self.state = _GRANTED
        self.event.set()
        return True


class _TaskWaiter:
    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.state = _WAITING
        self.loop = loop
        self.future: asyncio.Future[None] = loop.create_future()

    def grant(self) -> bool:
        try:  # the releaser may be on another thread or another loop
            self.loop.call_soon_threadsafe(_wake, self.future)
        except RuntimeError:  # its loop is closed: nobody is left to take the turn
            self.state = _GONE
            return False
        self.state = _GRANTED
        return True


def _wake(future: asyncio.Future[None]) -> None:
    if not future.done():  # cancelled meanwhile: `aacquire` sees the grant and passes it on
        future.set_result(None)


class ModelTurns:
    """A FIFO queue of callers for one model's turns (a fair, thread- and loop-safe lock).

    ``acquire``/``aacquire`` return how long the caller waited, in seconds; every successful
    acquire must be matched by one `release`, from any thread (e.g. a worker's completion
    callback). ``turn()`` and ``aturn()`` wrap the pair as context managers.
    """

    def __init__(self) -> None:
        self._mutex = threading.Lock()  # guards the fields below; held for microseconds
        self._held = False
        self._waiters: deque[_ThreadWaiter | _TaskWaiter] = deque()
        self.served = 0  # turns granted so far (for tests and benches)

    @property
    def waiting(self) -> int:
        """How many callers are queued behind the current turn."""
        with self._mutex:
            return len(self._waiters)

    @property
    def held(self) -> bool:
        """Whether a turn is in progress."""
        with self._mutex:
            return self._held

    def _take_or_queue(self, make_waiter):
        with self._mutex:
            if not self._held and not self._waiters:
                self._held = True
                self.served += 1
                return None
            waiter = make_waiter()
            self._waiters.append(waiter)
            return waiter

    def acquire(self) -> float:
        """Block this thread until its turn; the seconds it waited."""
        start = time.perf_counter()
        waiter = self._take_or_queue(_ThreadWaiter)
        if waiter is not None:
            waiter.event.wait()
        return time.perf_counter() - start

    async def aacquire(self) -> float:
        """Wait for a turn without blocking the event loop; the seconds it waited."""
        start = time.perf_counter()
        loop = asyncio.get_running_loop()
        waiter = self._take_or_queue(lambda: _TaskWaiter(loop))
        if waiter is None:
            return 0.0
        try:
            await waiter.future
        except BaseException:
            with self._mutex:
                if waiter.state == _WAITING:  # still queued: just leave
                    waiter.state = _GONE
                    self._waiters.remove(waiter)
                    raise
            self.release()  # the turn reached us as we were cancelled: hand it on
            raise
        return time.perf_counter() - start

    def release(self) -> None:
        """End the current turn: the longest waiter gets it, or the model is free."""
        with self._mutex:
            if not self._held:
                raise RuntimeError("ModelTurns.release() without a turn in progress")
            while self._waiters:
                if self._waiters.popleft().grant():
                    self.served += 1
                    return  # still held: the turn passed straight to the waiter
            self._held = False

    @contextlib.contextmanager
    def turn(self) -> Iterator[float]:
        """``with turns.turn() as waited:`` — a turn for this thread."""
        waited = self.acquire()
        try:
            yield waited
        finally:
            self.release()

    @contextlib.asynccontextmanager
    async def aturn(self) -> AsyncIterator[float]:
        """``async with turns.aturn() as waited:`` — a turn for this coroutine."""
        waited = await self.aacquire()
        try:
            yield waited
        finally:
            self.release()
