"""Fan-out completion: which sibling calls a call about one list item implies."""

from __future__ import annotations

import pytest

from toolweave.runtime.fanout import list_of, question_lists, sibling_calls
from toolweave.types import ToolCall


def siblings(question: str, **arguments) -> list[dict]:
    return [c.arguments for c in sibling_calls(question, ToolCall(name="t", arguments=arguments))]


@pytest.mark.parametrize("question, arguments, expected", [
    ("What is the average temperature across Istrana, Kelmarsh, Marrowby and Halvik?",
     {"city": "Istrana"}, ["Kelmarsh", "Marrowby", "Halvik"]),
    ("Which is the cheapest of these: Zephyr Lamp, Tundra Backpack and Vesta Heater?",
     {"product": "Tundra Backpack"}, ["Zephyr Lamp", "Vesta Heater"]),
    ("Which of the stocks TRGM, NOVD and KSTB has the highest share price?",
     {"ticker": "TRGM"}, ["NOVD", "KSTB"]),
    ("How many degrees warmer is it in Istrana than in Farrowgate right now?",
     {"city": "Farrowgate"}, ["Istrana"]),
    ("How much more expensive is the Cobalt Headphones than the Harbor Mug?",
     {"product": "Cobalt Headphones"}, ["Harbor Mug"]),
    ("How far apart are the offices of Felix Brandt and Tomas Hallberg?",
     {"name": "Felix Brandt"}, ["Tomas Hallberg"]),

    # a lower-case noun before each name says what it names; it is no part of the item
    ("Count how many of these are in their final year: student Hyxthae Biazianholt, student "
     "Husbrym Bryxbysini and student Kaenten Mexbysholt.",
     {"student_name": "Husbrym Bryxbysini"}, ["Hyxthae Biazianholt", "Kaenten Mexbysholt"]),
    ("Which ticket was opened first: ticket INC-11248, ticket INC-20931 or ticket INC-7713?",
     {"ticket": "INC-7713"}, ["INC-11248", "INC-20931"]),
])
def test_the_other_items_of_the_list_get_the_same_call(question, arguments, expected):
    (key,) = arguments
    assert [a[key] for a in siblings(question, **arguments)] == expected


def test_other_arguments_are_kept():
    assert siblings("Convert 100 USD to EUR and GBP", amount=100, source="USD", to="EUR") == \
        [{"amount": 100, "source": "USD", "to": "GBP"}]


@pytest.mark.parametrize("question, arguments", [
    # the call already relates both items
    ("What does a round trip between Jorvale and Esterlund cost?",
     {"origin": "Jorvale", "destination": "Esterlund"}),
    # "and back", "and what time…" are no items
    ("How far is it from Jorvale to Esterlund and back?",
     {"origin": "Jorvale", "destination": "Esterlund"}),
    ("What is the weather in Paris and what time is it there?", {"city": "Paris"}),
    # no list at all, or an argument that is no item of it
    ("What is the weather in Paris?", {"city": "Paris"}),
    ("Which is closer to Jorvale: Esterlund or Brennholm?", {"city": "Jorvale"}),
])
def test_no_siblings_without_a_list_the_call_is_about(question, arguments):
    assert siblings(question, **arguments) == []


def test_a_clause_break_ends_a_list():
    lists = question_lists("Which is closer to Jorvale: Esterlund or Brennholm?")
    assert lists == [[["Esterlund"], ["Brennholm"]]]



def test_a_fanout_carries_on_down_a_chain():
    from toolweave.runtime.fanout import propagated_siblings
    from toolweave.types import Observation

    def ok(content: str) -> Observation:
        return Observation(call_id="1", tool="t", ok=True, content=content)

    tickers = [ok("NOVD"), ok("MRDF")]
    price = ToolCall(name="get_stock_price", arguments={"ticker": "NOVD"})
    assert [c.arguments for c in propagated_siblings(price, [tickers])] == [{"ticker": "MRDF"}]
    # JSON results: the same field of the other member
    employees = [ok('{"name": "A", "office_city": "Oslo"}'),
                 ok('{"name": "B", "office_city": "Lima"}')]
    weather = ToolCall(name="get_weather", arguments={"city": "Lima"})
    assert [c.arguments for c in propagated_siblings(weather, [employees])] == [{"city": "Oslo"}]
    # a call that joins both members' results is no fan-out
    distance = ToolCall(name="get_distance", arguments={"a": "Oslo", "b": "Lima"})
    assert propagated_siblings(distance, [employees]) == []
    assert propagated_siblings(ToolCall(name="t", arguments={"city": "Rome"}), [employees]) == []


def test_names_that_possess_the_same_thing_make_a_list():
    q = "How much is a flight from Leila Haddad's office city to Clara Ostrova's office city?"
    assert list_of(q, "Leila Haddad") == ["Leila Haddad", "Clara Ostrova"]
    assert list_of(q, "clara ostrova") == ["Leila Haddad", "Clara Ostrova"]
    # one possessor, different things, or a relation ("manager's manager"): no list
    assert list_of("Who is Oskar Lindgren's manager's manager?", "Oskar Lindgren") is None
    assert list_of("Is Mira's office city colder than Tom's home town?", "Mira") is None


def test_a_call_about_one_member_of_a_listed_result_is_made_for_all_when_asked_of_all():
    from toolweave.runtime.fanout import listed_siblings
    from toolweave.types import Observation

    albums = (ToolCall(name="albums_of", arguments={"artist": "Dumfuth"}),
              Observation(call_id="1", tool="albums_of", ok=True,
                          content='["Klothzour Tides", "Zynddind Tides", "Dryltreim Echoes"]'))
    call = ToolCall(name="album_tracks", arguments={"album": "Zynddind Tides"})
    made = listed_siblings("What is the total number of tracks of all the albums in Dumfuth?",
                           call, [albums])
    assert [c.arguments["album"] for c in made] == ["Klothzour Tides", "Dryltreim Echoes"]
    # one album asked about, or a value that is no member: no more calls
    assert listed_siblings("How many tracks has the first album of Dumfuth?", call, [albums]) == []
    other = ToolCall(name="album_tracks", arguments={"album": "Heikleim Bloom"})
    assert listed_siblings("What is the total of all the albums?", other, [albums]) == []


def test_items_whose_names_hold_and_are_read_by_the_shape_of_the_one_called():
    question = ("What is the average stock level of Granias and the Clock, Drarkpesh and the "
                "Harbour and Ciarkwour and the Harbour?")
    assert list_of(question, "Granias and the Clock") == [
        "Granias and the Clock", "Drarkpesh and the Harbour", "Ciarkwour and the Harbour"]
    assert siblings(question, book="Granias and the Clock") == [
        {"book": "Drarkpesh and the Harbour"}, {"book": "Ciarkwour and the Harbour"}]
    # two sides of a comparison, "than that of" between them
    compared = ("How much higher is the retail price of Ciarkwour and the Harbour than that "
                "of Drarkpesh and the Harbour?")
    assert siblings(compared, book="Ciarkwour and the Harbour") == [
        {"book": "Drarkpesh and the Harbour"}]
    # a value that runs two items together is no item of anything
    assert list_of("How many units of the Nimbus Pillow and the Lumen Desk are in stock?",
                   "Nimbus Pillow and the Lumen Desk") is None
