"""ReAct: Thought → Action(s) → Observation until a final answer (Yao et al.).

Each turn is decoded under the tool format's grammar where the backend allows, so it parses.
A turn with calls runs them concurrently and feeds the observations back; a turn without calls
is the final answer. Unparseable turns (possible only without a grammar) get one repair retry.

What a small model needs carried: a call written twice in a turn runs once; a call made before
is not run again, and neither is shown back (the model copies its own turns); a turn that asks
only for what the run already has means the model has nothing left to look up, so the run ends
with an answer turn over the results (`answer_from_evidence`), as it does on every other stop
(step or token budget, unreadable turns) once some call succeeded.
"""

from __future__ import annotations

import time

from toolweave.agents.answer import answer_from_evidence
from toolweave.agents.prompts import system_prompt
from toolweave.agents.repair import MAX_REPAIRS, mark_unreadable, repair_messages, stop_reason
from toolweave.formats.base import MAX_CALLS
from toolweave.runtime.budget import BudgetExceeded
from toolweave.runtime.context import RunContext
from toolweave.runtime.executor import new_results, observation_text
from toolweave.runtime.repeats import signature
from toolweave.types import Message, Observation, Step, ToolCall, Trace


class ReactStrategy:
    """The ReAct loop over any tool format and model."""

    name = "react"

    def __init__(self, instructions: str = "", *, follow_up_calls: int = 3):
        """``follow_up_calls``: the most calls a turn may write once results are in (the first
        turn may write up to `MAX_CALLS`: the independent lookups of a fan-out), of which only
        the first new one runs. Past the first turn a small model lists calls it does not
        need after the one it meant, often after repeating one it already made."""
        self.instructions = instructions
        self.follow_up_calls = follow_up_calls

    def system_prompt(self, ctx: RunContext) -> str:
        return system_prompt("react_system", self.instructions, ctx)

    async def run(self, question: str, ctx: RunContext) -> Trace:
        messages = [Message(role="system", content=self.system_prompt(ctx)),
                    Message(role="user", content=question)]
        repairs, nudged, max_calls = 0, False, MAX_CALLS
        try:
            while True:
                step = Step(index=len(ctx.recorder.trace.steps), started_at=time.time())
                ctx.recorder.event("step_start", index=step.index)
                completion, turn = await ctx.act_turn(messages, max_calls=max_calls)
                step.completion, step.thought = completion, turn.text.strip()
                if mark_unreadable(step, completion, turn):
                    ctx.recorder.step(step)
                    repairs += 1
                    if repairs > MAX_REPAIRS:
                        return await answer_from_evidence(ctx, messages, stop_reason(step),
                                                          question)
                    messages += repair_messages(step, completion)
                    continue
                if not turn.calls:
                    step.kind = "answer"
                    ctx.recorder.step(step)
                    return ctx.recorder.end(turn.text.strip(), "answer")
                step.calls = turn.calls
                step.observations = await ctx.run_calls(turn.calls)
                step.ended_at = time.time()
                ctx.recorder.step(step)
                ran = new_results(turn.calls, step.observations)
                if not ran:
                    failed = failed_repeats(ctx, turn.calls, step.observations)
                    if not failed or nudged:
                        # nothing new asked: the model has what it can get, so it answers now
                        return await answer_from_evidence(ctx, messages, "answer", question)
                    # a failed call asked again: once, it is told so, with the error
                    nudged, ran = True, failed
                if max_calls == self.follow_up_calls:
                    ran = ran[:1]
                max_calls = self.follow_up_calls
                calls = [c for c, _ in ran]
                messages.append(ctx.format.assistant_message(turn.text, calls))
                messages += ctx.format.results_messages(
                    calls, [observation_text(o) for _, o in ran])
        except BudgetExceeded as stop:
            return await answer_from_evidence(ctx, messages, stop.reason, question)


def failed_repeats(ctx: RunContext, calls: list[ToolCall], observations: list[Observation]
                   ) -> list[tuple[ToolCall, Observation]]:
    """The turn's repeats of calls that failed before (one per distinct call), with the
    guard's reminder as their observation."""
    out, seen = [], set()
    for call, obs in zip(calls, observations):
        sig = signature(call)
        before = ctx.guard.seen.get(sig)
        if obs.error == "repeated_call" and before is not None and not before.ok \
                and sig not in seen:
            seen.add(sig)
            out.append((call, obs))
    return out
