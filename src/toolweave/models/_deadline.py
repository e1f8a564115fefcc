"""`Deadline`: the moment one model request must be finished by, across all its awaits.

Per-read timeouts do not bound a request: a server that sends a ``: ping`` comment every half
second, or one token every few seconds, never lets a read time out. The deadline is fixed when
the request starts, and every await of the request runs under what is left of it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

from toolweave.errors import ServerDeadlineError

T = TypeVar("T")


class Deadline:
    """``seconds`` from now (on the running loop's clock) for the request to ``source``;
    None: no deadline."""

    def __init__(self, seconds: float | None, source: str):
        self.seconds = seconds
        self.source = source
        self.at = None if seconds is None else asyncio.get_running_loop().time() + seconds

    def left(self) -> float:
        """Seconds until the deadline (infinite when there is none; negative once past)."""
        if self.at is None:
            return float("inf")
        return self.at - asyncio.get_running_loop().time()

    async def run(self, awaitable: Awaitable[T], received: int | None = None) -> T:
        """Await ``awaitable``, cancelled at the deadline with `ServerDeadlineError`
        (``received``: characters of text that had arrived, for the message)."""
        if self.at is None:
            return await awaitable
        try:
            async with asyncio.timeout_at(self.at) as scope:
                return await awaitable
        except TimeoutError:
            if not scope.expired():  # the awaitable's own TimeoutError, not ours
                raise
            got = f" ({received} characters of text had arrived)" if received else ""
            raise ServerDeadlineError(
                f"{self.source} did not finish within the {self.seconds:g} s deadline{got}; "
                "raise it with deadline_s= (or ?deadline=SECONDS in the model spec)") from None
