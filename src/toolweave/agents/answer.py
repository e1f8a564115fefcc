"""The answer turn from the evidence: every run that found something ends with an answer.

Whatever stops a run — the model repeating calls it already made, the step or token budget,
turns it cannot write — a small model has usually fetched what the question needs already; it
just does not stop calling. Ending such a run with no answer throws that evidence away. This
turn offers no tools, asks for the answer from the results, and is decoded under a grammar of
plain text that cannot open like a call.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from toolweave.agents.prompts import render
from toolweave.runtime.context import RunContext
from toolweave.types import Constraint, Message, Step, Trace

ANSWER_MAX_CHARS = 600
ANSWER_MAX_TOKENS = 160
# Plain text that does not open like markup, JSON, a quote or a list, and holds no braces or
# tags: what a small model writes instead of an answer is a call as text ({"name": …}).
ANSWER_GRAMMAR = (f'root ::= [^<>{{}}\\[`" \\t\\n] [^<>{{}}]{{0,{ANSWER_MAX_CHARS - 1}}}')


def has_evidence(ctx: RunContext) -> bool:
    """True once some tool call of this run succeeded."""
    return any(o.ok for o in ctx.guard.seen.values())


def answer_constraint(ctx: RunContext) -> Constraint | None:
    """The answer grammar, where the backend takes GBNF and the run is constrained."""
    if ctx.constrained and "grammar:gbnf" in ctx.model.constraint_kinds:
        return Constraint.grammar(ANSWER_GRAMMAR)
    return None


async def answer_from_evidence(ctx: RunContext, messages: Sequence[Message],
                               stop_reason: str, question: str = "",
                               evidence: str = "") -> Trace:
    """End the run with an answer turn over ``messages`` (the history so far, plus
    ``evidence`` written out when the history does not hold it), or with no answer when no
    call succeeded. ``stop_reason`` is what stopped the run; it is kept in the trace.

    The turn may go one step past the step and token budgets: it is the last one either way.
    """
    if not has_evidence(ctx) or ctx.budget.seconds_left() <= 0:
        # a model that only repeats calls that all failed cannot progress
        return ctx.recorder.end(None, "stuck" if stop_reason == "answer" else stop_reason)
    step = Step(index=len(ctx.recorder.trace.steps), kind="answer", started_at=time.time())
    ctx.recorder.event("step_start", index=step.index)
    prompt = Message(role="user", content=render("answer_now", question=question,
                                                 evidence=evidence))
    completion = await ctx.model_turn([*messages, prompt], constraint=answer_constraint(ctx),
                                      max_tokens=ANSWER_MAX_TOKENS, offer_tools=False,
                                      over_budget=True)
    step.completion = completion
    step.thought = text = completion.text.strip()
    ctx.recorder.step(step)
    return ctx.recorder.end(text or None, stop_reason)
