"""`Scripted`: replays a fixed list of completions. For unit tests of loop logic only."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Sequence

from toolweave.models.base import StreamingModel
from toolweave.types import Completion, Delta, Message, Timings

Reply = str | Completion | Callable[[Sequence[Message]], "str | Completion"]


class ScriptExhaustedError(RuntimeError):
    """The loop asked for more turns than the script has."""


class Scripted(StreamingModel):
    """Answers each call with the next scripted reply.

    A reply is a string (the text), a `Completion`, or a function of the messages returning one
    (to react to what the loop sent). ``delay_s`` simulates model latency. Every call's messages
    are kept in ``calls`` so tests can assert what the loop sent.
    """

    constraint_kinds = frozenset({"json_schema", "regex", "grammar:gbnf", "grammar:lark"})

    def __init__(self, replies: Sequence[Reply], *, delay_s: float = 0.0, name: str = "scripted"):
        self.replies = list(replies)
        self.delay_s = delay_s
        self.name = name
        self.calls: list[list[Message]] = []
        self.kwargs: list[dict] = []

    async def stream(self, messages: Sequence[Message], **kwargs) -> AsyncIterator[Delta]:
        completion = await self._next(messages, kwargs)
        if completion.text:
            yield Delta(text=completion.text)
        yield Delta(completion=completion)

    async def complete(self, messages: Sequence[Message], **kwargs) -> Completion:
        # Not the stream collected: the loop-overhead bench drives its steps through here, and
        # an async generator plus two Deltas per turn would be Scripted's cost, not the loop's.
        return await self._next(messages, kwargs)

    async def _next(self, messages: Sequence[Message], kwargs: dict) -> Completion:
        start = time.perf_counter()
        self.calls.append(list(messages))
        self.kwargs.append(kwargs)
        if not self.replies:
            raise ScriptExhaustedError(f"script exhausted after {len(self.calls) - 1} replies")
        reply = self.replies.pop(0)
        if callable(reply):
            reply = reply(messages)
        if isinstance(reply, Completion):
            # a copy, so the loop never mutates a Completion the test still holds
            completion = reply.model_copy(deep=True)
            completion.model = completion.model or self.name
        else:
            completion = Completion(text=reply, model=self.name)
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        elapsed = time.perf_counter() - start
        completion.timings = Timings(time_to_first_token_s=elapsed, total_s=elapsed)
        return completion
