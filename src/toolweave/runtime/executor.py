"""Running one step's tool calls: concurrently, each under its tool's timeout, with repeat
detection, the run's tool policy and error hints the model can act on."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence

from toolweave.runtime.policy import POLICY, ToolPolicy
from toolweave.runtime.repeats import RepeatGuard, signature
from toolweave.tools.registry import ToolRegistry
from toolweave.types import Observation, ToolCall

HINTS = {
    "invalid_arguments": "Check the argument names and types against the tool's parameters.",
    "invalid_input": "The input must follow the tool's input format exactly.",
    "unknown_tool": "Call only the tools listed in the instructions.",
    "timeout": "The tool took too long: try a simpler request or another tool.",
    POLICY: "Do not ask for it again: go on with the user's task, or answer with what you have.",
}
DEFAULT_HINT = "Try different arguments or another tool, or answer with what you know."


async def run_calls(tools: ToolRegistry, calls: Sequence[ToolCall],
                    guard: RepeatGuard | None = None,
                    invoke: Callable[[ToolCall], Awaitable[Observation]] | None = None,
                    policy: ToolPolicy | None = None) -> list[Observation]:
    """Observations for ``calls`` in call order; new calls run concurrently, or one after
    another in order when one of them is to a stateful tool (`Tool.stateful`). ``invoke``
    runs one call (by default ``tools.invoke``; a run's `RunContext.invoke` records it).

    Repeats of earlier calls (same tool, same arguments) are not run: the guard answers them.
    A call written twice in one turn runs once (small models copy a call up to the grammar's
    cap); its copies get a ``duplicate_call`` observation. A call the ``policy`` refuses is not
    run: its observation says why (``error="policy"``).
    """
    observations: list[Observation | None] = [None] * len(calls)
    fresh: list[int] = []
    sigs = [signature(call) for call in calls] if guard is not None else []
    first_at: dict[str, int] = {}
    for i, call in enumerate(calls):
        if policy is not None and (capped := policy.over_cap(call, i)) is not None:
            observations[i] = capped  # not remembered: the same call may run in a later turn
        elif guard is not None and guard.is_repeat(call, sigs[i]):
            observations[i] = guard.nudge(call)
        elif guard is not None and sigs[i] in first_at:
            observations[i] = Observation(
                call_id=call.id, tool=call.name, ok=False, error="duplicate_call",
                content=f"the same call as call {first_at[sigs[i]] + 1} of this turn: run once")
        elif (policy is not None and policy.may_refuse(tools, call)
              and (refusal := await policy.refusal(tools, call)) is not None):
            observations[i] = refusal
            if guard is not None:
                guard.remember(call, refusal, sigs[i])  # asked again, it is a repeat
        else:
            if guard is not None:
                first_at[sigs[i]] = i
            fresh.append(i)
    invoke = invoke or tools.invoke
    if len(fresh) == 1:
        # One call has nothing to overlap with: await it here rather than through a task
        # (gather would add a task and loop rounds to every single-call step).
        results = [await invoke(calls[fresh[0]])]
    elif any(tools.stateful(calls[i].name) for i in fresh):
        # "cd into it, then move the file": each call reads the state the one before left
        results = [await invoke(calls[i]) for i in fresh]
    else:
        results = await asyncio.gather(*(invoke(calls[i]) for i in fresh))
    for i, observation in zip(fresh, results, strict=True):
        if guard is not None:
            guard.remember(calls[i], observation, sigs[i])
            if observation.ok and tools.stateful(calls[i].name):
                guard.state_changed(sigs[i], tools.stateful)
        observations[i] = observation
    return [o for o in observations if o is not None]


NOT_RUN = frozenset({"repeated_call", "duplicate_call"})


def new_results(calls: Sequence[ToolCall], observations: Sequence[Observation]
                ) -> list[tuple[ToolCall, Observation]]:
    """The calls of a turn that really ran, with their observations: what the model is shown
    again. Repeats are left out of the history, since a small model copies its own turns."""
    return [(c, o) for c, o in zip(calls, observations, strict=False)
            if o.error not in NOT_RUN]


def observation_text(observation: Observation) -> str:
    """What the model reads for an observation: the content, plus a hint when it failed."""
    if observation.ok:
        return observation.content
    if observation.error in NOT_RUN:
        return observation.content
    return f"Error: {observation.content}\nHint: {observation.hint or error_hint(observation)}"


def error_hint(observation: Observation) -> str:
    """The standard hint for a failed observation's kind of error."""
    return HINTS.get(observation.error or "", DEFAULT_HINT)
