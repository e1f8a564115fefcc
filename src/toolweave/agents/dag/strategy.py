"""DAG: decompose → plan a graph of tool calls → run it concurrently → join (TURA stage 2 /
LLMCompiler, methods.md §3 and §10).

1. *Decompose*: one turn splits the question into numbered sub-questions (a "plan" step; trace
   meta ``subqueries``).
2. *Plan*: the planner writes numbered task lines under a grammar built from the tool set; the
   stream is parsed line by line and every valid task is handed to the scheduler as soon as its
   line is complete, so tools run while the planner is still writing.
3. *Execute*: `DagScheduler` starts each task when its own dependencies finish.
4. *Join*: ``Answer: …`` ends the run; ``Replan: …`` plans again with the results so far, at
   most ``max_replans`` times (the last join's grammar does not allow it).

An invalid plan (unknown tool, bad reference, cycle) is shown back to the planner once with its
problems. A second invalid plan hands the question to ReAct (``fallback="react"``, the
default; trace meta ``fallback``), which needs no plan: a small model that cannot write a
valid graph can still answer step by step, within the same budget. With ``fallback=None`` it
ends the run with stop reason "error".
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence

from toolweave.agents.answer import answer_from_evidence
from toolweave.agents.dag.plan import (
    MAX_TASKS,
    PlanParser,
    Task,
    join_grammar,
    parse_subqueries,
    plan_grammar,
    subqueries_grammar,
    task_problems,
    tool_docs,
    validate,
)
from toolweave.agents.dag.scheduler import DagScheduler
from toolweave.agents.prompts import render
from toolweave.runtime.budget import BudgetExceeded
from toolweave.runtime.context import RunContext
from toolweave.runtime.derived import derived
from toolweave.runtime.executor import observation_text
from toolweave.types import Completion, Constraint, Message, Observation, Step, ToolCall, Trace

OBSERVATION_MAX_CHARS = 1000
Results = list[tuple[ToolCall, Observation]]


class DagStrategy:
    """Plan-and-execute over a task graph with streamed, dependency-driven scheduling."""

    name = "dag"

    def __init__(self, instructions: str = "", *, decompose: bool = True,
                 decompose_min_words: int = 0, max_replans: int = 1, max_tasks: int = MAX_TASKS,
                 stream: bool = True, plan_max_tokens: int | None = None,
                 decompose_max_tokens: int = 96, join_max_tokens: int = 160,
                 fallback: str | None = "react"):
        """``decompose_min_words``: questions shorter than this skip decomposition.
        ``stream``: parse the planner's output as it arrives (needs a streaming model)."""
        self.instructions = instructions
        self.decompose, self.decompose_min_words = decompose, decompose_min_words
        self.max_replans, self.max_tasks, self.stream = max_replans, max_tasks, stream
        self.plan_max_tokens = plan_max_tokens
        self.decompose_max_tokens, self.join_max_tokens = decompose_max_tokens, join_max_tokens
        if fallback not in (None, "react"):
            raise ValueError(f"unknown fallback {fallback!r}; use 'react' or None")
        self.fallback = fallback

    async def run(self, question: str, ctx: RunContext) -> Trace:
        try:
            subqueries = await self._decompose(question, ctx)
            rounds: list[Results] = []
            reason = ""
            for round_no in range(self.max_replans + 1):
                results = await self._plan_and_execute(question, subqueries, rounds, reason, ctx)
                if results is None:
                    return await self._fall_back(question, ctx)
                if results or not rounds:  # a replan that asked nothing new adds nothing
                    rounds.append(results)
                # Replanning is offered only when a task failed: a small joiner otherwise
                # "replans" over results that hold the answer, and the new plan adds junk.
                failed = any(not o.ok for _, o in results)
                verdict, text = await self._join(
                    question, rounds, ctx,
                    allow_replan=round_no < self.max_replans and failed and bool(results))
                if verdict != "replan":
                    return ctx.recorder.end(*((text, "answer") if verdict == "answer"
                                              else (None, "error")))
                reason = text
                ctx.recorder.meta(replans=round_no + 1)
            return ctx.recorder.end(None, "error")  # unreachable: the last join never replans
        except BudgetExceeded as stop:
            return await answer_from_evidence(ctx, stop.reason, question)

    async def _fall_back(self, question: str, ctx: RunContext) -> Trace:
        """No valid plan after the re-ask: answer step by step instead, or stop."""
        if self.fallback is None:
            return ctx.recorder.end(None, "error")
        from toolweave.agents.react import ReactStrategy

        ctx.recorder.meta(fallback=self.fallback)
        return await ReactStrategy(self.instructions).run(question, ctx)

    # -- stages --------------------------------------------------------------------------------

    async def _decompose(self, question: str, ctx: RunContext) -> list[str]:
        if not self.decompose or len(question.split()) < self.decompose_min_words:
            return [question]
        step = _new_step(ctx, "plan")
        messages = [Message(role="system", content=render("dag_decompose")),
                    Message(role="user", content=question)]
        completion = await self._turn(ctx, messages, subqueries_grammar(),
                                      self.decompose_max_tokens)
        subqueries = parse_subqueries(completion.text) or [question]
        step.completion, step.thought = completion, completion.text.strip()
        ctx.recorder.step(step)
        ctx.recorder.meta(subqueries=subqueries)
        return subqueries

    async def _plan_and_execute(self, question: str, subqueries: list[str],
                                rounds: list[Results], reason: str,
                                ctx: RunContext) -> Results | None:
        """Plan (with one re-ask on an invalid plan) while running the tasks; None on failure."""
        names = ctx.tools.names()
        system = render("dag_plan", instructions=self.instructions,
                        tool_docs=derived(ctx.tools, "dag_tool_docs",
                                          lambda: tool_docs(ctx.tools.specs())))
        previous = scratchpad(rounds)
        messages = ctx.opening(Message(role="system", content=system),
                               Message(role="user", content=render(
                                   "dag_question", question=question, subqueries=subqueries,
                                   previous=previous, reason=reason)))
        # A plan needs about two calls per sub-question; past that a small planner lists
        # every tool. Per tool set and bound: the grammar compiles every tool's schema.
        max_tasks = min(self.max_tasks, 2 * len(subqueries) + 1)
        grammar = derived(ctx.tools, ("dag_plan", max_tasks),
                          lambda: plan_grammar(ctx.tools.specs(), max_tasks))
        for attempt in range(2):
            step = _new_step(ctx, "plan")
            scheduler = DagScheduler(ctx.tools, ctx.recorder, ctx.guard, ctx.invoke,
                                     ctx.policy)
            parser = PlanParser()
            on_text = _submitter(parser, scheduler, names)
            try:
                completion = await self._turn(ctx, messages, grammar, self.plan_max_tokens,
                                              on_text)
                plan = parser.finish(truncated=completion.finish_reason == "length")
                problems = validate(plan, names)
                if not problems and plan.tasks and plan.tasks[-1].id not in scheduler.calls:
                    scheduler.submit(plan.tasks[-1])  # an unterminated last line (no join())
            except BaseException:
                await scheduler.cancel()
                raise
            step.completion, step.thought = completion, completion.text.strip()
            ctx.recorder.meta(plan=[t.line for t in plan.tasks])
            if problems:
                await scheduler.cancel()
                step.kind, step.error = "error", "invalid plan: " + "; ".join(problems)
                ctx.recorder.step(step)
                if attempt == 0:
                    messages += [Message(role="assistant", content=completion.text),
                                 Message(role="user", content=render("dag_reask",
                                                                     problems=problems))]
                continue
            ctx.recorder.step(step)
            return await self._execute(scheduler, ctx)
        return None

    async def _execute(self, scheduler: DagScheduler, ctx: RunContext) -> Results:
        try:
            results = await scheduler.wait()
        except BaseException:
            await scheduler.cancel()
            raise
        ran = [o for _, o in results if o.started_at]
        step = Step(index=len(ctx.recorder.trace.steps), kind="act",
                    calls=[c for c, _ in results], observations=[o for _, o in results],
                    started_at=min((o.started_at for o in ran), default=time.time()),
                    ended_at=max((o.ended_at for o in ran), default=time.time()))
        ctx.recorder.step(step)
        return results

    async def _join(self, question: str, rounds: list[Results], ctx: RunContext, *,
                    allow_replan: bool) -> tuple[str, str]:
        """("answer", text), ("replan", reason) or ("error", reason)."""
        step = _new_step(ctx, "answer")
        messages = [
            Message(role="system", content=render("dag_join", allow_replan=allow_replan,
                                                  instructions=self.instructions)),
            Message(role="user", content=render("dag_results", question=question,
                                                scratchpad=scratchpad(rounds)))]
        completion = await self._turn(ctx, messages, join_grammar(allow_replan),
                                      self.join_max_tokens)
        text = completion.text.strip()
        step.completion, step.thought = completion, text
        if text.startswith("Replan:"):
            # without a grammar the last join can still ask; there is no round left to give
            step.kind = "think" if allow_replan else "error"
            step.error = None if allow_replan else "the joiner asked to replan after the last round"
            ctx.recorder.step(step)
            return ("replan" if allow_replan else "error"), text.removeprefix("Replan:").strip()
        ctx.recorder.step(step)
        return "answer", text.removeprefix("Answer:").strip()

    # -- model turns ---------------------------------------------------------------------------

    async def _turn(self, ctx: RunContext, messages: Sequence[Message], grammar: str,
                    max_tokens: int | None,
                    on_text: Callable[[str], None] | None = None) -> Completion:
        """A turn in this strategy's own text syntax (no native tools), streamed when
        ``on_text`` is given, so complete plan lines reach the scheduler while the model is
        still writing."""
        completion = await ctx.model_turn(
            messages, constraint=Constraint.grammar(grammar), max_tokens=max_tokens,
            offer_tools=False, on_text=on_text if self.stream else None)
        if on_text is not None and not self.stream:
            on_text(completion.text)
        return completion


def _new_step(ctx: RunContext, kind: str) -> Step:
    step = Step(index=len(ctx.recorder.trace.steps), kind=kind, started_at=time.time())
    ctx.recorder.event("step_start", index=step.index)
    return step


def _submitter(parser: PlanParser, scheduler: DagScheduler,
               tools: list[str]) -> Callable[[str], None]:
    """Feeds streamed text to ``parser`` and submits each valid task at once. After the first
    invalid task nothing more is submitted: the plan will be re-asked anyway."""
    seen: list[int] = []
    state = {"held": False}

    def on_text(piece: str) -> None:
        for task in parser.feed(piece):
            if not state["held"] and not task_problems(task, seen, tools):
                scheduler.submit(task)
            else:
                state["held"] = True
            seen.append(task.id)

    return on_text


def scratchpad(rounds: list[Results]) -> str:
    """The calls and results so far, as the joiner and replanner read them."""
    blocks = []
    for r, results in enumerate(rounds, 1):
        lines = [f"Plan {r}:"] if len(rounds) > 1 else []
        for i, (call, obs) in enumerate(results, 1):
            text = observation_text(obs)
            if len(text) > OBSERVATION_MAX_CHARS:
                text = text[:OBSERVATION_MAX_CHARS] + "…"
            lines += [f"{i}. {call.name}({json.dumps(call.arguments, ensure_ascii=False)})",
                      f"Observation: {text}"]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


__all__ = ["DagStrategy", "Task", "scratchpad"]
