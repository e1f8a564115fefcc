"""The `Strategy` protocol every agent strategy implements."""

from __future__ import annotations

from typing import Protocol

from toolweave.runtime.context import RunContext
from toolweave.types import Trace


class Strategy(Protocol):
    """Answers one question within ``ctx``'s budget, recording every step in ``ctx.recorder``.

    Returns the recorder's trace; budget stops are normal endings, not exceptions.
    """

    name: str

    async def run(self, question: str, ctx: RunContext) -> Trace: ...
