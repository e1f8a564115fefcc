"""`RunContext`: what a strategy runs with — the model, the tools and their wire format, the
budget, the trace recorder — plus the two moves every strategy makes: ask the model for a turn,
and run tool calls."""

from __future__ import annotations

import operator
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property

from toolweave._identity_cache import MISSING
from toolweave.formats.base import MAX_CALLS, ParsedTurn, ToolFormat
from toolweave.models.base import ChatModel, supports
from toolweave.runtime.alternatives import alternatives
from toolweave.runtime.budget import Budget
from toolweave.runtime.derived import derived
from toolweave.runtime.executor import NOT_RUN, error_hint, run_calls
from toolweave.runtime.grounding import (
    RunValues,
    RunValuesReader,
    computes,
    grounded_tools,
    run_numbers,
    takes_numbers,
)
from toolweave.runtime.policy import ToolPolicy
from toolweave.runtime.recorder import TraceRecorder
from toolweave.runtime.repeats import RepeatGuard
from toolweave.runtime.replay import Replay
from toolweave.tools.registry import ToolRegistry
from toolweave.types import Completion, Constraint, Message, Observation, ToolCall, ToolSpec

# Past this many tools, grounding every spec each turn costs more than it saves: a large set
# should be narrowed by retrieval first (`Agent(catalog=…)`).
GROUNDED_MAX_TOOLS = 64
# Grounded turn grammars kept per tool set by what they were grounded on (`_grounded_grammar`)
MAX_KEPT_GRAMMARS = 256


@dataclass
class RunContext:
    """Everything one run needs. ``constrained`` asks for grammar-constrained turns wherever the
    backend can apply the format's grammar (in-process llama.cpp, servers that take GBNF)."""

    model: ChatModel
    tools: ToolRegistry
    format: ToolFormat
    budget: Budget
    recorder: TraceRecorder
    constrained: bool = True
    reasoning: str = "auto"
    tool_choice: str = "auto"  # auto | first (the first turn must call a tool)
    guard: RepeatGuard = field(default_factory=RepeatGuard)
    grounded: bool = True  # string arguments from the question and results (`grounding`)
    # a conversation's earlier turns, put between a strategy's system prompt and the question
    history: tuple[Message, ...] = ()
    # a resumed run: its recorded turns answer the model calls until they run out
    replay: Replay | None = None
    # which calls may run: an allow-list, confirmations, a cap per turn (`runtime.policy`)
    policy: ToolPolicy = field(default_factory=ToolPolicy)
    # the results `numbers` last read, what it found (and once each, in order) and the
    # calculators it left out
    _numbers_read: tuple[list[Observation], tuple[str, ...], frozenset[str],
                         dict[str, None]] | None = field(
        default=None, init=False, repr=False, compare=False)

    # the calls `_failing` last read, and the tools failing in them
    _failing_read: tuple[list[tuple[ToolCall, Observation]], frozenset[str]] | None = field(
        default=None, init=False, repr=False, compare=False)
    # the constraint `usable` last found the model can apply (with the model and its kinds)
    _usable: tuple[Constraint, ChatModel, frozenset[str]] | None = field(
        default=None, init=False, repr=False, compare=False)

    @cached_property
    def said(self) -> str:
        """What this run's arguments may quote: the question, and in a conversation the
        earlier turns too ("grep the file I just moved": its name is in the last turn).
        Fixed for the run, so joined once (it is read at every turn)."""
        question = self.recorder.trace.question
        if not self.history:
            return question
        return "\n".join([*(m.content for m in self.history), question])

    @cached_property
    def run_values(self) -> RunValuesReader:
        """`collect_values` of what this run said and its calls so far; each call is read
        once, though every turn reads them all (`RunValuesReader`)."""
        return RunValuesReader(self.said)

    def opening(self, system: Message, question: Message) -> list[Message]:
        """A strategy's first messages: its system prompt, the conversation so far, the
        question."""
        return [system, *self.history, question]

    def turn_constraint(self, require_call: bool = False, answer_only: bool = False,
                        max_calls: int = MAX_CALLS, only: tuple[str, ...] = (),
                        values: RunValues | tuple[str, ...] | None = None, *,
                        without: tuple[str, ...] = ()) -> Constraint | None:
        """The grammar for one assistant turn, when this backend can honour it.

        ``answer_only`` offers no tools at all: the turn must be the final answer.
        ``max_calls`` caps the calls in the turn; ``only`` offers just these tools. String
        arguments are grounded (`grounding`): one of ``values``, by default the question's
        spans and what the run's calls gave so far, typed by field (when ``grounded``).
        ``without`` leaves these tools out.
        """
        if not self.constrained or self.format.native:
            return None
        require_call = require_call and not answer_only
        key: Hashable = values
        made = None
        if values is None and self.grounded and len(self.tools) <= GROUNDED_MAX_TOOLS:
            # what the run's values are made of: the values themselves are made only for a
            # turn whose grammar is not kept yet (`_grounded_grammar`)
            made = self.guard.made()
            key = self.run_values.key(made)
        if (self.run_values.found if made is not None else values) and not answer_only:
            grammar = self._grounded_grammar(key, values, made, only, without, require_call,
                                             max_calls)
        else:
            # Kept with the tool set: neither listing nor identity-checking a thousand specs
            # per step (the format's own cache is keyed by content, for new registries).
            grammar = derived(
                self.tools,
                ("turn_grammar", self.format.name, require_call, answer_only, max_calls, only,
                 without),
                lambda: self.format.grammar(
                    [] if answer_only else self._offered(only, without),
                    require_call=require_call, max_calls=max_calls))
        return self.usable(grammar)

    def _grounded_grammar(self, key: Hashable, values: RunValues | tuple[str, ...] | None,
                          made: list[tuple[ToolCall, Observation]] | None,
                          only: tuple[str, ...], without: tuple[str, ...], require_call: bool,
                          max_calls: int) -> Constraint | None:
        """The grammar of a grounded turn (`_grounded_offer`) over ``values``, or else the
        run's values of the calls ``made``; ``key`` says what they are made of (equal keys,
        equal values).

        A turn that offers every tool is kept with the tool set by what its grounding reads:
        the values, the numbers (where a tool takes them), the tools failing. A turn that
        reads what an earlier one read (its call gave no new value; the run asked again)
        finds its grammar without grounding every tool again, or making the values."""
        kept_by = None
        if not only:
            numbers = self.numbers() if self._reads_numbers() else ()
            kept_by = (without, key, numbers, self._failing(), require_call, max_calls)
            kept = derived(self.tools, ("grounded_grammars", self.format.name), dict)
            if (grammar := kept.get(kept_by, MISSING)) is not MISSING:
                return grammar  # type: ignore[return-value]
        if values is None:
            values = self.run_values(made)  # type: ignore[arg-type]
        specs = self._grounded_offer(values, only, without)
        if only and not specs:
            # no value left for the tools offered: any tool that can be called still is
            # (else the turn can only answer, and a small model that meant to call writes
            # a stray word as its answer)
            specs = self._grounded_offer(values, (), without)
        # per-run values: the format's own grammar cache (bounded, keyed by content)
        # rather than the registry's memo, which lives as long as the tool set
        grammar = self.format.grammar(specs, require_call=require_call and bool(specs),
                                      max_calls=max_calls)
        if kept_by is not None:
            if len(kept) >= MAX_KEPT_GRAMMARS:
                kept.clear()  # bounded: a few runs' turns; cheap to ground again
            kept[kept_by] = grammar
        return grammar

    def _grounded_offer(self, values: RunValues | tuple[str, ...], only: tuple[str, ...],
                        without: tuple[str, ...]) -> list[ToolSpec]:
        """The tools a grounded turn offers (`_offered`), each narrowed to the values its
        parameters may take; a tool with no value left for a required one is left out."""
        specs = self._offered(only, without)
        calculators = self.calculators()
        # the run's numbers matter to calculators and expressions only: read for those
        numbers = self.numbers() if self._reads_numbers() else ()
        # an expression needs two numbers to combine: until then a calculator is not
        # offered (a small model "computes" the answer it has not looked up yet)
        if len(numbers) < 2 and calculators:
            specs = [s for s in specs if s.name not in calculators]
        if not only:
            # a tool that failed twice since the last result is the wrong tool for now
            failing = self._failing()
            if failing:
                specs = [s for s in specs if s.name not in failing]
        # a turn offered just these tools is to make progress: no repeats in it
        called: dict[str, list[dict]] = {}
        for call, _ in self.guard.made() if only else ():
            called.setdefault(call.name, []).append(call.arguments)
        return grounded_tools(specs, values, numbers, called)

    def _offered(self, only: tuple[str, ...], without: tuple[str, ...]) -> list[ToolSpec]:
        """The specs a turn may offer: ``only`` these tools (all when empty), ``without``
        those; kept with the tool set (a shared list: not to be changed)."""
        return derived(self.tools, ("offered", only, without), lambda: [
            s for s in self.tools.specs()
            if (not only or s.name in only) and s.name not in without])

    def usable(self, constraint: Constraint | None) -> Constraint | None:
        """``constraint`` when this run is constrained and its backend can apply it, else None
        (the turn is decoded free and parsed leniently)."""
        if constraint is None or not self.constrained:
            return None
        model = self.model
        last = self._usable
        # asked twice a step of the same turn grammar (`turn_constraint`, `model_turn`)
        if (last is None or last[0] is not constraint or last[1] is not model
                or last[2] is not model.constraint_kinds):
            if not supports(model, constraint):
                return None
            self._usable = (constraint, model, model.constraint_kinds)
        return constraint

    def _reads_numbers(self) -> bool:
        """Whether a grounded turn reads the run's numbers: some tool is a calculator or
        grounds an expression on them (`takes_numbers`)."""
        return derived(self.tools, "reads_numbers", lambda: bool(
            self.calculators() or takes_numbers(self.tools.specs())))

    def _failing(self) -> frozenset[str]:
        """`failing_tools` of the run's calls, kept until they change."""
        made = self.guard.made()
        if self._failing_read is None or self._failing_read[0] is not made:
            self._failing_read = (made, frozenset(failing_tools(made)))
        return self._failing_read[1]

    def calculators(self) -> frozenset[str]:
        """The tools that take an arithmetic expression (`computes`), kept with the tool set."""
        return derived(self.tools, "calculators", lambda: frozenset(
            s.name for s in self.tools.specs() if computes(s)))

    def numbers(self) -> tuple[str, ...]:
        """The numbers of the question and of the successful results, but the calculators'
        (not new data; fed back, they let a model multiply without end).

        Read every turn: the results already read are not read again while the run's
        results only grow (`_numbers_read`)."""
        seen = list(self.guard.seen.values())
        calculators = self.calculators()
        read = self._numbers_read
        if (read is not None and read[2] is calculators and len(read[0]) <= len(seen)
                and all(map(operator.is_, read[0], seen))):
            if len(read[0]) == len(seen):
                return read[1]
            found = read[3]
            found.update(dict.fromkeys(run_numbers("", seen[len(read[0]):], calculators)))
        else:
            found = dict.fromkeys(run_numbers(self.said, seen, calculators))
        numbers = tuple(found)
        self._numbers_read = (seen, numbers, calculators, found)
        return numbers

    def tool_docs(self) -> str:
        """The tools as the format renders them into the system prompt; rendered once per
        tool set and format."""
        return derived(self.tools, ("tool_docs", self.format.name),
                               lambda: self.format.render(self.tools.specs()))

    async def model_turn(self, messages: Sequence[Message], *,
                         constraint: Constraint | None = None,
                         max_tokens: int | None = None, offer_tools: bool = True,
                         over_budget: bool = False, reasoning: str | None = None,
                         on_text: Callable[[str], None] | None = None) -> Completion:
        """One model call — the one place every strategy calls the model — charged to the
        budget (which is checked first, unless ``over_budget``: a run's last answer turn).

        ``constraint`` is applied only where `usable` (else the turn is free);
        ``offer_tools=False`` sends no native tools, so the turn cannot call one; with
        ``on_text`` the turn is streamed and each piece of text handed over as it comes (a
        DAG's plan lines reach the scheduler while the model still writes)."""
        if not over_budget:
            self.budget.check()
        self.budget.steps_taken += 1
        native = offer_tools and self.format.native
        kwargs = {"tools": self._native_tools() if native else (),
                  "constraint": self.usable(constraint),
                  "max_tokens": max_tokens or self.budget.step_max_tokens,
                  "reasoning": self.reasoning if reasoning is None else reasoning}
        recorded = self.replay.completion() if self.replay is not None else None
        if recorded is not None:
            completion = recorded
            if on_text is not None and completion.text:
                on_text(completion.text)
        elif on_text is None:
            completion = await self.model.complete(list(messages), **kwargs)
        else:
            completion = None
            async for delta in self.model.stream(list(messages), **kwargs):
                if delta.text:
                    on_text(delta.text)
                if delta.completion is not None:
                    completion = delta.completion
            if completion is None:
                raise RuntimeError(f"{self.model.name}: a stream must end with a completion")
        self.budget.charge(completion)
        self.recorder.turn(completion)
        return completion

    def _native_tools(self) -> tuple[ToolSpec, ...]:
        # a tuple, shared by the steps of every run over this tool set: backends only read it
        return derived(self.tools, "native_specs", lambda: tuple(self.tools.specs()))

    def must_call(self) -> bool:
        """Whether the next turn has to call a tool (``tool_choice="first"`` before any call)."""
        return self.tool_choice == "first" and not self.guard.seen

    async def act_turn(self, messages: Sequence[Message], *, max_calls: int = MAX_CALLS,
                       require_call: bool = False, only: tuple[str, ...] = (),
                       values: tuple[str, ...] | None = None,
                       without: tuple[str, ...] = ()) -> tuple[Completion, ParsedTurn]:
        """A turn in the tool format: constrained when possible, parsed, never raising on junk.

        ``max_calls`` caps its calls where the grammar applies; ``require_call`` (or
        ``tool_choice="first"`` before any call) leaves out the answer path; ``only`` and
        ``values`` and ``without`` as in `turn_constraint`.
        """
        constraint = self.turn_constraint(require_call or self.must_call(),
                                          max_calls=max_calls, only=only, values=values,
                                          without=without)
        completion = await self.model_turn(messages, constraint=constraint)
        return completion, self.format.parse_completion(completion)

    async def invoke(self, call: ToolCall) -> Observation:
        """Run one call — the one place every strategy's calls run — recorded as it starts
        (so a killed run's trace shows it in flight); in a resumed run, answered from the
        trace where it ran before (`Replay.answer`)."""
        if self.replay is not None:
            observation = self.replay.answer(call)
            if observation is not None:
                return observation
        self.recorder.call_started(call)
        return await self.tools.invoke(call)

    async def run_calls(self, calls: Sequence[ToolCall], *,
                        implied: bool = False) -> list[Observation]:
        """Run ``calls`` under the run's policy (see `run_calls`); a failed one's hint names
        other tools that match the question (`alternatives`). ``implied``: calls the runtime
        makes (a fan-out's items), which the per-turn cap on the model's calls does not count.
        """
        policy = replace(self.policy, max_calls_per_turn=None) if implied else self.policy
        observations = await run_calls(self.tools, calls, self.guard, self.invoke, policy)
        for obs in observations:
            if not obs.ok and obs.error not in NOT_RUN and not obs.hint:
                others = alternatives(self.tools, self.recorder.trace.question, obs.tool)
                if others:
                    obs.hint = (error_hint(obs) + " Tools that may fit the question: "
                                + ", ".join(others) + ".")
        return observations


def failing_tools(made: Sequence[tuple[ToolCall, Observation]], times: int = 2) -> set[str]:
    """Tools whose calls failed ``times`` times since the last call that succeeded."""
    failures: dict[str, int] = {}
    # read back to the last success only: a step's cost does not grow with the run
    for call, obs in reversed(made):
        if obs.ok:
            break
        if obs.error not in NOT_RUN:
            failures[call.name] = failures.get(call.name, 0) + 1
    return {name for name, n in failures.items() if n >= times}
