"""ReAct: Thought → Action(s) → Observation until a final answer (Yao et al.).

Each turn is decoded under the tool format's grammar where the backend allows, so it parses.
A turn with calls runs them concurrently and feeds the observations back; a turn without calls
is the final answer. Unparseable turns (possible only without a grammar) get one repair retry.

What a small model needs carried: a call written twice in a turn runs once; a call made before
is not run again, and neither is shown back (the model copies its own turns); a turn that asks
only for what the run already has means the model has nothing left to look up, so the run ends
with an answer turn over the results (`answer_from_evidence`), as it does on every other stop
(step or token budget, unreadable turns) once some call succeeded. Before that answer, a tool
that failed before the first result came in (a chain begun at its end) is called once more,
its string arguments limited to values the results gave. Short of such a tool, when a result
or an error said what kind of thing a value is (a consignment's ``wine``, "'X' is a room")
and a tool that takes that kind was not yet given it, the next turn must call one of those
tools, the ones whose docs speak of what the question asks (`runtime.hops`): the chain's next
hop, where a small model asks again for what it has, tries another tool with the same value
after a failed turn, or wanders off to tools whose docs speak of nothing the question asks
(then only a hop whose tools do speak of it). Once results are in, a turn runs its first new
call only. The runtime makes the calls a turn's calls imply (`follow_ups`): a fan-out's other
items, a misspelt value corrected as the error suggests. After a turn whose calls all failed,
the next offers other tools (those that fit the question, or that an error names); once a
result has what a tool that failed first needs, that tool is the next turn's only one (a chain
resumed at its end). A turn whose calls to stateful tools all failed ends the
lookups (the answer reports it), and so do two turns in a row, before any result, whose values
no tool knew when the question is about none of the tools (`_beside_the_tools`). String
arguments are grounded in the question and the results (`runtime.grounding`); questions about
quantities get a calculation turn before the answer (`calculation`), "how many of" questions
the runtime's count (`counting`); a question about the letters or words of its own text is
worked out by the runtime and answered without tools (`own_text`). A fan-out
that has given every item of the question's list the numbers it compares (or a count's
condition) goes straight to the answer; numbers of another measure than the question compares
("closer" asks for distances) get one turn offering the tools that measure it (`measures`).
"""

from __future__ import annotations

import time

from toolweave.agents.answer import (
    answer_from_evidence,
    calls_report,
    has_evidence,
    names_a_tool,
    tools_named,
    works_out,
)
from toolweave.agents.calculation import needs_calculation, plain_number
from toolweave.agents.counting import asks_count, tally
from toolweave.agents.follow_ups import FollowUps
from toolweave.agents.lookup import measuring_result
from toolweave.agents.measures import measure_words, measures
from toolweave.agents.own_text import asks_about_its_text, worked_out
from toolweave.agents.prompts import system_prompt
from toolweave.agents.rates import asked_unit, conversion_needed, converters
from toolweave.agents.repair import MAX_REPAIRS, mark_unreadable, repair_messages, stop_reason
from toolweave.formats.base import MAX_CALLS, ParsedTurn
from toolweave.runtime.alternatives import alternatives
from toolweave.runtime.budget import BudgetExceeded
from toolweave.runtime.context import RunContext
from toolweave.runtime.corrections import suggests_value
from toolweave.runtime.derived import derived
from toolweave.runtime.executor import new_results, observation_text
from toolweave.runtime.fanout import anchored_call, whole_list_results
from toolweave.runtime.grounding import RunValues, collect_values, rejected_arguments
from toolweave.runtime.hops import (
    Hop,
    asked_words,
    next_hop,
    relevance,
    speaking_of,
    topic_words,
)
from toolweave.runtime.places import named_places, tools_move
from toolweave.runtime.relations import (
    about_tools,
    asked_of,
    is_proper_name,
    rejected_values,
    tool_words,
    tools_about,
)
from toolweave.runtime.repeats import signature
from toolweave.types import Message, Observation, Step, ToolCall, ToolSpec, Trace

MAX_REDIRECTS = 2
# turns a run may be offered the next hop of a chain, after asking for what it had
MAX_HOPS = 3
# the most calls one turn over a stateful tool set may write
MAX_STATEFUL_CALLS = 2
# turns in a row whose calls all failed, after some call succeeded, that end the lookups: a
# small model that has its answer goes on trying tools with the values in hand
MAX_FAILED_AFTER_RESULTS = 2
# turns in a row whose tools knew none of the values they were given, before any result, that
# end the lookups of a question the tools are not about (`_beside_the_tools`); the first such
# turn may be the wrong tool for a name another tool knows, and is redirected instead
MAX_UNKNOWN_TO_TOOLS = 2


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
        if asks_about_its_text(question) and not ctx.must_call() and not ctx.history:
            # the letters and words of the question's own text: no tool knows them better
            return await answer_from_evidence(ctx, "answer", question, unaided=True,
                                              worked=worked_out(question))
        loop = _Loop(question, ctx, ctx.opening(
            Message(role="system", content=self.system_prompt(ctx)),
            Message(role="user", content=question)))
        try:
            while True:
                trace = await loop.turn(self.follow_up_calls)
                if trace is not None:
                    return trace
        except BudgetExceeded as stop:
            return await loop.answer_now(stop.reason)


class _Loop:
    """The state of one ReAct run: its history and the guards that have fired."""

    def __init__(self, question: str, ctx: RunContext, messages: list[Message]):
        self.question, self.ctx, self.messages = question, ctx, messages
        self.repairs, self.nudged, self.retold, self.retried = 0, False, False, False
        self.require_call = False
        self.only: tuple[str, ...] = ()  # the next turn offers just these tools…
        self.values: RunValues | None = None  # …with these values for their arguments
        self.follow_ups = FollowUps(ctx, question)
        self.resumed: set[str] = set()  # tools a chain was resumed at (`_resume_chain`)
        self.redirects = 0  # turns offered other tools after all calls failed (`_redirect`)
        self.failed_in_a_row = 0  # turns whose calls all failed, since the last result
        self.remeasured = False  # a turn offered the tools that measure the comparison
        self.moving = False  # this turn may only move into the place the question names
        self.move_call: ToolCall | None = None  # that move, when the question names one place
        self.only_once: tuple[str, ...] = ()  # the tool that moves: not offered right after
        self.moved = False  # the last turn was that move: the next one is the model's first
        self.hops = 0  # turns offered the next hop of a chain (`_hop_on`)
        self.hopped: set[Hop] = set()
        self.speaking: list[ToolSpec] | None = None  # `_speaking`, once read
        self.converted = False  # a turn was offered the converter (`_convert_on`)
        self.written: ToolCall | None = None  # the next turn's call, written by the runtime
        self._enter_named_place()

    async def answer_now(self, stop: str, *, unaided: bool = False) -> Trace:
        if self._only_acted():
            # a request to act on a stateful tool set (make the folder, move the file): what
            # its calls returned is the answer, without a turn in which the model retells it
            return calls_report(self.ctx, stop)
        return await answer_from_evidence(self.ctx, stop, self.question, unaided=unaided)

    def _on_state(self) -> bool:
        """Whether the run's tools are all stateful: every call may change what the next sees."""
        tools = self.ctx.tools
        return derived(tools, "all_stateful",
                       lambda: bool(tools.names()) and all(map(tools.stateful, tools.names())))

    def _only_acted(self) -> bool:
        """Whether the run made calls and every one was to a stateful tool."""
        made = self.ctx.guard.made()
        return bool(made) and all(self.ctx.tools.stateful(c.name) for c, _ in made)

    def _enter_named_place(self) -> None:
        """When the question names a place to work in ("in the 'Documentation' folder") and a
        stateful tool moves into places (`places.move_tool`), the first turn may only make
        that move, to one of the places named: a small model skips it, and every call after it
        fails for want of the place. A move that fails (already there) is not shown back; the
        model's next turn is its first either way."""
        move = tools_move(self.ctx.tools)
        places = named_places(self.question) if move is not None else []
        if move is None or not places:
            return
        self.moving, self.only, self.require_call = True, (move[0],), True
        self.only_once = (move[0],)
        self.values = RunValues(loose=tuple(places))
        if len(places) == 1:
            self.move_call = ToolCall(name=move[0], arguments={move[1]: places[0]})

    async def turn(self, follow_up_calls: int) -> Trace | None:
        """One model turn and its calls; the trace when the run ends."""
        ctx = self.ctx
        step = Step(index=len(ctx.recorder.trace.steps), started_at=time.time())
        if ctx.recorder.listeners:  # an event for listeners only (`TraceRecorder.event`)
            ctx.recorder.event("step_start", index=step.index)
        moving, self.moving, after_move, self.moved = self.moving, False, self.moved, False
        # results (or errors) are in; the move into the named place is not the model's turn
        follow_up = bool(ctx.guard.seen) and not after_move
        written, self.written = self.written, None
        if moving and self.move_call is not None:
            # the turn's grammar admits this one call: the runtime writes it, not the model
            completion, turn = None, ParsedTurn(calls=[self.move_call])
        elif written is not None:
            completion, turn = None, ParsedTurn(calls=[written])
        else:
            max_calls = 1 if self.only else follow_up_calls if follow_up else MAX_CALLS
            if self._on_state():
                # each call changes what the next one sees: a small model writes calls past
                # what was asked ("mkdir x", then "touch x", "mv x …"), and each one runs
                max_calls = min(max_calls, MAX_STATEFUL_CALLS)
            completion, turn = await ctx.act_turn(
                self.messages, max_calls=max_calls, require_call=self.require_call,
                only=self.only, values=self.values,
                # a small model copies the move it was just shown
                without=self.only_once if after_move else ())
        step.completion, step.thought = completion, turn.text.strip()
        if completion is not None and mark_unreadable(step, completion, turn):
            ctx.recorder.step(step)
            self.repairs += 1
            if self.repairs > MAX_REPAIRS:
                return await self.answer_now(stop_reason(step))
            self.messages += repair_messages(step, completion)
            return None
        if not turn.calls:
            return await self._answered(step, turn.text.strip())
        self.require_call, self.only, self.values = False, (), None
        calls = turn.calls
        if follow_up and len(calls) > 1:
            # a follow-up turn runs its first new call only (or its first, when all repeat)
            calls = [c for c in calls if not ctx.guard.is_repeat(c)][:1] or calls[:1]
        step.calls, step.observations = await self.follow_ups.run(calls)
        step.implied_calls = len(step.calls) - len(calls) + (completion is None)
        calls = step.calls
        step.ended_at = time.time()
        ctx.recorder.step(step)
        ran = new_results(calls, step.observations)
        if not ran:
            # a failed call that a correction answered is no failure to nudge about
            failed = [(c, o) for c, o in failed_repeats(ctx, calls, step.observations)
                      if signature(c) not in self.follow_ups.corrected]
            # a stateful tool set is not nudged: the failed command is reported
            if not failed or self.nudged or self._only_acted():
                values = collect_values(ctx.guard.made(), self.question, results_only=True)
                retry = () if self.retried else untried_tools(ctx, unresolved_tools(ctx), values)
                if not retry:
                    if self._hop_on():
                        return None
                    # nothing new asked: the model has what it can get, so it answers now
                    return await self.answer_now("answer")
                # A tool that failed before the results came in (a chain begun at its end:
                # a share price asked by company name) is called again, once, with them:
                # its string arguments are values the results gave.
                self.retried, self.only, self.require_call = True, retry, True
                self.values = values
                return None
            # a failed call asked again: once, it is told so, with the error
            self.nudged, ran = True, failed
        elif moving:
            # the move into the named place: the model acts next, as on its first turn
            self.moved = self.require_call = True
            if not any(o.ok for _, o in ran):
                return None  # not there (or there already): the model works where it is
            # the place entered is where the next calls act, not one of their arguments (a
            # small model moves "the workspace folder" itself after entering it)
            entered = [str(v) for c, o in ran if o.ok for v in c.arguments.values()]
            self.values = collect_values(ctx.guard.made(), ctx.said).without(entered)
        elif any(o.ok for _, o in ran):
            self.failed_in_a_row = 0
            if self._list_done():
                return await self.answer_now("answer")
            if not self.only and not self._convert_on():
                self._resume_chain()
            if not self.only and self._wandered(ran):
                self._hop_on(asked_only=True)
        else:
            self.failed_in_a_row += 1
            if all(ctx.tools.stateful(c.name) for c, _ in ran):
                # a failed command is reported, not improvised around: a small model's next
                # guesses ("touch 'temp directory'", "mv None") change the user's state
                return await self.answer_now("answer")
            if (self.failed_in_a_row >= MAX_UNKNOWN_TO_TOOLS and not has_evidence(ctx)
                    and self._beside_the_tools(ran)):
                # no tool knows what it was given, and the question has none of their words:
                # it asks what the tools cannot know ("which day comes after Monday?")
                return await self.answer_now("answer", unaided=True)
            if (self.failed_in_a_row >= MAX_FAILED_AFTER_RESULTS and has_evidence(ctx)
                    and not self._named_tools([o for _, o in ran])):
                # the model has wandered off from results it has, and no error points the
                # way on ("get its country with get_country"): it answers from them
                return await self.answer_now("answer")
            self._redirect(ran)
        calls = [c for c, _ in ran]
        self.messages.append(ctx.format.assistant_message(turn.text, calls))
        self.messages += ctx.format.results_messages(
            calls, [observation_text(o) for _, o in ran])
        return None

    def _speaking(self) -> list[ToolSpec]:
        """The run's tools whose docs speak of a word the question asks (`hops.speaking_of`),
        found once a run: a turn after a result asks for them."""
        if self.speaking is None:
            self.speaking = speaking_of(self.ctx.tools.specs(), self.question)
        return self.speaking

    def _wandered(self, ran: list[tuple[ToolCall, Observation]]) -> bool:
        """Whether every call of the turn that succeeded went to a tool whose docs speak of
        nothing the question asks (`hops.topic_words`): a charter rate or a crew size looked
        up for "the port of MV Nothzen"."""
        if self.hops >= MAX_HOPS or not self._speaking():
            return False  # no hop left, or none could speak of the question: nothing to do
        asked = asked_words(self.question)
        tools = self.ctx.tools
        return all(not topic_words(tools.get(c.name).spec) & asked for c, o in ran if o.ok)

    def _hop_on(self, *, asked_only: bool = False) -> bool:
        """When a result named a thing some tool takes that no call was given yet (a
        consignment's ``wine``, and the wine's price is asked), the next turn offers just the
        tools that take it (`hops.next_hop`), with those values, and must call one: a small
        model asks again for what it has, or answers from the first record of a chain. Not
        once a result measures what the question asks (`lookup.measured`) as well as the hop's
        tools would, unless the hop is to a value the question names and no call was given,
        or measures the same of another value; at most `MAX_HOPS` times a run, never the
        same hop twice. ``asked_only``: only a hop whose tools speak of what the question
        asks (after a turn that wandered off to tools that do not, `_wandered`)."""
        ctx = self.ctx
        if self.hops >= MAX_HOPS or self._on_state():
            return False
        specs, made = ctx.tools.specs(), ctx.guard.made()
        # a hop that must speak of the question is among the tools that do
        takers = self._speaking() if asked_only else specs
        if not takers:
            return False
        hop = next_hop(takers, made, self.question, skip=ctx.calculators())
        if hop is None or hop in self.hopped or (asked_only and hop.relevance[0] == 0):
            return False
        by_name = {s.name: s for s in specs}
        answer = measuring_result(self.question, made, by_name)
        # a result measures what is asked, as well as the hop would: unless the question
        # names a value no call was given, or the hop measures the same of another value
        # (asked which of two is higher, the second is still to measure)
        if (answer is not None and not hop.named and answer[0].name not in hop.tools
                and hop.relevance <= relevance(by_name[answer[0].name], self.question)):
            return False
        self.hops += 1
        self.hopped.add(hop)
        self.only, self.require_call = hop.tools, True
        self.values = RunValues(loose=hop.values)
        return True

    def _convert_on(self) -> bool:
        """When the question asks an amount in a unit a result's amount is not in ("in US
        dollars", "120 LQT per night") and a tool converts between such units, the next
        turn offers just that tool, from the result's unit to the asked one, and must call
        it (`rates.conversion_needed`); once a run. A small model answers with the amount as
        it stands, in the wrong unit."""
        if self.converted or asked_unit(self.question) is None or self._on_state():
            return False  # most questions ask no unit: no walk over the tool set
        tools = self.ctx.tools
        need = conversion_needed(self.question, self.ctx.guard.made(), derived(
            tools, "converters", lambda: converters(tools.specs())))
        if need is None:
            return False
        self.converted = True
        self.only, self.require_call = (need.tool,), True
        self.values = RunValues(loose=(need.unit, *need.targets))
        return True

    def _redirect(self, ran: list[tuple[ToolCall, Observation]]) -> None:
        """After a turn whose calls all failed, the next turn offers the tools an error names
        ("get its country with get_country"), else the tools that describe what the question
        asks of a value that was rejected ("unknown city 'Leila Haddad'" for "Leila Haddad's
        office city": the tools about office cities), else the tools that fit the question
        best (the failed calls' hint) — never the ones that failed; the last two twice per run
        at most. The model still chooses, and may answer; a tool's output only narrows what is
        offered."""
        ctx, failed = self.ctx, [o for _, o in ran]
        tried = {o.tool for o in failed}
        # a tool an error names is the better hint: offered others beside it, the model
        # picks one of those. It is always offered; the weaker hints twice per run.
        named = told = self._named_tools(failed)
        if not told and self._hop_on():
            return  # a result or error said what a value is: the tools that take it
        if not told and self.redirects >= MAX_REDIRECTS:
            return
        if not named:
            named = [n for value in rejected_values(ran)
                     for n in tools_about(ctx.tools.specs(), asked_of(self.question, value))
                     if n not in tried]
        names = list(named)
        if not named:
            for obs in failed:
                names += [a.split("(")[0]
                          for a in alternatives(ctx.tools, self.question, obs.tool)]
        offered = tuple(n for n in dict.fromkeys(names) if n not in tried)
        if offered:
            self.redirects += not told
            self.only = offered

    def _beside_the_tools(self, ran: list[tuple[ToolCall, Observation]]) -> bool:
        """Whether every call of the turn failed because its tool does not know the value it
        was given (the error quotes it back: "unknown city 'Monday'") with no other value
        suggested and no tool named, no value rejected in the run is a proper name (which
        another tool may know: "Cobalt Headphones" is no city, but a product), and the
        question shares no word with the tools' docs: a small model calls a weather tool with
        "Monday" for "which day comes after Monday?", then every other tool with other words
        of it."""
        ctx = self.ctx
        if any(not rejected_arguments(c, o) or suggests_value(o.content) for c, o in ran):
            return False
        if self._named_tools([o for _, o in ran]):
            return False
        if any(is_proper_name(v) for v in rejected_values(ctx.guard.made())):
            return False
        words = derived(ctx.tools, "tool_words", lambda: tool_words(ctx.tools.specs()))
        return not about_tools(self.question, words)

    def _named_tools(self, failed: list[Observation]) -> list[str]:
        """The tools the errors of ``failed`` name, other than the ones that failed."""
        tried = {o.tool for o in failed}
        return [n for obs in failed for n in tools_named(obs.content, self.ctx.tools.names())
                if n not in tried]

    def _list_done(self) -> bool:
        """Whether one tool has answered for every item of the question's list with what the
        question counts, compares or combines (plain-text numbers; results that meet a
        count's condition): nothing is left to look up, so the run goes to its answer
        without the turn in which a small model repeats a call to say so. Numbers of another
        measure than the question compares (temperatures for "which is closer") are not
        done: the next turn offers the tools that measure it, once; nor are numbers of a tool
        whose docs speak of nothing the question asks, while another's do."""
        ctx, question = self.ctx, self.question
        made = ctx.guard.made()
        groups = whole_list_results(question, made)
        if not groups:
            return False
        if asks_count(question):
            return tally(question, made) is not None
        groups = [g for g in groups if all(plain_number(o.content) for o in g)]
        if not groups or not needs_calculation(question):
            return False
        words = measure_words(question)
        if not words:
            # numbers of a tool that speaks of nothing asked (unit prices, asked whose oven
            # is hotter) are no answer while some tool does speak of it
            speaking = {s.name for s in self._speaking()}
            return not speaking or any(g[0].tool in speaking for g in groups)
        if any(measures(ctx.tools.get(g[0].tool).spec, words) for g in groups):
            return True
        fitting = tuple(s.name for s in ctx.tools.specs()
                        if measures(s, words) and s.name not in ctx.calculators())
        if not fitting or self.remeasured:
            return True  # no tool measures it: the numbers in hand are the best there are
        self.remeasured, self.only, self.require_call = True, fitting, True
        if len(fitting) == 1:
            # "closer to Jorvale: Esterlund or Brennholm?": from the anchor to each item
            # (the first written here, the others by the fan-out), not item to item
            self.written = anchored_call(question, ctx.tools.get(fitting[0]).spec, made)
        return False

    def _resume_chain(self) -> None:
        """A tool that failed before (a chain begun at its end: the weather asked for a
        person's name) is the next turn's only tool, once, as soon as a result has a field
        its parameters fit (the person's ``office_city``) or the tool its error named has
        answered: the model, left to choose, wanders off to other tools with the value in
        hand."""
        unresolved = unresolved_tools(self.ctx)
        if not unresolved:
            return  # no chain was begun at its end: nothing to resume (the common case)
        made = self.ctx.guard.made()
        values = collect_values(made, self.question)
        succeeded = {call.name for call, obs in made if obs.ok}
        for name in unresolved:
            strings = required_strings(self.ctx, name)
            # its error named a tool that has answered since ("get its ticker with
            # lookup_ticker first"), or a result has a field its parameters fit
            told = any(call.name == name and not obs.ok and names_a_tool(obs.content, succeeded)
                       for call, obs in made)
            if name not in self.resumed and strings and (
                    told or all(values.fits(p) for p in strings)):
                self.resumed.add(name)
                self.only, self.require_call = (name,), True
                return

    async def _answered(self, step: Step, text: str) -> Trace | None:
        """A turn without calls: the answer, unless it names a tool ("I will call
        get_weather…", a call written as prose), an intent to act. Then, once, the turn is
        asked again with a call required (no results yet) or for the answer from the
        results. A question about a quantity or a count is answered by the answer turn,
        which works it out first."""
        ctx = self.ctx
        if has_evidence(ctx) and works_out(ctx, self.question):
            # an amount, an extreme or a count: worked out from the results, then answered
            step.kind = "think"
            ctx.recorder.step(step)
            return await self.answer_now("answer")
        if not names_a_tool(text, ctx.tools.names()):
            step.kind = "answer"
            ctx.recorder.step(step)
            return ctx.recorder.end(text, "answer")
        if self.retold:
            # asked again, it still writes a call as text: the answer turn (plain text, no
            # braces) answers from the results, or unaided
            step.kind, step.error = "think", "an answer that names a tool, again"
            ctx.recorder.step(step)
            return await self.answer_now("answer")
        self.retold = True
        step.kind, step.error = "think", "an answer that names a tool"
        ctx.recorder.step(step)
        if has_evidence(ctx):
            return await self.answer_now("answer")
        self.require_call = True
        return None


def unresolved_tools(ctx: RunContext) -> tuple[str, ...]:
    """Tools that failed before the run's first success and never succeeded since: the end of
    a chain the model tried first. Empty while nothing succeeded."""
    seen = list(ctx.guard.seen.values())
    first_ok = next((i for i, o in enumerate(seen) if o.ok), None)
    if not first_ok:
        return ()  # nothing succeeded, or the first call did: no failure came before
    ok = {o.tool for o in seen if o.ok}
    return tuple(dict.fromkeys(o.tool for o in seen[:first_ok] if o.tool not in ok))


def untried_tools(ctx: RunContext, tools: tuple[str, ...], values: RunValues
                  ) -> tuple[str, ...]:
    """``tools`` that some value of ``values`` would call anew: a tool of one string argument
    that was already called with every value it may take offers the model only a repeat."""
    kept = []
    for name in tools:
        required = ctx.tools.get(name).spec.parameters.get("required", [])
        strings = required_strings(ctx, name)
        if required == strings and len(strings) == 1 and all(
                ctx.guard.is_repeat(ToolCall(name=name, arguments={strings[0]: v}))
                for v in values.for_parameter(strings[0])):
            continue
        kept.append(name)
    return tuple(kept)


def required_strings(ctx: RunContext, name: str) -> list[str]:
    """The required string parameters of the tool ``name``."""
    params = ctx.tools.get(name).spec.parameters
    props = params.get("properties", {})
    return [p for p in params.get("required", []) if props.get(p, {}).get("type") == "string"]


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
