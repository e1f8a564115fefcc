"""Rates read the question's way round: "how many B does one unit of A buy?"."""

from __future__ import annotations

import json

from toolweave.agents import Agent
from toolweave.agents.rates import rate_answer, rate_asked, read_rate
from toolweave.models import Scripted
from toolweave.tools import tool
from toolweave.types import Observation, ToolCall

CURRENCIES = {"Norvenia": "NVM (Norvenian mark)", "Korvath": "KVD (Korvathi dinar)",
              "Valdoria": "VLC (Valdorian crown)"}
COUNTRY_OF = {"Istrana": "Valdoria"}
IN_USD = {"NVM": 1.25, "KVD": 2.5, "VLC": 0.25, "USD": 1.0}


@tool
def get_currency(country: str) -> str:
    """The currency of a country: its code and name."""
    return CURRENCIES[country]


@tool
def get_exchange_rate(from_currency: str, to_currency: str) -> str:
    """How many units of one currency one unit of another buys."""
    return f"1 {from_currency} = {IN_USD[from_currency] / IN_USD[to_currency]:g} {to_currency}"


def call(name: str, **arguments) -> str:
    return f'<tool_call>\n{json.dumps({"name": name, "arguments": arguments})}\n</tool_call>'


def made(name: str, arguments: dict, content: str) -> tuple[ToolCall, Observation]:
    return (ToolCall(name=name, arguments=arguments),
            Observation(call_id="x", tool=name, ok=True, content=content))


def test_the_question_says_which_side_is_the_one_unit():
    assert rate_asked("How many units of Korvath's currency does one unit of Norvenia's "
                      "currency buy?") == ("Norvenia's currency", "Korvath's currency")
    assert rate_asked("How many US dollars does one unit of the currency used in Istrana "
                      "buy?") == ("the currency used in Istrana", "US dollars")
    assert rate_asked("What is one euro worth in yen?") == ("euro", "yen")
    assert rate_asked("How many units of the Zephyr Lamp are in stock?") is None
    assert read_rate("1 KVD = 2 NVM") == ("KVD", 2.0, "NVM", "2")
    assert read_rate("21 °C, windy") is None


def test_a_rate_given_from_the_other_side_is_turned_round():
    question = "How many units of Korvath's currency does one unit of Norvenia's currency buy?"
    run = [made("get_currency", {"country": "Norvenia"}, "NVM (Norvenian mark)"),
           made("get_currency", {"country": "Korvath"}, "KVD (Korvathi dinar)"),
           made("get_exchange_rate", {"from_currency": "KVD", "to_currency": "NVM"},
                "1 KVD = 2 NVM")]
    worked = rate_answer(question, run)
    assert worked is not None and worked.lead == "0.5" and "1 NVM" in worked.line
    # asked the other way round, the same rate is read as it stands
    other = "How many units of Norvenia's currency does one unit of Korvath's currency buy?"
    assert rate_answer(other, run).lead == "2"


def test_a_side_is_found_through_a_chain_of_results_or_its_initials():
    question = "How many US dollars does one unit of the currency used in Istrana buy?"
    chain = [made("get_country", {"city": "Istrana"}, "Valdoria"),
             made("get_currency", {"country": "Valdoria"}, "VLC (Valdorian crown)")]
    backwards = made("get_exchange_rate", {"from_currency": "USD", "to_currency": "VLC"},
                     "1 USD = 4 VLC")
    assert rate_answer(question, [*chain, backwards]).lead == "0.25"
    # no chain: the target side's initials (US dollars: USD) still say which side is which
    assert rate_answer(question, [backwards]).lead == "0.25"


def test_nothing_is_worked_out_when_the_sides_are_unknown():
    question = "How many units of Korvath's currency does one unit of Norvenia's currency buy?"
    assert rate_answer(question, [made("get_exchange_rate", {"from_currency": "AAA",
                                                             "to_currency": "BBB"},
                                       "1 AAA = 3 BBB")]) is None
    assert rate_answer("What is the weather in Oslo?",
                       [made("get_exchange_rate", {}, "1 KVD = 2 NVM")]) is None


async def test_the_answer_turn_begins_with_the_rate_the_question_asks():
    # the first currency lookup fans out to the second country (`runtime.fanout`)
    model = Scripted([call("get_currency", country="Norvenia"),
                      call("get_exchange_rate", from_currency="KVD", to_currency="NVM"),
                      "One unit of Korvath's currency buys 2 units of Norvenia's currency.",
                      "0.5 units of Korvath's currency."])
    trace = await Agent(model, [get_currency, get_exchange_rate]).arun(
        "How many units of Korvath's currency does one unit of Norvenia's currency buy?")
    assert trace.answer == "0.5 units of Korvath's currency."
    answer_turn = model.kwargs[-1]
    assert answer_turn["constraint"].value.startswith('root ::= "0.5"')
    assert "turned round" in model.calls[-1][-1].content


@tool
def get_hotel_price(city: str) -> str:
    """The price of one night in a hotel in a city, in the local currency."""
    return {"Kelmarsh": "120 LQT per night"}[city]


@tool
def convert_currency(from_currency: str, to_currency: str) -> str:
    """How many units of one currency one unit of another buys.

    Args:
        from_currency: the currency to convert from: a code such as "LQT" or "USD".
        to_currency: the currency to convert to: a code such as "USD".
    """
    return {("LQT", "USD"): "1 LQT = 0.75 USD", ("USD", "LQT"): "1 USD = 1.3333 LQT"}[
        (from_currency, to_currency)]


async def test_an_amount_in_another_unit_than_asked_is_converted():
    question = "How much does a hotel night in Kelmarsh cost in US dollars?"
    # the rate read either way round converts: here the model asks for it backwards
    model = Scripted([call("get_hotel_price", city="Kelmarsh"),
                      call("convert_currency", from_currency="USD", to_currency="LQT"),
                      "It costs 120 US dollars.",  # the amount as it stood
                      "90.00 US dollars."])
    trace = await Agent(model, [get_hotel_price, convert_currency]).arun(question)
    assert [c.name for s in trace.steps for c in s.calls] == ["get_hotel_price",
                                                              "convert_currency"]
    # after the price, the turn offers the converter alone, between the two units
    offered = model.kwargs[1]["constraint"].value
    assert '\\"convert_currency\\"' in offered and "get_hotel_price" not in offered
    assert 'from-currency ::= "\\"LQT\\"" | "\\"USD\\""' in offered
    assert trace.answer == "90.00 US dollars."
    assert model.kwargs[-1]["constraint"].value.startswith('root ::= "90.00"')


def test_no_conversion_where_the_unit_is_the_one_asked_or_no_tool_converts():
    from toolweave.agents.rates import conversion_needed, converters

    specs = converters([get_hotel_price.spec, convert_currency.spec])
    assert specs == [convert_currency.spec]  # the tool that takes a from/to pair
    price = made("get_hotel_price", {"city": "Kelmarsh"}, "120 LQT per night")
    asked = "How much does a hotel night in Kelmarsh cost in US dollars?"
    assert conversion_needed(asked, [price], specs).targets == ("USD",)
    assert conversion_needed(asked, [price], []) is None
    assert conversion_needed("How much does a hotel night in Kelmarsh cost?", [price],
                             specs) is None
    assert conversion_needed("How much does a hotel night in Kelmarsh cost in LQT?", [price],
                             specs) is None
