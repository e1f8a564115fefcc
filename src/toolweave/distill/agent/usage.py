"""Which tool results of a run were used: the test behind build-agent's "no wasted step".

A call's result gives *values*: a JSON result's leaves (strings and numbers), a text result's
numbers, quoted values and spans that hold a capital letter or a digit (names, ids), less
what the question or the call's own arguments already said (echoing them back is no new
information). A value is *mentioned* by a text when the text contains it as whole tokens,
after the suite scorer's normalization (`contains_answer`: "7,006,652" = "7006652").

A call made at position ``i`` of the run is **used** when

1. a value of its result is mentioned by a later *consumer*: the arguments of a call made
   after it (its own step's runtime-made calls included: a correction takes the value an
   error suggested), the run's final answer, or the text of a later step that made no call
   (the runtime's count line, the calculation's expression, the answer turn); or
2. its call failed and the error names the tool of a later call ("look it up with
   lookup_enrolment first": the hint was followed); or
3. it is one of a **fan-out** — the run's successful calls of one tool, two or more — of
   which some member is used by 1, or is *named by the answer*: a member's string argument
   is mentioned by the answer or a later step without calls, or came from the result of a
   call that is named by the answer (the diamond: the answer names a student, whose class's
   size was compared). A comparison, a count or an average reads every item
   of its list although the answer cites one item ("Class Brindlaer") or none ("3").

A step is **wasted** when the result of one of its calls is not used: a turn that looks up
what the question needs and one thing more teaches the one thing more.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

from toolweave.agents.answer import tools_named
from toolweave.eval.suite.score import contains_answer
from toolweave.formats.base import INVALID, loads
from toolweave.runtime.executor import NOT_RUN
from toolweave.runtime.grounding import leaves, numbers_in, quoted_values, text_spans
from toolweave.types import Observation, ToolCall, Trace


@dataclass(frozen=True)
class MadeCall:
    """One call of a run, where it was made, and what it gave."""

    position: int  # in the run's order of calls
    step: int  # the index of its step
    call: ToolCall
    observation: Observation


def made_calls(trace: Trace) -> list[MadeCall]:
    """Every call of ``trace`` that ran, with its observation, in order (a repeat the guard
    answered from memory ran nothing, and consumes nothing)."""
    out: list[MadeCall] = []
    for step in trace.steps:
        for call, obs in zip(step.calls, step.observations, strict=False):
            if obs.error not in NOT_RUN:
                out.append(MadeCall(len(out), step.index, call, obs))
    return out


def mentions(text: str, value: str) -> bool:
    """Whether ``text`` holds ``value`` as whole tokens, as the suite scorer compares."""
    return bool(contains_answer(text, [value]))


def result_values(made: MadeCall, question: str) -> list[str]:
    """The new values the call's result gives (see the module docstring)."""
    content = made.observation.content.strip()
    parsed = loads(content)
    if parsed is not INVALID and isinstance(parsed, (dict, list)):
        found = [str(leaf).strip() for _, leaf in leaves(parsed)
                 if isinstance(leaf, (str, int, float)) and not isinstance(leaf, bool)]
    else:
        found = [*numbers_in([content]), *quoted_values(content),
                 *(s for s in text_spans(content) if any(c.isupper() or c.isdigit() for c in s))]
    said = " ".join([question, _arguments_text(made.call)])
    return [v for v in dict.fromkeys(found) if v and not mentions(said, v)]


def _arguments_text(call: ToolCall) -> str:
    values = [str(leaf) for _, leaf in leaves(call.arguments) if leaf is not None]
    return " ; ".join(values) if values else json.dumps(call.arguments)


def used_positions(trace: Trace) -> set[int]:
    """The positions (`MadeCall.position`) of the calls whose result was used."""
    made = made_calls(trace)
    question = trace.question
    # text of the steps that made no call, by step index (count line, expression, answer),
    # but a turn the agent set aside (a call written as prose): nothing came of it
    derived = [(s.index, s.thought) for s in trace.steps
               if not s.calls and s.thought and not s.error]
    answer = trace.answer or ""

    def consumers(m: MadeCall) -> Iterable[str]:
        yield from (_arguments_text(later.call) for later in made[m.position + 1:])
        yield answer
        yield from (text for index, text in derived if index > m.step)

    values = {m.position: result_values(m, question) for m in made}
    used: set[int] = set()
    for m in made:
        texts = list(consumers(m))
        if any(mentions(t, v) for v in values[m.position] for t in texts):
            used.add(m.position)
        elif not m.observation.ok and any(tools_named(m.observation.content, [later.call.name])
                                          for later in made[m.position + 1:]):
            used.add(m.position)
    named = _named_by_answer(made, values, answer, derived)
    groups: dict[str, list[MadeCall]] = {}
    for m in made:
        if m.observation.ok:
            groups.setdefault(m.call.name, []).append(m)
    for members in groups.values():
        if len(members) >= 2 and any(m.position in used or m.position in named
                                     for m in members):
            used.update(m.position for m in members)
    if not any(mentions(answer, v) for vs in values.values() for v in vs):
        _read_by_a_worked_out_answer(made, values, question, used)
    return used


def _read_by_a_worked_out_answer(made: list[MadeCall], values: dict[int, list[str]],
                                 question: str, used: set[int]) -> None:
    """Rule 4 of the module docstring: add to ``used`` the successful calls on the question's
    path (their string arguments from the question or a used call's result)."""
    changed = True
    while changed:
        changed = False
        for m in made:
            if m.position in used or not m.observation.ok:
                continue
            strings = [v for v in m.call.arguments.values() if isinstance(v, str)]
            if all(mentions(question, s) or any(
                    mentions(s, v) for source in made[:m.position] if source.position in used
                    for v in values[source.position]) for s in strings):
                used.add(m.position)
                changed = True


def _named_by_answer(made: list[MadeCall], values: dict[int, list[str]], answer: str,
                     derived: list[tuple[int, str]]) -> set[int]:
    """The calls the answer names: a string argument of theirs is mentioned by the answer or
    a later step without calls, or came from the result of a call the answer names."""
    named: set[int] = set()
    for m in made:
        strings = [v for v in m.call.arguments.values() if isinstance(v, str) and v.strip()]
        texts = [answer, *(t for index, t in derived if index > m.step)]
        if any(mentions(t, v) for v in strings for t in texts):
            named.add(m.position)
    changed = True
    while changed:  # a call that took a value from a named call's result is named too
        changed = False
        for m in made:
            if m.position in named:
                continue
            strings = [v for v in m.call.arguments.values() if isinstance(v, str)]
            if any(mentions(s, v) for source in made[:m.position] if source.position in named
                   for v in values[source.position] for s in strings):
                named.add(m.position)
                changed = True
    return named


def wasted_steps(trace: Trace) -> list[int]:
    """The indices of the steps that made a call whose result was not used."""
    used = used_positions(trace)
    return sorted({m.step for m in made_calls(trace) if m.position not in used})
