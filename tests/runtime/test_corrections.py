"""Suggested corrections: when a failed call is made again, and with what."""

from __future__ import annotations

import pytest

from toolweave.runtime.corrections import suggested_call
from toolweave.types import Observation, ToolCall


@pytest.mark.parametrize("error, fixed", [
    ("unknown city 'Lunnetta'; did you mean 'Lunetta'?", "Lunetta"),
    ("unknown city 'Lunnetta'; known: Lunetta, Oslo", None),  # a list, not a suggestion
    ("unknown city 'Lunnetta'; did you mean 'Lunetta' or 'Lunata'?", None),  # a choice
    ("'Lunnetta' is a country; did you mean to call get_country?", None),  # no value offered
    # what the error quotes after its suggestion, not the rule it quotes before it
    ("unknown city 'Lunnetta': city names start with 'L'; did you mean 'Lunetta'?", "Lunetta"),
])
def test_a_failed_call_is_corrected_only_with_one_suggested_value(error, fixed):
    original = ToolCall(name="get_weather", arguments={"city": "Lunnetta", "days": 2})
    fix = suggested_call(original, Observation(call_id="1", tool="get_weather", ok=False,
                                               error="ValueError", content=error))
    assert (fix.arguments if fix else None) == \
        ({"city": fixed, "days": 2} if fixed else None)


@pytest.mark.parametrize("value, error, fixed", [
    ("US dollars", "unknown currency code 'US DOLLARS'; known: VLC, NVM, USD", "USD"),
    ("euros", "unknown currency code 'euros'; known: EUR, USD", "EUR"),
    ("New York", "unknown state 'New York'; valid values are: CA, NY, NJ", "NY"),
    ("Norvenian mark", "unknown currency code 'Norvenian mark'; known: VLC, NVM", None),
    ("US dollars", "unknown currency code 'US dollars'; known: USD, USDO", None),  # two fit
])
def test_a_value_an_error_lists_in_short_replaces_the_one_it_abbreviates(value, error, fixed):
    original = ToolCall(name="get_rate", arguments={"to_currency": value})
    fix = suggested_call(original, Observation(call_id="1", tool="get_rate", ok=False,
                                               error="ValueError", content=error))
    assert (fix.arguments["to_currency"] if fix else None) == fixed
