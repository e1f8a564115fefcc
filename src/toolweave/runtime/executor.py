"""Running one step's tool calls: concurrently, each under its tool's timeout, with repeat
detection and error hints the model can act on."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from toolweave.runtime.repeats import RepeatGuard, signature
from toolweave.tools.registry import ToolRegistry
from toolweave.types import Observation, ToolCall

HINTS = {
    "invalid_arguments": "Check the argument names and types against the tool's parameters.",
    "invalid_input": "The input must follow the tool's input format exactly.",
    "unknown_tool": "Call only the tools listed in the instructions.",
    "timeout": "The tool took too long: try a simpler request or another tool.",
}
DEFAULT_HINT = "Try different arguments or another tool, or answer with what you know."


async def run_calls(tools: ToolRegistry, calls: Sequence[ToolCall],
                    guard: RepeatGuard | None = None) -> list[Observation]:
    """Observations for ``calls`` in call order; new calls run concurrently.

    Repeats of earlier calls (same tool, same arguments) are not run: the guard answers them.
    """
    observations: list[Observation | None] = [None] * len(calls)
    fresh: list[int] = []
    sigs = [signature(call) for call in calls] if guard is not None else []
    for i, call in enumerate(calls):
        if guard is not None and guard.is_repeat(call, sigs[i]):
            observations[i] = guard.nudge(call)
        else:
            fresh.append(i)
    if len(fresh) == 1:
        # One call has nothing to overlap with: await it here rather than through a task
        # (gather would add a task and loop rounds to every single-call step).
        results = [await tools.invoke(calls[fresh[0]])]
    else:
        results = await asyncio.gather(*(tools.invoke(calls[i]) for i in fresh))
    for i, observation in zip(fresh, results):
        if guard is not None:
            guard.remember(calls[i], observation, sigs[i])
        observations[i] = observation
    return [o for o in observations if o is not None]


def observation_text(observation: Observation) -> str:
    """What the model reads for an observation: the content, plus a hint when it failed."""
    if observation.ok:
        return observation.content
    if observation.error == "repeated_call":
        return observation.content
    hint = HINTS.get(observation.error or "", DEFAULT_HINT)
    return f"Error: {observation.content}\nHint: {hint}"
