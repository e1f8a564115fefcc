"""The calculation turn: questions about quantities get their arithmetic done, not guessed.

A small model asked "how much do 8 mugs cost?" with "9.75 USD" in its results answers "9.75
USD"; asked which of four prices is lowest, it names the first. It writes the expression
readily, though (``8 * 9.75``, ``min(34.99, 59, 12)``): a code model is good at that. So
before the answer turn of a question that asks for an amount, a difference, a total, an
average or an extreme, the model writes one expression over the numbers the run has seen
(a grammar allows no other number), the runtime evaluates it, and the answer turn reads the
value.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable

from toolweave.agents.counting import asks_count
from toolweave.agents.leads import CHOICE, answer_item, asks_amount, written_amount
from toolweave.agents.measures import measure_words, measures
from toolweave.agents.prompts import render
from toolweave.agents.worked import Worked
from toolweave.formats.base import loads
from toolweave.runtime.context import RunContext
from toolweave.runtime.fanout import listed_results, whole_list_results
from toolweave.runtime.grounding import (
    STOPWORDS,
    arithmetic_pattern,
    average_pattern,
    extreme_pattern,
    numbers_in,
    pair_pattern,
)
from toolweave.runtime.hops import relevance
from toolweave.tools.builtins.calculator import evaluate, format_number
from toolweave.types import Constraint, Message, Observation, Step, ToolSpec

CALCULATION_MAX_TOKENS = 64
# The words of an extreme or a comparison, by the end they pick: "least/fewest/cheaper…" a
# minimum, "most/more/higher…" a maximum.
_SMALLEST_WORDS = (r"least|fewe(?:r|st)|less"
                   r"|(?:cheap|low|small|short|cold|clos|near|young|light|slow)(?:er|est)")
_LARGEST_WORDS = (r"most|more|(?:high|larg|long|warm|great|old|heavi|fast)(?:er|est)"
                  r"|hott(?:er|est)|bigg(?:er|est)|f[au]rth(?:er|est)")
# Words that combine results, or pick an extreme among them.
_COMBINING = re.compile(
    r"\b(?:total|sum|average|mean|difference|combined|altogether|together|twice|double|half"
    r"|round trip|and back|plus|minus|times|multipl(?:y|ied)|divided?|add(?:ed)? up"
    r"|subtract(?:ed)?|exceeds?|ratio|percent(?:age)?"
    rf"|{_SMALLEST_WORDS}|{_LARGEST_WORDS})\b", re.IGNORECASE)
_AMOUNT = re.compile(r"\bhow (?:much|many|far)\b", re.IGNORECASE)
_SMALLEST = re.compile(rf"\b(?:{_SMALLEST_WORDS})\b", re.IGNORECASE)
_LARGEST = re.compile(rf"\b(?:{_LARGEST_WORDS})\b", re.IGNORECASE)


# Questions whose expression needs a number they do not state: a count or a factor of 2.
_COUNTED = re.compile(r"\b(?:average|mean|twice|double|half|round trip|and back|per)\b",
                      re.IGNORECASE)


_AVERAGE = re.compile(r"\b(?:average|mean)\b", re.IGNORECASE)
# Words of another operation beside the mean ("the average nightly rate times 3 nights")
_NOT_JUST_A_MEAN = re.compile(
    r"\b(?:twice|double|half|times|multipl(?:y|ied)|divided?|plus|minus|difference|per"
    r"|ratio|percent(?:age)?|round trip|and back)\b", re.IGNORECASE)


def picks_extreme(question: str) -> str | None:
    """``"min"`` or ``"max"`` for a question that picks an item by an extreme ("which is the
    cheapest", "whose city is warmer"); None otherwise."""
    if CHOICE.search(question):
        # "least/fewest/cheaper…" before "most/more": "the least expensive" is a minimum
        if _SMALLEST.search(question):
            return "min"
        if _LARGEST.search(question):
            return "max"
    return None


def compared_group(ctx: RunContext, question: str) -> list[Observation] | None:
    """The results whose numbers an extreme picks among: those of the fan-out over the
    question's whole list, or of another tool's two or more results, of the tool that measures
    what the question compares when one does (the distances, not the temperatures, for "which
    is closer"), else of the one whose docs speak most of it (the baking temperatures of the
    ovens, not the unit prices of the pastries, for "whose oven has the higher baking
    temperature"); None when no tool gave plain-text numbers."""
    made = ctx.guard.made()
    groups = [g for g in whole_list_results(question, made)
              if all(plain_number(o.content) for o in g)]
    by_tool: dict[str, list[Observation]] = {}
    for _, obs in made:
        if obs.ok and obs.tool not in ctx.calculators() and plain_number(obs.content):
            by_tool.setdefault(obs.tool, []).append(obs)
    listed = {g[0].tool for g in groups}
    groups += [g for tool, g in by_tool.items() if len(g) >= 2 and tool not in listed]
    if words := measure_words(question):
        groups = [g for g in groups if measures(ctx.tools.get(g[0].tool).spec, words)] or groups
    if not groups:
        return None
    # the first of the best: a whole-list fan-out before another tool's results
    return max(groups, key=lambda g: relevance(ctx.tools.get(g[0].tool).spec, question))


def extreme_expression(ctx: RunContext, question: str, extreme: str,
                       group: list[Observation] | None) -> str | None:
    """``min(…)``/``max(…)`` (``extreme``) of every number of ``group`` (`compared_group`),
    when each result compared holds just one number (a price, a temperature, a distance) of
    what the question compares (where it says: distances for "closer"); None otherwise. The
    model, asked for the expression, picks which numbers to compare: a model turn of a new
    prompt (2-3 s here) to write what the runtime knows."""
    if not group or len(group) < 2:
        return None
    if (words := measure_words(question)) and not measures(
            ctx.tools.get(group[0].tool).spec, words):
        return None  # temperatures for "which is closer": no extreme of what is asked
    numbers = [numbers_in([o.content]) for o in group]
    if any(len(n) != 1 for n in numbers):
        return None
    return f"{extreme}({', '.join(n[0] for n in numbers)})"


# "the quantity of X times the unit price of Y": one operation over two numbers. ("how many
# times" is a count; "per" may name a measure, "royalty per sale", so it is none here.)
_OPERATIONS = (
    ("*", re.compile(r"\b(?:times\s+(?:the|its|their|his|her|that|this|\d)|multipl(?:y|ied))",
                     re.IGNORECASE)),
    ("+", re.compile(r"\b(?:plus|added to)\b", re.IGNORECASE)),
    ("-", re.compile(r"\b(?:minus|exceeds?|subtract(?:ed)?|difference between)\b",
                     re.IGNORECASE)),
    ("/", re.compile(r"\b(?:divided by|ratio of)\b", re.IGNORECASE)),
)
# beyond this many numbers the pairs make too long a grammar; the general one serves
MAX_PAIRED_NUMBERS = 12


def single_operation(question: str) -> str | None:
    """The one arithmetic operator ``question`` states between two amounts ("A times B",
    "by how much does A exceed B"), when it states exactly one and asks for nothing else
    (no total, average, twice…); else None."""
    found = [op for op, pattern in _OPERATIONS if pattern.search(question)]
    if len(found) != 1 or _COUNTED.search(question) or _SUMMED.search(question):
        return None
    return found[0]


def expression_pattern(question: str, numbers: tuple[str, ...], results: int = 2) -> str:
    """The regex the calculation must match: ``min(…)``/``max(…)`` for a question that picks
    an extreme ("which is the cheapest"); otherwise arithmetic over ``numbers``, each used
    about once, plus a count up to ``results`` (the successful results) where the question
    asks for one; an average of two or more results is their sum over how many were summed."""
    if extreme := picks_extreme(question):
        return extreme_pattern(extreme, numbers)
    distinct = len(set(numbers))
    if (operator := single_operation(question)) and 2 <= distinct <= MAX_PAIRED_NUMBERS:
        return pair_pattern(numbers, operator)
    if (_AVERAGE.search(question) and not _NOT_JUST_A_MEAN.search(question)
            and results >= 2 and distinct >= 2):
        # the mean of what the results gave: their sum over how many were summed
        return average_pattern(numbers, results)
    if _COUNTED.search(question):
        counts = [str(n) for n in range(2, max(2, results) + 1)]
        return arithmetic_pattern(numbers, counts, max_terms=distinct + 1)
    return arithmetic_pattern(numbers, (), max_terms=distinct)


# "the average depth", "the total revenue": a combining word and the measure it combines;
# "the grade average": the measure before it
_COMBINED_MEASURE = re.compile(r"\b(?:average|mean|total|combined)\s+([^\W\d_]+)", re.IGNORECASE)
_MEASURE_COMBINED = re.compile(r"\b([^\W\d_]+)\s+(?:average|mean|total)\b", re.IGNORECASE)


def without_reported_measures(question: str, specs: Iterable[ToolSpec]) -> str:
    """``question`` without the combining words that are part of a measure some tool reports
    ("the average depth of the sea zone", where a tool gets "the average depth of one sea
    zone"; "the grade average of a student", where one returns "a student's grade
    average"): the tool's number is the answer, not an operation over the results. Asked for
    the average depth, a small model averages the depth with a count of containers; asked by
    how much one grade average exceeds another, it averages the two."""
    phrases = [*_COMBINED_MEASURE.finditer(question),
               *(m for m in _MEASURE_COMBINED.finditer(question)
                 if m.group(1).casefold() not in STOPWORDS)]
    if not phrases:
        return question
    docs = [f"{s.description}".casefold() for s in specs]
    end = len(question) + 1
    for match in sorted(phrases, key=lambda m: m.start(), reverse=True):
        phrase = re.sub(r"\s+", " ", match.group(0).casefold())
        if match.end() <= end and any(
                re.search(rf"(?<!\w){re.escape(phrase)}(?!\w)", doc) for doc in docs):
            question = question[:match.start()] + match.group(1) + question[match.end():]
            end = match.start()
    return question


def needs_calculation(question: str, results: Iterable[Observation] | None = None) -> bool:
    """True when ``question`` asks for an amount, a comparison or an extreme (not a count of
    the results that meet a condition: no expression over their numbers gives that, and the
    model sums them; `counting` counts).

    ``results``: the successful results. A question that only asks "how much / many / far",
    with no number or combining word of its own, needs a calculation only when plain-text
    results of two tools hold numbers (a price and an exchange rate): one such result is the
    amount itself ("40 units in stock"), which a small model asked for an expression
    multiplies by some number of a looked-up record ("quantity": 4)."""
    if asks_count(question):
        return False
    if _COMBINING.search(question) or (_AMOUNT.search(question) and numbers_in([question])):
        return True
    if not _AMOUNT.search(question):
        return False
    if results is None:
        return True
    return len({o.tool for o in results if o.ok and plain_number(o.content)}) >= 2


def plain_number(text: str) -> bool:
    """Whether ``text`` is a plain-text result that holds a number (not a JSON record)."""
    return not isinstance(loads(text.strip()), (dict, list)) and bool(numbers_in([text]))


async def calculate(ctx: RunContext, question: str, evidence: str) -> Worked | None:
    """``"expression = value"`` for ``question`` over ``evidence`` (the answer turn's result
    lines), or None when the results hold no number or the expression does not evaluate. An
    extreme names the item it picked; one the question lists leads the answer, and so does
    the value asked for an amount (`asks_amount`). A total or a mean of what one tool gave
    for every item asked about is summed by the runtime (`summed_expression`), not the
    model: asked for the total over three trains, the 0.5B model adds two of them."""
    seen = [o for o in ctx.guard.seen.values() if o.ok and o.tool not in ctx.calculators()]
    extreme = picks_extreme(question)
    group = compared_group(ctx, question) if extreme else None
    numbers = tuple(numbers_in([o.content for o in group])) if group else ctx.numbers()
    if not any(n in evidence for n in numbers):
        return None
    step = Step(index=len(ctx.recorder.trace.steps), kind="think", started_at=time.time())
    ctx.recorder.event("step_start", index=step.index)
    # "by how much does the grade average of A exceed B's" asks a difference, not a mean,
    # when a tool reports the grade average: the expression's shape follows the question
    # without such measures (the model still reads the question as asked)
    shape = without_reported_measures(question, ctx.tools.specs())
    expression = summed_expression(ctx, shape) or (
        extreme_expression(ctx, question, extreme, group) if extreme else None)
    if expression is None:
        constraint = ctx.usable(Constraint.regex(expression_pattern(shape, numbers,
                                                                    len(seen))))
        messages = [Message(role="system", content=render("calculate_system")),
                    Message(role="user", content=render("calculate_now", question=question,
                                                        evidence=evidence))]
        completion = await ctx.model_turn(messages, constraint=constraint,
                                          max_tokens=CALCULATION_MAX_TOKENS, offer_tools=False,
                                          over_budget=True)
        expression = completion.text.strip().strip("`").strip()
        step.completion = completion
    worked = None
    try:
        value = evaluate(expression)
        line, item = f"{expression} = {format_number(value)}", ""
        if _EXTREME.match(expression) and (item := source_of(ctx, value)):
            line += f" (for {item})"
        if item:
            lead = answer_item(question, item, ctx.guard.made())
        else:
            lead = written_amount(value) if asks_amount(question) else ""
        worked = Worked("calculation", line, lead)
    except (ValueError, ZeroDivisionError, TypeError, OverflowError) as exc:
        step.error = f"calculation failed: {exc}"
    step.thought = worked.line if worked else expression
    step.ended_at = time.time()
    ctx.recorder.step(step)
    return worked


_EXTREME = re.compile(r"^\s*(?:min|max)\(")
_CODE = re.compile(r"\b[A-Z]{3}\b")  # a currency or unit code ("EUR", "USD")
_SUMMED = re.compile(r"\b(?:total|sum|combined|altogether|add(?:ed)? up)\b", re.IGNORECASE)


def summed_expression(ctx: RunContext, question: str) -> str | None:
    """The sum (or, asked for an average, the mean) of what one tool gave for every item the
    question asks about — each item of its list (`fanout.whole_list_results`), or each member
    of a list a result gave ("all the trains in …": `fanout.listed_results`) — when the
    question asks for nothing else and that tool's docs speak of something it asks; None
    otherwise, and when the question names a code the results do not ("in EUR": a rate
    to convert by is part of it)."""
    if _NOT_JUST_A_MEAN.search(question):
        return None
    mean = _AVERAGE.search(question) is not None
    if not mean and not _SUMMED.search(question):
        return None
    made = ctx.guard.made()
    groups = [g for g in whole_list_results(question, made) + listed_results(question, made)
              if len(g) >= 2 and all(plain_number(o.content) for o in g)
              and relevance(ctx.tools.get(g[0].tool).spec, question)[0] > 0]
    if not groups:
        return None
    group = groups[0]
    given = " ".join(o.content for o in group)
    if any(code not in given for code in _CODE.findall(question)):
        return None  # "the total in EUR" of prices in USD: a conversion too
    terms = " + ".join(numbers_in([o.content])[0] for o in group)
    return f"({terms}) / {len(group)}" if mean else terms


def source_of(ctx: RunContext, value: float) -> str:
    """``"NOVD"``: the item whose result holds ``value`` (the highest price's ticker, the
    cheapest flight's destination): the arguments that differ between the calls of that
    tool; ``""`` when no call or several hold the value. A small model told
    "max(…) = 142.35" still names the first item; told which item, it names that one."""
    made = [(call, obs) for call, obs in ctx.guard.made()
            if obs.ok and call.name not in ctx.calculators()]
    found = [call for call, obs in made
             if any(float(n) == value for n in numbers_in([obs.content]))]
    if len(found) != 1:
        return ""
    peers = [call.arguments for call, _ in made if call.name == found[0].name]
    varying = [k for k, v in found[0].arguments.items() if any(p.get(k) != v for p in peers)]
    return ", ".join(str(found[0].arguments[k]) for k in varying or found[0].arguments)
