"""Pre-Act: a multi-step plan first, revised after every observation (Rawat et al., methods.md §4).

1. *Plan*: one turn writes a numbered plan, ``N. <tool> - <why>`` per line and a last line
   ``N. final answer - <why>``, decoded under a grammar whose tool names come from the registry
   (a "plan" step).
2. *Act*: the model sees the question, "Previous steps" (each call and what it returned) and
   "Next steps (plan)", rendered afresh each turn, and does the plan's first step: one tool call
   in the tool format, or the final answer (plain text ends the run).
3. *Revise*: after each observation a plan turn, under the same grammar, rewrites the steps that
   are still to do (another "plan" step); then back to 2. When the plan is down to its
   final-answer step, the answer turn is plain text (its grammar allows no call).

As in ReAct, an unreadable act turn gets one repair retry and repeated calls are answered from
memory once before the run stops as stuck; budget stops end the run with their reason.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Sequence

from pydantic import BaseModel

from toolweave.agents.answer import answer_from_evidence
from toolweave.agents.prompts import render, system_prompt
from toolweave.agents.repair import MAX_REPAIRS, mark_unreadable, repair_messages, stop_reason
from toolweave.constraints.gbnf import literal
from toolweave.formats.base import FREE_TEXT_MAX_CHARS
from toolweave.runtime.budget import BudgetExceeded
from toolweave.runtime.context import RunContext
from toolweave.runtime.derived import derived
from toolweave.runtime.executor import observation_text
from toolweave.types import (
    Completion,
    Constraint,
    Message,
    Step,
    Text,
    ToolCall,
    ToolSpec,
    Trace,
)

FINAL = "final answer"
MAX_PLAN_STEPS = 6  # tool steps before the final-answer step
WHY_MAX_CHARS = 160
RESULT_MAX_CHARS = 500  # of each observation, as "Previous steps" shows it
ANSWER_GRAMMAR = f"root ::= [^<\\n] [^<]{{0,{FREE_TEXT_MAX_CHARS}}}"  # text, no call tags

# A plan line: "N." (or "N)", "-", "*"), the action, then the first separator (" - ", " : ",
# a dash, or ":") and why. Found in two linear steps: one regex for all of it backtracked
# cubically on a line of spaces.
_HEAD = re.compile(r"\s*+(?:\d+[.)]|[-*])\s*+")
_SEPARATOR = re.compile(r"\s[-\u2014\u2013:]|:")


class PlanStep(BaseModel):
    """One line of a plan: the action (a tool name or ``final answer``) and why."""

    action: Text
    why: Text = ""  # the model's words, written to traces: lone surrogates replaced

    @property
    def final(self) -> bool:
        return self.action == FINAL


def plan_grammar(tools: Sequence[ToolSpec], max_steps: int = MAX_PLAN_STEPS) -> str:
    """GBNF for a plan: up to ``max_steps`` numbered tool steps, then the final-answer step."""
    names = [literal(t.name) for t in tools if t.name != FINAL]
    rules = [
        f'root ::= ( pa-step "\\n" ){{0,{max_steps if names else 0}}} pa-final',
        'pa-num ::= [1-9] [0-9]?',
        f'pa-why ::= [^\\n]{{1,{WHY_MAX_CHARS}}}',
        f'pa-final ::= pa-num ". " {literal(FINAL)} " - " pa-why',
    ]
    if names:
        rules += ['pa-step ::= pa-num ". " pa-tool " - " pa-why',
                  "pa-tool ::= " + " | ".join(names)]
    else:
        rules.append('pa-step ::= pa-final')
    return "\n".join(rules)


def parse_plan(text: str, tool_names: Sequence[str]) -> list[PlanStep]:
    """The plan's steps, in order, up to and including the first final-answer step.

    Tolerant of unconstrained output: lines that name no known tool (nor the final answer) are
    skipped. A plan without a final-answer step gets one appended, so the plan always ends.
    """
    known = {name.lower(): name for name in tool_names}
    steps: list[PlanStep] = []
    for line in text.splitlines():
        if (parts := _plan_line(line)) is None:
            continue
        action, why = parts[0].strip().strip("`*"), parts[1].strip()
        if action.lower() == FINAL:
            steps.append(PlanStep(action=FINAL, why=why))
            break
        if action.lower() in known:
            steps.append(PlanStep(action=known[action.lower()], why=why))
    if not steps or not steps[-1].final:
        steps.append(PlanStep(action=FINAL, why="answer from the previous steps"))
    return steps


def _plan_line(line: str) -> tuple[str, str] | None:
    """(action, why) of a numbered or bulleted line with a separator after the action."""
    head = _HEAD.match(line)
    if head is None or head.end() >= len(line):
        return None
    separator = _SEPARATOR.search(line, head.end() + 1)  # the action has at least one char
    if separator is None:
        return None
    return line[head.end():separator.start()], line[separator.end():]


def call_text(call: ToolCall) -> str:
    """A call as "Previous steps" shows it: ``name({...})``."""
    return f"{call.name}({json.dumps(call.arguments, ensure_ascii=False)})"


class PreactStrategy:
    """Plan, act one step, revise the plan; until the final answer or a budget stop."""

    name = "preact"

    def __init__(self, instructions: str = "", *, revise: bool = True,
                 max_plan_steps: int = MAX_PLAN_STEPS, plan_max_tokens: int | None = None):
        """``revise=False`` keeps the first plan (only dropping done steps) and saves a model
        turn per step."""
        self.instructions = instructions
        self.revise = revise
        self.max_plan_steps = max_plan_steps
        self.plan_max_tokens = plan_max_tokens

    def system_prompt(self, ctx: RunContext) -> str:
        return system_prompt("preact_system", self.instructions, ctx)

    async def run(self, question: str, ctx: RunContext) -> Trace:
        system = Message(role="system", content=self.system_prompt(ctx))
        previous: list[dict[str, str]] = []
        done: list[str] = []  # the tools called so far, in order
        try:
            plan = await self._plan(question, system, previous, None, ctx)
            repairs, repair = 0, []  # the repair exchange rides along on the next turn only
            while True:
                step = _new_step(ctx, "act")
                context = _context(question, previous, plan)
                messages = [*ctx.opening(system, Message(role="user", content=render(
                    "preact_act", context=context, final=plan[0].final))), *repair]
                if plan[0].final and previous and not repair:
                    return await self._answer(ctx, messages, step)
                completion, turn = await ctx.act_turn(messages)
                step.completion, step.thought = completion, turn.text.strip()
                if mark_unreadable(step, completion, turn):
                    ctx.recorder.step(step)
                    repairs += 1
                    if repairs > MAX_REPAIRS:
                        return ctx.recorder.end(None, stop_reason(step))
                    repair = repair_messages(step, completion)
                    continue
                repair = []
                if not turn.calls:
                    step.kind = "answer"
                    ctx.recorder.step(step)
                    return ctx.recorder.end(turn.text.strip(), "answer")
                step.calls = turn.calls
                step.observations = await ctx.run_calls(turn.calls)
                step.ended_at = time.time()
                ctx.recorder.step(step)
                if ctx.guard.exhausted:
                    return await answer_from_evidence(ctx, "answer", question)
                previous += [{"call": call_text(c), "result": _clip(observation_text(o))}
                             for c, o in zip(turn.calls, step.observations)]
                done += [c.name for c in turn.calls]
                # the revision sees the plan without the step just done: small models copy
                # the plan they are shown, so showing the done step gets it done again
                plan = _advance(plan)
                if self.revise:
                    plan = _drop_done(await self._plan(question, system, previous, plan, ctx),
                                      done)
        except BudgetExceeded as stop:
            return await answer_from_evidence(ctx, stop.reason, question)

    async def _plan(self, question: str, system: Message, previous: list[dict[str, str]],
                    plan: list[PlanStep] | None, ctx: RunContext) -> list[PlanStep]:
        """A plan turn (the first plan, or a revision of ``plan``), recorded as a "plan" step."""
        step = _new_step(ctx, "plan")
        specs = ctx.tools.specs()
        revise = plan is not None
        prompt = render("preact_plan", context=_context(question, previous, plan),
                        revise=revise, tool_names=[t.name for t in specs])
        completion = await self._turn(ctx, ctx.opening(system, Message(role="user",
                                                                        content=prompt)),
                                      derived(ctx.tools, ("preact_plan", self.max_plan_steps),
                                              lambda: plan_grammar(specs, self.max_plan_steps)))
        new_plan = parse_plan(completion.text, ctx.tools.names())
        step.completion, step.thought = completion, completion.text.strip()
        ctx.recorder.step(step)
        ctx.recorder.meta(plan=[s.model_dump() for s in new_plan])
        return new_plan

    async def _answer(self, ctx: RunContext, messages: list[Message], step: Step) -> Trace:
        """The plan's final-answer step after some tool steps: plain text only. Small models
        otherwise call a tool again although the plan says to answer."""
        completion = await self._turn(ctx, messages, ANSWER_GRAMMAR)
        step.kind, step.completion = "answer", completion
        step.thought = completion.text.strip()
        ctx.recorder.step(step)
        return ctx.recorder.end(step.thought, "answer")

    async def _turn(self, ctx: RunContext, messages: list[Message], grammar: str) -> Completion:
        """A plan turn in this strategy's own syntax: never native tools."""
        return await ctx.model_turn(messages, constraint=Constraint.grammar(grammar),
                                    max_tokens=self.plan_max_tokens, offer_tools=False)


def _advance(plan: list[PlanStep]) -> list[PlanStep]:
    """The plan without the step just done."""
    rest = plan[1:] if plan and not plan[0].final else plan
    return rest or [PlanStep(action=FINAL, why="answer from the previous steps")]


def _drop_done(plan: list[PlanStep], done: list[str]) -> list[PlanStep]:
    """A revised plan that starts over with the steps already done (as small models write it)
    loses that prefix."""
    names = [s.action for s in plan]
    if len(names) > len(done) and names[:len(done)] == done:
        return plan[len(done):]
    return plan


def _context(question: str, previous: list[dict[str, str]],
             plan: list[PlanStep] | None) -> str:
    return render("preact_context", question=question, previous=previous,
                  plan=None if plan is None else [s.model_dump() for s in plan])


def _clip(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= RESULT_MAX_CHARS else text[:RESULT_MAX_CHARS] + "…"


def _new_step(ctx: RunContext, kind: str) -> Step:
    step = Step(index=len(ctx.recorder.trace.steps), kind=kind, started_at=time.time())
    ctx.recorder.event("step_start", index=step.index)
    return step
