"""Constraint validation and GBNF compilation (no model needed)."""

from __future__ import annotations

import re

import pytest

from toolweave.constraints import check, matches, to_gbnf
from toolweave.constraints._ranges import integer_rule
from toolweave.constraints.gbnf import GrammarBuilder
from toolweave.errors import InvalidConstraintError, UnsupportedConstraintError
from toolweave.types import Constraint


def test_invalid_constraints_are_rejected_with_reasons():
    with pytest.raises(InvalidConstraintError, match="JSON Schema"):
        check(Constraint.json_schema({"type": "object", "properties": {"a": {"type": "nope"}}}))
    with pytest.raises(InvalidConstraintError, match="regex"):
        check(Constraint.regex("(unclosed"))
    with pytest.raises(InvalidConstraintError):
        check(Constraint.grammar("   "))


def test_matches_json_and_regex():
    schema = Constraint.json_schema({"type": "object", "required": ["a"],
                                     "properties": {"a": {"type": "integer"}}})
    assert matches(schema, '{"a": 3}')
    assert not matches(schema, '{"a": "3"}')
    assert not matches(schema, "not json")
    assert matches(Constraint.regex(r"\d+"), "123")
    assert not matches(Constraint.regex(r"\d+"), "123a")


def test_compilation_is_cached():
    c = Constraint.json_schema({"type": "object", "properties": {"x": {"type": "string"}}})
    assert to_gbnf(c) is to_gbnf(c)


def test_regex_shorthands_are_expanded():
    gbnf = to_gbnf(Constraint.regex(r"\d{2}\s\w"))
    assert "[0-9]" in gbnf and "[a-zA-Z0-9_]" in gbnf and "\\d" not in gbnf
    with pytest.raises(InvalidConstraintError, match="character class"):
        to_gbnf(Constraint.regex(r"[\D]"))


def test_json_strings_exclude_control_characters():
    gbnf = to_gbnf(Constraint.json_schema({"type": "string"}))
    assert "\\x00-\\x1F" in gbnf


def _gbnf_alternation_to_regex(rule: str) -> str:
    rule = rule.replace('"-"', "-").replace(" | ", "|").replace(" ", "")
    return re.sub(r'"(\d)"', r"\1", rule)


@pytest.mark.parametrize(("lo", "hi"), [(0, 130), (5, 5), (-20, 7), (-300, -12), (0, None),
                                        (17, None), (None, 3), (99, 1001)])
def test_integer_ranges_accept_exactly_the_range(lo, hi):
    pattern = _gbnf_alternation_to_regex(integer_rule(lo, hi))
    for x in range(-1500, 1500):
        inside = (lo is None or x >= lo) and (hi is None or x <= hi)
        assert bool(re.fullmatch(pattern, str(x))) == inside, (lo, hi, x)
    assert not re.fullmatch(pattern, "007")


def test_bounds_compile_or_are_refused_explicitly():
    ok = to_gbnf(Constraint.json_schema({"type": "integer", "minimum": 1, "exclusiveMaximum": 10}))
    assert '"-"' not in ok
    with pytest.raises(UnsupportedConstraintError, match="multipleOf"):
        to_gbnf(Constraint.json_schema({"type": "integer", "multipleOf": 3}))
    with pytest.raises(UnsupportedConstraintError, match="non-integer"):
        to_gbnf(Constraint.json_schema({"type": "number", "maximum": 2.5}))


def test_builder_composes_schema_and_regex_rules():
    builder = GrammarBuilder()
    args = builder.schema({"type": "object", "properties": {"q": {"type": "string"}}}, "args")
    code = builder.regex(r"[A-Z]{3}", "code")
    builder.rule("root", f'{args} "|" {code}')
    text = builder.text()
    assert text.count("root ::=") == 1 and f"{args} ::=" in text and f"{code} ::=" in text
