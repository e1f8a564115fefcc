"""The answer turn from the evidence: every run ends with an answer, unless out of time.

Whatever stops a run — the model repeating calls it already made, the step or token budget,
turns it cannot write — a small model has usually fetched what the question needs already; it
just does not stop calling. Ending such a run with no answer throws that evidence away. This
turn shows the question and the successful results only, offers no tools, and is decoded under
a grammar of plain text that cannot open like a call. A run whose calls all failed gets the
turn too, without results: a small model calls tools even for "what is the plural of mouse?".
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable

from toolweave.agents.calculation import (
    calculate,
    needs_calculation,
    without_reported_measures,
)
from toolweave.agents.counting import asks_count, count_step
from toolweave.agents.lookup import feeds, looked_up
from toolweave.agents.prompts import render
from toolweave.agents.rates import amount_converted, rate_answer
from toolweave.agents.sameness import asks_same, sameness
from toolweave.agents.worked import Worked
from toolweave.constraints.gbnf import literal
from toolweave.runtime.context import RunContext
from toolweave.types import Constraint, Message, Step, Trace

ANSWER_MAX_CHARS = 600
ANSWER_MAX_TOKENS = 160
EVIDENCE_MAX_RESULTS = 12  # the latest successful results the answer turn reads
RESULT_MAX_CHARS = 400
# Plain text that does not open like markup, JSON, a quote or a list, and holds no braces or
# tags: what a small model writes instead of an answer is a call as text ({"name": …}).
ANSWER_GRAMMAR = (f'root ::= [^<>{{}}\\[`" \\t\\n] [^<>{{}}]{{0,{ANSWER_MAX_CHARS - 1}}}')


_WORD = re.compile(r"\w+")


def tools_named(text: str, tool_names: Iterable[str]) -> list[str]:
    """The tools of ``tool_names`` that ``text`` mentions by name (as a whole word)."""
    # A name made of word characters is mentioned iff it is one of the text's words: one set
    # lookup, where a regex per name cost ~0.2 ms each (1000 tools: 4 of 5 ms per step).
    words = set(_WORD.findall(text))
    return [name for name in tool_names
            if (name in words if _WORD.fullmatch(name)
                else re.search(rf"(?<![\w]){re.escape(name)}(?![\w])", text))]


def names_a_tool(text: str, tool_names: Iterable[str]) -> bool:
    """True when ``text`` mentions one of the tools by name (as a whole word)."""
    return bool(tools_named(text, tool_names))


def works_out(ctx: RunContext, question: str) -> bool:
    """True when the answer to ``question`` is worked out from the run's results before the
    answer turn: a count, a calculation, or whether two things share a kind of thing."""
    return asks_count(question) or calculated(ctx, question) or compared(ctx, question) is not None


def compared(ctx: RunContext, question: str) -> Worked | None:
    """`sameness` over the run's results ("are A and B in the same imprint?"), or a rate
    read the question's way round (`rates`: "how many B does one unit of A buy?", "how much
    is it in US dollars?")."""
    if asks_same(question) is None:
        # most questions: no walk over the tool set (every answer turn asks)
        made = ctx.guard.made()
        return rate_answer(question, made) or amount_converted(question, made)
    return sameness(question, ctx.guard.made(), {s.name: s for s in ctx.tools.specs()})


def calculated(ctx: RunContext, question: str) -> bool:
    """Whether the answer to ``question`` is a calculation over the run's results
    (`needs_calculation`), a measure some tool reports ("the average depth") being none."""
    return needs_calculation(without_reported_measures(question, ctx.tools.specs()),
                             ctx.guard.seen.values())


def has_evidence(ctx: RunContext) -> bool:
    """True once some tool call of this run succeeded."""
    return any(o.ok for o in ctx.guard.seen.values())


def answer_constraint(ctx: RunContext, lead: str = "") -> Constraint | None:
    """The answer grammar, where the backend takes GBNF and the run is constrained: plain
    text, beginning with ``lead`` when given (`Worked.lead`)."""
    if lead:
        return ctx.usable(Constraint.grammar(lead_grammar(lead)))
    return ctx.usable(Constraint.grammar(ANSWER_GRAMMAR))


def lead_grammar(lead: str) -> str:
    """The answer grammar for an answer that begins with ``lead``; a number ends where the
    lead does (a count of "1" must not go on as "15 visits")."""
    rest = ANSWER_MAX_CHARS - len(lead)
    if lead[-1:].isdigit():
        return f"root ::= {literal(lead)} ([^0-9.,<>{{}}] [^<>{{}}]{{0,{rest - 1}}})?"
    return f"root ::= {literal(lead)} [^<>{{}}]{{0,{rest}}}"


def evidence_lines(ctx: RunContext, *, by_use: bool = False) -> str:
    """The run's successful calls and their results, one per line, oldest first.

    ``by_use``: results a later call took an argument from come first, as "looked up on the
    way", apart from the others, "results that answer the question". Asked for the
    department of a manager's manager, a small model shown three employee entries in a row
    names the first one's; shown which entries only led to the last, it names the last's."""
    made = [(sig, call, obs) for (sig, obs), (call, _) in
            zip(ctx.guard.seen.items(), ctx.guard.made()) if obs.ok]
    made = made[-EVIDENCE_MAX_RESULTS:]
    lines, on_the_way = [], []
    for n, (sig, call, obs) in enumerate(made):
        # a signature is the tool's name followed by its canonical JSON arguments
        name, args = sig[:len(obs.tool)], sig[len(obs.tool):]
        text = " ".join(obs.content.split())
        if len(text) > RESULT_MAX_CHARS:
            text = text[:RESULT_MAX_CHARS] + "…"
        line = f"- {name}({args}) -> {text}"
        used = by_use and feeds(obs, [c for _, c, _ in made[n + 1:]])
        (on_the_way if used else lines).append(line)
    if not on_the_way or not lines:
        return "\n".join(on_the_way + lines)
    return ("Looked up on the way:\n" + "\n".join(on_the_way)
            + "\n\nResults that answer the question:\n" + "\n".join(lines))


def calls_report(ctx: RunContext, stop_reason: str) -> Trace:
    """End the run with its calls and what each returned as the answer, with no model turn:
    for a run that acted on a stateful tool set, what the calls did is what there is to say
    (the model's retelling costs a turn and, from a small model, is often wrong). The stop
    reason is "stuck" when none succeeded and the model had nothing else to try."""
    made = ctx.guard.made()
    if not any(o.ok for _, o in made) and stop_reason == "answer":
        stop_reason = "stuck"
    lines = []
    for call, obs in made:
        text = " ".join(obs.content.split())
        if len(text) > RESULT_MAX_CHARS:
            text = text[:RESULT_MAX_CHARS] + "…"
        args = ", ".join(f"{k}={v!r}" for k, v in call.arguments.items())
        lines.append(f"- {call.name}({args}) {'->' if obs.ok else 'failed:'} {text}")
    return ctx.recorder.end("\n".join(lines) or None, stop_reason)


async def answer_from_evidence(ctx: RunContext, stop_reason: str, question: str, *,
                               unaided: bool = False, worked: Worked | None = None) -> Trace:
    """End the run with an answer turn over the results of its successful calls (when none
    succeeded: from what the model knows, or saying nothing was found). ``stop_reason`` is
    what stopped the run; the trace keeps it. Only a run out of time ends without an answer.

    The turn is a short conversation of its own (the question and the results, no tool docs,
    no history): a small model shown its whole history here goes on calling tools in prose.
    It may go one step past the step and token budgets: it is the last one either way.
    A question about a quantity gets its calculation turn first (`calculate`); one that counts
    the items of a list that meet a condition, the runtime's count (`counting`).
    ``unaided``: the tools were found to know nothing the question asks, so the model's own
    answer ends the run as answered, not stuck. ``worked``: what the runtime worked out
    without tools (`own_text`), which the answer turn reads and begins with.
    """
    if not has_evidence(ctx) and stop_reason == "answer" and not unaided:
        stop_reason = "stuck"  # a model that only repeats calls that all failed
    if ctx.budget.seconds_left() <= 0:
        return ctx.recorder.end(None, stop_reason)
    if has_evidence(ctx):
        # what the runtime worked out from the results: a count, a calculation, or the field
        # the question asks for
        if asks_count(question):
            worked = count_step(ctx, question)
        elif (worked := compared(ctx, question)) is not None:
            pass  # a sameness, or a rate or an amount converted: no expression to write
        elif calculated(ctx, question):
            worked = await calculate(ctx, question, evidence_lines(ctx))
        else:
            worked = looked_up(question, ctx.guard.made(),
                               {s.name: s for s in ctx.tools.specs()})
        messages = [Message(role="system", content=render("answer_system")),
                    Message(role="user", content=render(
                        "answer_now", question=question, worked=worked,
                        evidence=evidence_lines(ctx, by_use=True)))]
    else:
        # no call succeeded: a question that needed no tool is answered (a small model calls
        # tools for "what is the plural of mouse?"), one that did is told it was not found.
        # The question alone in the user turn: a small model echoes instructions put there.
        messages = [Message(role="system", content=render("answer_unaided")),
                    Message(role="user", content=question if worked is None else render(
                        "answer_worked", question=question, worked=worked))]
    step = Step(index=len(ctx.recorder.trace.steps), kind="answer", started_at=time.time())
    ctx.recorder.event("step_start", index=step.index)
    lead = worked.lead if worked else ""
    completion = await ctx.model_turn(messages, constraint=answer_constraint(ctx, lead),
                                      max_tokens=ANSWER_MAX_TOKENS, offer_tools=False,
                                      over_budget=True)
    step.completion = completion
    step.thought = text = completion.text.strip()
    ctx.recorder.step(step)
    return ctx.recorder.end(text or None, stop_reason)
