"""The count: "how many of these …" is counted by the runtime, not guessed by the model.

Asked "how many of the orders A, B, C and D have been delivered?" with the four orders looked
up, a small model answers with the number of items, the sum of their numbers, or a number it
makes up; asked item by item whether each result meets the condition, the 0.5B model says
"yes" (or "no") to all of them. The runtime can count instead: the items are the question's
list, each item's result is the call made with it, and the condition is either a comparison
the question states with a number ("fewer than 20", "more than 100") or words of the question
that some results hold and others do not ("delivered", "Lindqvar"). The answer turn reads the
count and the items that meet it.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable
from dataclasses import dataclass

from toolweave.agents.worked import Worked
from toolweave.formats.base import loads
from toolweave.runtime.context import RunContext
from toolweave.runtime.fanout import question_lists, results_by_item
from toolweave.runtime.grounding import STOPWORDS, leaves, name_words, numbers_in, text_spans
from toolweave.types import Observation, Step, ToolCall

_COUNT_OF = re.compile(r"\bhow many of\b", re.IGNORECASE)
# "Among A, B and C, how many …", "Of A, B, C and D, how many have …", "Count the …": a count
# over a list the question writes out (three items or more: "from X to Y and back" is none)
_HOW_MANY = re.compile(r"\b(?:how many|count)\b", re.IGNORECASE)
MIN_COUNTED_ITEMS = 3
_NEGATED = re.compile(r"\b(?:not|never|no longer)\b|n't\b", re.IGNORECASE)
_BELOW = "fewer|less|lower|cheaper|colder|cooler|smaller|shorter|under|below"
_ABOVE = "more|greater|higher|warmer|hotter|larger|bigger|longer|above|over|dearer"
_COMPARISON = re.compile(
    rf"\b(?P<op>at least|at most|no more|no fewer|no less|{_BELOW}|{_ABOVE})(?:\s+than)?"
    r"\s+(?:\$|€|£)?(?P<bound>-?\d+(?:\.\d+)?)\b", re.IGNORECASE)
_OPERATORS = {"at least": ">=", "no fewer": ">=", "no less": ">=", "at most": "<=",
              "no more": "<=", **dict.fromkeys(_BELOW.split("|"), "<"),
              **dict.fromkeys(_ABOVE.split("|"), ">")}


def asks_count(question: str) -> bool:
    """True for "how many of <a list> <meet a condition>" questions, and for "how many" over
    a list of three or more items the question writes out ("Among A, B and C, how many are
    'agreed'?")."""
    if _COUNT_OF.search(question) is not None:
        return True
    return _HOW_MANY.search(question) is not None and any(
        len(parts) >= MIN_COUNTED_ITEMS for parts in question_lists(question))


@dataclass(frozen=True)
class Tally:
    """The items of a question's list that meet its condition, among those with a result."""

    condition: str
    met: tuple[str, ...]
    counted: tuple[str, ...]  # the items whose result was read

    def line(self) -> str:
        """``"2 of 4 meet 'fewer than 20' (Lumen Desk, Orbit Kettle)"``."""
        which = ", ".join(self.met) if self.met else "none"
        return (f"{len(self.met)} of {len(self.counted)} meet {self.condition!r}"
                f" ({which})")


def tally(question: str, made: Iterable[tuple[ToolCall, Observation]]) -> Tally | None:
    """Count the items of ``question``'s list whose results (among the calls ``made``) meet
    its condition; None when no list item has a result or no condition can be read."""
    groups = results_by_item(question, made)
    if not groups:
        return None
    negated = _NEGATED.search(question) is not None
    comparison = _COMPARISON.search(question)
    if comparison:
        op = _OPERATORS[comparison["op"].casefold()]
        bound = float(comparison["bound"])
        best: tuple[int, dict[str, float]] | None = None
        for results in groups:
            numbers = {item: n for item, obs in results.items()
                       if (n := _number(obs, question)) is not None}
            if len(numbers) >= 2 and (best is None or len(numbers) > best[0]):
                best = (len(numbers), numbers)
        if best is None:
            return None
        met = [item for item, n in best[1].items() if _compare(n, op, bound) != negated]
        condition = " ".join(comparison[0].split())
        return Tally(("not " if negated else "") + condition, tuple(met), tuple(best[1]))
    return _by_words(question, groups, negated)


def _by_words(question: str, groups: list[dict[str, Observation]], negated: bool
              ) -> Tally | None:
    """The condition as words of the question that some results hold: the longest such
    span, in the fan-out that covers the most items."""
    best: tuple[tuple[int, int], Tally] | None = None
    for results in groups:
        items = [i.casefold() for i in results]
        spans = [s for s in text_spans(question) if not any(
            i in s.casefold() or s.casefold() in i for i in items)]
        for span in spans:
            met = [item for item, obs in results.items()
                   if _holds(obs, span) != negated]
            if not any(_holds(obs, span) for obs in results.values()):
                continue
            rank = (len(results), len(span.split()))
            if best is None or rank > best[0]:
                condition = ("not " if negated else "") + span
                best = (rank, Tally(condition, tuple(met), tuple(results)))
    return best[1] if best else None


def _values(obs: Observation) -> list[tuple[frozenset[str], str]]:
    """A result's values with the name words of their fields (none for a text result)."""
    parsed = loads(obs.content.strip())
    if isinstance(parsed, (dict, list)):
        return [(name_words(" ".join(path)), str(leaf)) for path, leaf in leaves(parsed)
                if leaf is not None and not isinstance(leaf, bool)]
    return [(frozenset(), obs.content.strip())]


def _number(obs: Observation, question: str) -> float | None:
    """The number a result gives for the question: a text result's first number; of a JSON
    result's numbers, the one whose field the question names, or its only one."""
    words = {w.strip(".,?!:'’").casefold() for w in question.split()} - STOPWORDS
    found = [(field, numbers_in([v])) for field, v in _values(obs)]
    found = [(field, n[0]) for field, n in found if n]
    named = [n for field, n in found if field & words]
    if named:
        return float(named[0])
    return float(found[0][1]) if len(found) == 1 else None


def _holds(obs: Observation, span: str) -> bool:
    """Whether one of the result's values holds ``span`` as whole words."""
    pattern = re.compile(rf"(?<!\w){re.escape(span)}(?!\w)", re.IGNORECASE)
    return any(pattern.search(v) for _, v in _values(obs))


def _compare(value: float, op: str, bound: float) -> bool:
    return {"<": value < bound, ">": value > bound, "<=": value <= bound,
            ">=": value >= bound}[op]


def count_step(ctx: RunContext, question: str) -> Worked | None:
    """Count for ``question`` over the run's results (a think step in the trace, no model
    turn), for the answer turn to read and begin with; None when nothing could be counted."""
    found = tally(question, ctx.guard.made())
    if found is None:
        return None
    step = Step(index=len(ctx.recorder.trace.steps), kind="think", started_at=time.time())
    ctx.recorder.event("step_start", index=step.index)
    step.thought = f"count: {found.line()}"
    step.ended_at = time.time()
    ctx.recorder.step(step)
    return Worked("count", found.line(), str(len(found.met)))
