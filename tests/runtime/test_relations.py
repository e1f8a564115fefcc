"""What a question asks of a name, and which tools speak of it."""

from toolweave.runtime.relations import asked_of, rejected_values, tools_about
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
