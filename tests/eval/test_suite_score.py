"""Suite scoring: answer normalization, EM / F1 / contains, call matching and the verdict."""

from __future__ import annotations

import pytest

from toolweave.eval.suite.format import ExpectedCall, SuiteTask
from toolweave.eval.suite.score import (
    contains_answer,
    exact_match,
    matched_calls,
    normalize_answer,
    normalize_value,
    score_task,
    token_f1,
)
from toolweave.types import ToolCall


@pytest.mark.parametrize(("text", "normal"), [
    ("The Answer is 84.", "answer is 84"),
    ("7,006,652", "7006652"),
    ("84.0", "84"),
    ("It weighs 1.5 kg", "it weighs 1.5 kg"),
    ("€179", "€ 179"),
    ("-3 °C", "-3 °c"),
    ("a 3-year warranty", "3 year warranty"),
    ("v2 and x-3", "v2 and x 3"),
])
def test_normalize_answer(text, normal):
    assert normalize_answer(text) == normal


def test_exact_match_and_f1_take_the_best_acceptable_answer():
    assert exact_match("The DHL.", ["UPS", "dhl"]) == 1.0
    assert exact_match("DHL Express", ["DHL"]) == 0.0
    assert token_f1("DHL Express", ["DHL"]) == pytest.approx(2 / 3)
    assert token_f1("nothing", ["DHL"]) == 0.0
    assert token_f1("", [""]) == 1.0


def test_contains_needs_whole_tokens():
    assert contains_answer("The Pro costs €179 with VAT.", ["179 euros", "179"]) == 1.0
    assert contains_answer("It is 1790.", ["179"]) == 0.0
    assert contains_answer("1.5", ["15"]) == 0.0  # the decimal point is kept
    assert contains_answer("It takes ten seconds", ["10 seconds", "ten seconds"]) == 1.0


def test_a_long_decimal_is_found_rounded_as_a_person_writes_it():
    average = ["28.6666666667"]
    assert contains_answer("The average crew size is 28.67 sailors.", average) == 1.0
    assert contains_answer("It is 28.667.", average) == 1.0
    # rounded to fewer than two decimals, rounded wrong, or a short decimal: no
    assert contains_answer("It is 28.7.", average) == 0.0
    assert contains_answer("It is 29.", average) == 0.0
    assert contains_answer("It is 28.66.", average) == 0.0
    assert contains_answer("It is 12.50.", ["12.5"]) == 1.0  # numbers read as numbers
    assert contains_answer("It is 13.", ["12.5"]) == 0.0


def test_argument_values_compare_normalized():
    assert normalize_value("12 * 7") == normalize_value("12*7")
    assert normalize_value("New  York") == "new york" != normalize_value("NewYork")
    assert normalize_value(5) == normalize_value("5") == normalize_value(5.0)
    assert normalize_value("1,000") == 1000.0
    assert normalize_value({"a": [1, " B "]}) == {"a": [1.0, "b"]}
    assert normalize_value(True) == normalize_value("True") != normalize_value(1)


def call(name, **arguments):
    return ToolCall(name=name, arguments=arguments)


def expect(name, **arguments):
    return ExpectedCall(name=name, arguments=arguments)


def test_unordered_matching_is_one_to_one_and_maximal():
    # greedy would give the loose expectation the only call the strict one accepts
    expected = [expect("search"), expect("search", q="x")]
    made = [call("search", q="x"), call("search", q="y")]
    assert matched_calls(expected, made) == 2
    assert matched_calls([expect("search"), expect("search")], [call("search")]) == 1
    assert matched_calls([expect("search", q="x")], [call("search", q="x", k=3)]) == 1
    assert matched_calls([expect("search", q="x")], [call("lookup", q="x")]) == 0


def test_ordered_matching_is_the_longest_common_subsequence():
    expected = [expect("a"), expect("b"), expect("c")]
    assert matched_calls(expected, [call("a"), call("b"), call("c")], ordered=True) == 3
    assert matched_calls(expected, [call("c"), call("a"), call("b")], ordered=True) == 2
    assert matched_calls(expected, [call("c"), call("a"), call("b")], ordered=False) == 3
    assert matched_calls(expected, [call("b"), call("x"), call("c")], ordered=True) == 2


def test_score_task_verdicts():
    task = SuiteTask(id="t", question="q", answer=["16"],
                     calls=[expect("stock", sku="W-MINI"), expect("stock", sku="W-PRO")])
    made = [call("stock", sku="w-pro"), call("stock", sku="W-MINI"), call("calculator")]
    good = score_task(task, "There are 16 in stock.", made)
    assert good.passed and good.contains == 1.0 and good.exact_match == 0.0
    assert good.call_recall == 1.0 and good.call_precision == pytest.approx(2 / 3)
    half = score_task(task, "16", made[:1])
    assert not half.passed and half.call_recall == 0.5 and half.exact_match == 1.0
    none = score_task(task, None, [])
    assert (none.exact_match, none.f1, none.call_recall, none.call_precision) == (0, 0, 0, 0)
    assert not none.passed


def test_answer_only_and_calls_only_tasks():
    answer_only = SuiteTask(id="a", question="q", answer="36")
    s = score_task(answer_only, "36", [call("calculator")])
    assert s.passed and s.call_recall is None and s.call_precision is None
    calls_only = SuiteTask(id="c", question="q", calls=[expect("calculator")])
    s = score_task(calls_only, None, [call("calculator")])
    assert s.passed and s.exact_match is None and s.f1 is None
    no_calls_expected = SuiteTask(id="n", question="q", calls=[])
    assert score_task(no_calls_expected, "hi", []).passed
    spurious = score_task(no_calls_expected, "hi", [call("calculator")])
    assert not spurious.passed and spurious.call_precision == 0.0
