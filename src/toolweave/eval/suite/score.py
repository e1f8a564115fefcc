"""Scoring a suite task: the final answer (exact match, token F1, containment) and the calls.

Answers are normalized SQuAD-style (lower case, punctuation and articles dropped, whitespace
collapsed) with one change for tool tasks: numbers are read as numbers first, so ``7,006,652``,
``7006652`` and ``84.0``/``84`` agree and ``1.5`` keeps its point. Against several acceptable
answers each metric takes the best one.

A run's calls match the expected ones one-to-one: same tool name and every expected argument
equal after `normalize_value` (arguments the task does not list are not checked). Order does not
count unless the task sets ``ordered_calls``. Recall ("call accuracy") is matched / expected,
precision matched / made.
"""

from __future__ import annotations

import re
import string
from collections import Counter
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from pydantic import BaseModel, Field

from toolweave.eval.suite.format import ExpectedCall, SuiteTask
from toolweave.types import ToolCall

_NUMBER = re.compile(r"(?<![\w.])[-+]?\d{1,3}(?:,\d{3})+(?:\.\d+)?(?![\w])|"
                     r"(?<![\w.])[-+]?\d+(?:\.\d+)?(?![\w])")
_DECIMAL = re.compile(r"[-+]?\d+\.\d{3,}")
_PUNCT = re.compile("[" + re.escape(string.punctuation) + "]")
_ARTICLES = re.compile(r"\b(a|an|the)\b")
_AROUND_SYMBOLS = re.compile(r"\s*([^\w\s])\s*")


def _number_text(match: re.Match[str]) -> str:
    value = float(match.group(0).replace(",", ""))
    text = f"{value:.10g}" if not value.is_integer() else str(int(value))
    # a decimal point and sign survive punctuation removal as placeholders; the spaces split
    # "€179" into "€ 179", so "179" is found in it
    return " " + text.replace(".", "DOTPOINT").replace("-", "MINUSSIGN") + " "


def normalize_answer(text: str) -> str:
    """SQuAD-style normalization, numbers read as numbers (see the module docstring)."""
    text = _NUMBER.sub(_number_text, text)
    text = _PUNCT.sub(" ", text.lower())
    text = text.replace("dotpoint", ".").replace("minussign", "-")
    text = _ARTICLES.sub(" ", text)
    return " ".join(text.split())


def exact_match(prediction: str, answers: Sequence[str]) -> float:
    """1.0 if the normalized prediction equals a normalized acceptable answer."""
    got = normalize_answer(prediction)
    return float(any(got == normalize_answer(a) for a in answers))


def token_f1(prediction: str, answers: Sequence[str]) -> float:
    """The best token-overlap F1 of the prediction against the acceptable answers."""
    got = normalize_answer(prediction).split()
    best = 0.0
    for answer in answers:
        want = normalize_answer(answer).split()
        if not got or not want:
            best = max(best, float(got == want))
            continue
        common = sum((Counter(got) & Counter(want)).values())
        if common:
            precision, recall = common / len(got), common / len(want)
            best = max(best, 2 * precision * recall / (precision + recall))
    return best


def contains_answer(prediction: str, answers: Sequence[str]) -> float:
    """1.0 if a normalized acceptable answer occurs, as whole tokens, in the prediction.

    Small models answer in sentences ("The Pro costs €179."); exact match alone would call
    every such answer wrong. A number with more than two decimals is also found rounded to
    two or more ("28.67" for an average of 28.6666666667), as a person would write it."""
    got = f" {normalize_answer(prediction)} "
    return float(any(normalize_answer(form) and f" {normalize_answer(form)} " in got
                     for answer in answers for form in (answer, *rounded_forms(answer))))


def rounded_forms(answer: str) -> list[str]:
    """A lone number of more than two decimals rounded (half up) to 2, 3… decimals
    ("28.6666666667": "28.67", "28.667", …); nothing for any other answer."""
    text = answer.strip()
    if not _DECIMAL.fullmatch(text):
        return []
    decimals = len(text.split(".")[1])
    value = Decimal(text)
    return [str(value.quantize(Decimal(1).scaleb(-d), rounding=ROUND_HALF_UP))
            for d in range(2, decimals)]


def normalize_value(value: Any) -> Any:
    """An argument value as compared: numbers (and numeric strings) by value, booleans as
    ``"true"``/``"false"`` (a model may write them as strings), strings
    case-folded with whitespace collapsed and none around symbols (``12 * 7`` = ``12*7``),
    lists and objects element by element."""
    if isinstance(value, bool):
        return "true" if value else "false"  # not 1 / 0: True == 1 in Python
    if value is None:
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        text = " ".join(value.casefold().split())
        if _NUMBER.fullmatch(text):
            return float(text.replace(",", ""))
        return _AROUND_SYMBOLS.sub(r"\1", text)
    if isinstance(value, (list, tuple)):
        return [normalize_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): normalize_value(v) for k, v in value.items()}
    return value


def arguments_match(expected: dict[str, Any], actual: dict[str, Any]) -> bool:
    """Every expected argument is present in ``actual`` with an equal normalized value."""
    return all(k in actual and normalize_value(actual[k]) == normalize_value(v)
               for k, v in expected.items())


def call_matches(expected: ExpectedCall, call: ToolCall) -> bool:
    return expected.name == call.name and arguments_match(expected.arguments, call.arguments)


def matched_calls(expected: Sequence[ExpectedCall], made: Sequence[ToolCall],
                  ordered: bool = False) -> int:
    """How many expected calls the made calls account for, each made call used once.

    Unordered: a maximum bipartite matching (a greedy pass can pair a loose expectation with
    the only call a stricter one accepts). Ordered: the longest common subsequence."""
    if ordered:
        row = [0] * (len(made) + 1)
        for e in expected:
            prev_diag = 0
            for j, call in enumerate(made, 1):
                above = row[j]
                row[j] = prev_diag + 1 if call_matches(e, call) else max(row[j], row[j - 1])
                prev_diag = above
        return row[-1]
    owner: dict[int, int] = {}  # made call index → expected index

    def assign(i: int, seen: set[int]) -> bool:
        for j, call in enumerate(made):
            if j not in seen and call_matches(expected[i], call):
                seen.add(j)
                if j not in owner or assign(owner[j], seen):
                    owner[j] = i
                    return True
        return False

    return sum(assign(i, set()) for i in range(len(expected)))


class TaskScore(BaseModel):
    """How one run of a task did. Metrics a task does not define are None."""

    exact_match: float | None = None
    f1: float | None = None
    contains: float | None = None
    call_recall: float | None = None  # "call accuracy": expected calls made / expected
    call_precision: float | None = None  # made calls that were expected / made
    # the answer contains an acceptable one and every expected call was made (no call at all
    # when the task expects ``calls: []``)
    passed: bool = False


def score_task(task: SuiteTask, answer: str | None, calls: Sequence[ToolCall]) -> TaskScore:
    """Score one run's final ``answer`` (None: the run gave none) and the ``calls`` it made."""
    result = TaskScore()
    passed = True
    if task.answer is not None:
        text = answer or ""
        result.exact_match = exact_match(text, task.answer) if answer is not None else 0.0
        result.f1 = token_f1(text, task.answer) if answer is not None else 0.0
        result.contains = contains_answer(text, task.answer) if answer is not None else 0.0
        passed = bool(result.contains)
    if task.calls is not None:
        hits = matched_calls(task.calls, calls, task.ordered_calls)
        result.call_recall = hits / len(task.calls) if task.calls else 1.0
        result.call_precision = hits / len(calls) if calls else float(not task.calls)
        # `calls: []` says "answer without tools": any call fails it
        passed = passed and hits == len(task.calls) and (bool(task.calls) or not calls)
    result.passed = passed
    return result


class TaskOutcome(BaseModel):
    """One task run under one strategy: what it answered and called, its cost, its score."""

    id: str
    strategy: str
    fingerprint: str  # of what the run depended on (see Suite.fingerprint)
    tags: list[str] = Field(default_factory=list)
    answer: str | None = None
    stop_reason: str = ""
    steps: int = 0
    calls: list[ToolCall] = Field(default_factory=list)
    wall_s: float = 0.0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    error: str | None = None  # the run itself failed (not a tool: those are observations)
    score: TaskScore = Field(default_factory=TaskScore)
    trace: str = ""  # the trace file, relative to the out dir

    @property
    def key(self) -> tuple[str, str]:
        return self.id, self.strategy
