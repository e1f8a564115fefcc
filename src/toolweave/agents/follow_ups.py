"""The calls a turn's calls imply, made by the runtime as if the model had written them.

- A failed call whose error suggests another value ("did you mean 'Lunetta'?") is made again
  with it (`suggested_call`); a later repeat of the failed call counts as answered.
- A call about one item of a list in the question is made for the other items
  (`sibling_calls`), and a call that uses one fan-out member's result is made with the other
  members' results (`propagated_siblings`): fan-outs carry on down a chain. A call about one
  member of a list a result gave is made for the others when the question asks about all of
  them (`listed_siblings`: "the total … of all the albums in …").

A small model shows which tool and arguments one item needs, then answers, or repeats itself;
these calls are the ones it would have needed next. They call only tools the model chose, with
values from the question and results, never anything a tool's output asks for — and never a
stateful tool (`Tool.stateful`): a call that changes state is the model's alone to make.
"""

from __future__ import annotations

from toolweave.runtime.context import RunContext
from toolweave.runtime.corrections import suggested_call
from toolweave.runtime.fanout import listed_siblings, propagated_siblings, sibling_calls
from toolweave.runtime.repeats import signature
from toolweave.types import Observation, ToolCall


class FollowUps:
    """Runs a turn's calls and what they imply, for one run."""

    def __init__(self, ctx: RunContext, question: str):
        self.ctx, self.question = ctx, question
        self.groups: list[list[Observation]] = []  # the results of each fan-out made
        self.corrected: set[str] = set()  # failed calls a correction answered

    async def run(self, calls: list[ToolCall]) -> tuple[list[ToolCall], list[Observation]]:
        """Run ``calls``, then their corrections, then their fan-out siblings."""
        ctx = self.ctx
        observations = await ctx.run_calls(calls)
        made = {signature(calls[0])} if len(calls) == 1 else {signature(c) for c in calls}
        fixes = []
        for call, obs in zip(calls, observations):
            if obs.ok or self.ctx.tools.stateful(call.name):
                continue  # (a call that succeeded suggests no correction)
            fix = suggested_call(call, obs)
            if fix is not None and self._new(fix, made):
                fixes.append(fix)
                self.corrected.add(signature(call))
        if fixes:
            ctx.recorder.event("corrected", calls=[c.model_dump() for c in fixes])
            observations = observations + await ctx.run_calls(fixes, implied=True)
            calls = calls + fixes
        fanouts = []
        for call, obs in zip(calls, observations):
            if obs.ok and not self.ctx.tools.stateful(call.name):
                siblings = (sibling_calls(self.question, call)
                            or propagated_siblings(call, self.groups)
                            or listed_siblings(self.question, call, ctx.guard.made()))
                siblings = [s for s in siblings if self._new(s, made)] if siblings else []
                if siblings:
                    fanouts.append((obs, siblings))
        if not fanouts:
            return calls, observations
        extra = [s for _, siblings in fanouts for s in siblings]
        ctx.recorder.event("fanout", calls=[c.model_dump() for c in extra])
        results = iter(await ctx.run_calls(extra, implied=True))
        for obs, siblings in fanouts:
            done = [next(results) for _ in siblings]
            self.groups.append([obs] + [o for o in done if o.ok])
            observations = observations + done
        return calls + extra, observations

    def _new(self, call: ToolCall, made: set[str]) -> bool:
        """Whether ``call`` is neither in this turn nor made before; it is now."""
        sig = signature(call)
        if sig in made or self.ctx.guard.is_repeat(call, sig):
            return False
        made.add(sig)
        return True
