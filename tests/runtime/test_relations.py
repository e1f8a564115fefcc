"""What a question asks of a name, and which tools speak of it."""

from toolweave.runtime.relations import (
    about_tools,
    asked_of,
    is_proper_name,
    rejected_values,
    tool_words,
    tools_about,
)
from toolweave.types import Observation, ToolCall, ToolSpec


def spec(name: str, description: str) -> ToolSpec:
    return ToolSpec(name=name, description=description)


def test_a_possessive_asks_its_words_of_the_name_before_it():
    q = "How much is a flight from Leila Haddad's office city to Clara Ostrova's office city?"
    assert asked_of(q, "Leila Haddad") == ["office", "city"]
    assert asked_of(q, "clara ostrova") == ["office", "city"]
    assert asked_of("Who is Oskar's manager's manager?", "Oskar") == ["manager", "manager"]
    assert asked_of("Which city is Kenji's office in?", "Kenji") == ["office"]
    assert asked_of("What is the weather in Oslo?", "Oslo") == []


def test_tools_about_words_are_those_whose_docs_have_them_all():
    specs = [spec("get_employee", "An employee's entry: department, manager and office city."),
             spec("get_weather", "The weather in a city."),
             spec("get_office_plan", "The floor plan of an office.")]
    assert tools_about(specs, ["office", "city"]) == ["get_employee"]
    assert tools_about(specs, ["office"]) == ["get_employee", "get_office_plan"]
    assert tools_about(specs, []) == []


def test_rejected_values_are_the_arguments_an_error_quotes_back():
    made = [(ToolCall(name="f", arguments={"city": "Leila Haddad", "n": 2}),
             Observation(call_id="1", tool="f", ok=False, error="ValueError",
                         content="ValueError: unknown city 'LEILA HADDAD'")),
            (ToolCall(name="g", arguments={"city": "Oslo"}),
             Observation(call_id="2", tool="g", content="sunny")),
            (ToolCall(name="h", arguments={"city": "Rome"}),
             Observation(call_id="3", tool="h", ok=False, error="ValueError",
                         content="ValueError: the service is down"))]
    assert rejected_values(made) == ["Leila Haddad"]


def test_tool_words_are_the_stemmed_words_of_names_docs_and_parameters():
    spec = ToolSpec(name="get_share_price", description="The share prices of stock tickers.",
                    parameters={"type": "object", "properties": {
                        "tickerSymbol": {"type": "string", "description": "Exchange code"},
                        "unit": {"type": "string", "enum": ["cents", "dollars"]}}})
    words = tool_words([spec])
    assert {"share", "price", "stock", "ticker", "symbol", "exchange", "cent", "dollar"} <= words
    assert "the" not in words and "of" not in words


def test_a_question_is_about_the_tools_when_it_has_their_words():
    words = tool_words([ToolSpec(name="get_weather", description="Current weather for a city.")])
    assert about_tools("What is the weather in Oslo?", words)
    assert about_tools("Which cities are warm?", words)  # plural stemmed
    assert not about_tools("Which day of the week comes after Monday?", words)
    # number words are not topics ("one-way", "in one word")
    assert not about_tools("Say hello in one word.",
                           tool_words([ToolSpec(name="fare", description="A one-way fare.")]))


def test_proper_names_are_two_or_more_capitalised_words():
    assert is_proper_name("Cobalt Headphones") and is_proper_name("Noor Rahimi")
    assert is_proper_name("O'Neil Street")
    assert not is_proper_name("Monday") and not is_proper_name("spider")
    assert not is_proper_name("day of the week") and not is_proper_name("past tense of Run")
