"""ReAct: Thought → Action(s) → Observation until a final answer (Yao et al.).

Each turn is decoded under the tool format's grammar where the backend allows, so it parses.
A turn with calls runs them concurrently and feeds the observations back; a turn without calls
is the final answer. Unparseable turns (possible only without a grammar) get one repair retry;
a repeated call is answered from memory and the next turn is decoded without tools, so the
model answers from what it has; where that cannot be enforced, a second repeat stops the run
as stuck.
"""

from __future__ import annotations

import time

from toolweave.agents.prompts import system_prompt
from toolweave.agents.repair import MAX_REPAIRS, mark_unreadable, repair_messages, stop_reason
from toolweave.runtime.budget import BudgetExceeded
from toolweave.runtime.context import RunContext
from toolweave.runtime.executor import observation_text
from toolweave.types import Message, Step, Trace


class ReactStrategy:
    """The ReAct loop over any tool format and model."""

    name = "react"

    def __init__(self, instructions: str = ""):
        self.instructions = instructions

    def system_prompt(self, ctx: RunContext) -> str:
        return system_prompt("react_system", self.instructions, ctx)

    async def run(self, question: str, ctx: RunContext) -> Trace:
        messages = [Message(role="system", content=self.system_prompt(ctx)),
                    Message(role="user", content=question)]
        repairs, answer_only = 0, False
        try:
            while True:
                step = Step(index=len(ctx.recorder.trace.steps), started_at=time.time())
                ctx.recorder.event("step_start", index=step.index)
                completion, turn = await ctx.act_turn(messages, answer_only=answer_only)
                step.completion, step.thought = completion, turn.text.strip()
                if mark_unreadable(step, completion, turn):
                    ctx.recorder.step(step)
                    repairs += 1
                    if repairs > MAX_REPAIRS:
                        return ctx.recorder.end(None, stop_reason(step))
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
                if ctx.guard.exhausted:
                    return ctx.recorder.end(None, "stuck")
                messages.append(ctx.format.assistant_message(turn.text, turn.calls))
                messages += ctx.format.results_messages(
                    turn.calls, [observation_text(o) for o in step.observations])
                # A repeat means the model has what it asked for (or keeps failing the same
                # way): the next turn, where the backend can enforce it, must be the answer.
                answer_only = any(o.error == "repeated_call" for o in step.observations)
        except BudgetExceeded as stop:
            return ctx.recorder.end(None, stop.reason)
