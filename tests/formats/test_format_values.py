"""Values written as text (glm-xml, plaintext) and the grammar pieces the formats share."""

from __future__ import annotations

import pytest

from toolweave.constraints.gbnf import GrammarBuilder
from toolweave.errors import InvalidConstraintError
from toolweave.formats.values import (
    ANY_VALUE,
    DEFAULT_MAX_STRING_CHARS,
    decode_value,
    embed_gbnf,
    encode_value,
    grammar_schema,
    value_rule,
)

STRING, INT = {"type": "string"}, {"type": "integer"}


@pytest.mark.parametrize("raw,schema,quoted,value", [
    ("123", STRING, False, "123"),
    ("123", INT, False, 123),
    ("123", {}, False, 123),
    ("abc", INT, False, "abc"),          # not JSON: kept for the tool layer to reject
    ('"a\\nb"', STRING, True, "a\nb"),
    ('"a\\nb"', STRING, False, '"a\\nb"'),
    ('"unclosed', STRING, True, '"unclosed'),
    ("c", {"enum": ["c", "f"]}, False, "c"),
    ("null", {"type": ["string", "null"]}, False, None),
    ("[" * 5000, {}, False, "[" * 5000),
])
def test_decode_value(raw, schema, quoted, value):
    assert decode_value(raw, schema, quoted_strings=quoted) == value


@pytest.mark.parametrize("value,schema,text", [
    ("Paris", STRING, "Paris"),
    ("123", {}, '"123"'),                # would read back as a number
    ("123", STRING, "123"),
    (" x", STRING, '" x"'),              # the plaintext reader strips blanks
    ('"q"', STRING, '"\\"q\\""'),        # a leading quote would be unquoted
    (5, INT, "5"),
    ({"k": "</arg_value>"}, {}, '{"k": "\\u003c/arg_value>"}'),
])
def test_encode_value_reads_back(value, schema, text):
    written = encode_value(value, schema, quoted_strings=True, forbidden="</arg_value>",
                           stripped=True)
    assert written == text
    assert decode_value(written.strip(), schema, quoted_strings=True) == value


def test_embed_gbnf_renames_rules_but_not_literals():
    builder = GrammarBuilder()
    root = embed_gbnf(builder, (
        '# leading comment with root in it\n'
        'root ::= item ("," item){0,3}  # items\n'
        'item ::= "item root" | [a-z\\]] | (\n    num\n)\n'
        'num ::= [0-9]+\n'), "tw-in-0-")
    assert root == "tw-in-0-root"
    text = builder.text()
    assert 'tw-in-0-root ::= tw-in-0-item ("," tw-in-0-item){0,3}' in text
    assert 'tw-in-0-item ::= "item root" | [a-z\\]] | ( tw-in-0-num )' in text
    assert "tw-in-0-num ::= [0-9]+" in text and "comment" not in text


@pytest.mark.parametrize("gbnf", ['item ::= "x"', '"x" ::= root'])
def test_embed_gbnf_needs_a_root_rule(gbnf):
    with pytest.raises(InvalidConstraintError):
        embed_gbnf(GrammarBuilder(), gbnf, "p-")


def test_grammar_schema_makes_shapeless_schemas_any_value():
    schema = {"type": "object", "properties": {
        "a": {"description": "anything"}, "b": {"type": "array", "items": {}},
        "c": {"anyOf": [{"title": "x"}, {"type": "integer"}]}, "d": STRING}}
    assert grammar_schema(schema) == {"type": "object", "properties": {
        "a": ANY_VALUE, "b": {"type": "array", "items": ANY_VALUE},
        "c": {"anyOf": [ANY_VALUE, {"type": "integer"}]},
        "d": {**STRING, "maxLength": DEFAULT_MAX_STRING_CHARS}}}
    assert grammar_schema({}) is ANY_VALUE
    assert grammar_schema({"type": "string", "maxLength": 9000})["maxLength"] == 9000


def test_shorthand_patterns_are_dropped_for_json_but_kept_for_raw_values():
    assert grammar_schema({"type": "string", "pattern": r"^\d{2}$"}) == {
        "type": "string", "maxLength": DEFAULT_MAX_STRING_CHARS}
    kept = {"type": "string", "pattern": "^[0-9]{2}$"}
    assert grammar_schema(kept) == kept
    builder = GrammarBuilder()
    rule = value_rule(builder, {"type": "string", "pattern": r"\d{2}"}, "v", "raw")
    assert rule == "v" and "[0-9]" in builder.text() and "\\d" not in builder.text()
