"""Grounded arguments: which values a call's string arguments may take, and the grammar."""

from __future__ import annotations

import json
import re

import pytest

from toolweave.agents import Agent
from toolweave.formats import get_format
from toolweave.models import Scripted
from toolweave.runtime.context import failing_tools
from toolweave.runtime.grounding import (
    RunValues,
    arithmetic_pattern,
    collect_values,
    extreme_pattern,
    grounded,
    grounded_tools,
    listed_choices,
    observation_values,
    question_values,
    text_spans,
)
from toolweave.tools import tool
from toolweave.types import Observation, ToolCall, ToolSpec


def spec(**properties) -> ToolSpec:
    return ToolSpec(name="t", description="A tool.",
                    parameters={"type": "object", "properties": properties,
                                "required": list(properties)})


def test_a_possessive_description_is_not_a_value_but_the_name_is():
    spans = text_spans("In which timezone is the office of Oskar Lindgren's manager?")
    assert "Oskar Lindgren" in spans
    assert not any("manager" in s and "Oskar" in s for s in spans)
    assert not any(s.casefold().startswith(("which", "the", "in ")) for s in spans)


def test_list_items_are_values_and_a_list_is_not():
    spans = text_spans("How many of the orders ORD-10231, ORD-10233 and ORD-10237 are late?")
    assert {"ORD-10231", "ORD-10233", "ORD-10237"} <= set(spans)
    assert not any("," in s for s in spans)


@pytest.mark.parametrize("question, offered", [
    # the name, not the words that say what is asked of it, nor a span into the verb after it
    ("What is the weekly sessions of Rynymvi Zythstiberg?", ["Rynymvi Zythstiberg"]),
    ("Nixstei Rose belongs to a greenhouse; which site is it in?", ["Nixstei Rose"]),
    # identifiers and quoted text; a title joined by "and the"; an article on and off
    ("Among TR-39966, TR-63190 and TR-89149, how many are 'agreed'?",
     ["TR-39966", "TR-63190", "TR-89149", "agreed"]),
    ("Which format does Thiadirk and the Lantern have?", ["Thiadirk and the Lantern"]),
    ("Is The Faelzish Mask older?", ["The Faelzish Mask", "Faelzish Mask"]),
    # a list joined by "and" offers its items, not itself; a question's capitalised word is
    # no name
    ("Are Esterlund and Brennholm Rise in one region?", ["Esterlund", "Brennholm Rise"]),
    ("How many units of the Nimbus Pillow and the Lumen Desk are left?",
     ["Nimbus Pillow", "Lumen Desk"]),
    ("Is Paris warmer than Rome?", ["Paris", "Rome"]),
    # a name that opens a sentence may begin with the sentence's own word
    ("Student Fendfi Baespemly: what is its grade?",
     ["Student Fendfi Baespemly", "Fendfi Baespemly"]),
    ("Move final_report.pdf to the temp folder", ["final_report.pdf"]),
    # a capitalised word opening a sentence before a particle is a verb, no name
    ("Pop on over to the 'Documents' directory and craft 'summary.txt'.",
     ["Documents", "summary.txt"]),
    ("Berlin is sunny; Paris is not. Which is warmer?", ["Berlin", "Paris"]),
    ("It's late, and I'm wrapping up. Create 'Annual_Report_2023.docx' in the communal folder.",
     ["Annual_Report_2023.docx"]),
    # a capitalised word opening a sentence before an id is the id's kind, no name
    ("Consignment CNS-53007 names a wine. What is its cellar?", ["CNS-53007"]),
    # a question that names nothing keeps every span
    ("what is the weather in paris?", ["weather", "paris"]),
])
def test_a_question_that_names_things_offers_what_it_names(question, offered):
    assert question_values(question) == offered


def test_each_line_of_a_conversation_offers_its_own_values():
    said = "make a folder called temp\nNow move Report.pdf into it"
    first, second = question_values(said.splitlines()[0]), question_values(said)
    assert "temp" in first and set(second) == set(first) | {"Report.pdf"}
    values = collect_values([], "What is the weekly fee of Rynymvi Zythstiberg?")
    assert list(values) == ["Rynymvi Zythstiberg"]


def test_observation_values_take_json_leaves_text_spans_and_error_suggestions():
    ok_json = Observation(call_id="1", tool="t", ok=True,
                          content='{"name": "Alice", "office": {"city": "Brennholm"}, "age": 41}')
    ok_text = Observation(call_id="2", tool="t", ok=True, content="NVM (Norvenian mark)")
    failed = Observation(call_id="3", tool="t", ok=False, error="ValueError",
                         content="ValueError: unknown city 'Lunnetta'; did you mean 'Lunetta'?")
    values = observation_values([ok_json, ok_text, failed])
    assert {"Alice", "Brennholm", "41", "NVM", "Norvenian mark", "Lunetta"} <= set(values)


def test_a_json_field_feeds_the_parameters_its_name_fits():
    employee = Observation(call_id="1", tool="get_employee", ok=True, content=(
        '{"name": "Alice Moreau", "manager": "Tomas Hallberg", "office_city": "Brennholm"}'))
    lookup = ToolCall(name="get_employee", arguments={"name": "Alice Moreau"})
    values = collect_values([(lookup, employee)], "What is the weather where Alice Moreau works?")
    assert "Brennholm" in values.for_parameter("city")
    assert "Tomas Hallberg" not in values.for_parameter("city")
    # a name parameter gets the employee's own name, not the manager's…
    assert "Tomas Hallberg" not in values.for_parameter("name")
    # …unless the question is about managers; a parameter no field fits takes every value
    about_managers = collect_values([(lookup, employee)],
                                    "Where does Alice Moreau's manager work?")
    assert "Tomas Hallberg" in about_managers.for_parameter("name")
    assert {"Tomas Hallberg", "Brennholm"} <= set(values.for_parameter("symbol"))
    # the question's spans fit every parameter
    assert "Alice Moreau" in values.for_parameter("city")


def test_a_value_a_tool_rejected_is_not_offered_again_for_that_kind_of_parameter():
    failed = Observation(call_id="1", tool="get_distance", ok=False, error="ValueError",
                         content="ValueError: unknown city 'Felix Brandt'; known: …")
    call = ToolCall(name="get_distance",
                    arguments={"from_city": "Felix Brandt", "to_city": "Oslo"})
    values = collect_values([(call, failed)], "How far is Felix Brandt's office from Oslo?")
    assert "Felix Brandt" not in values.for_parameter("city")
    # nor its parts: a small model would try "Felix", then "Brandt"
    assert not {"Felix", "Brandt"} & set(values.for_parameter("city"))
    assert "Oslo" in values.for_parameter("city")  # the error did not name it
    assert "Felix Brandt" in values.for_parameter("name")


def test_a_tool_with_no_value_left_for_a_required_parameter_cannot_be_called():
    assert grounded(spec(city={"type": "string"}), RunValues(rejected=(
        (frozenset({"city"}), "Oslo"),), loose=("Oslo",))) is None


def test_a_tool_that_failed_twice_since_the_last_result_is_set_aside():
    def made(name: str, ok: bool):
        return (ToolCall(name=name), Observation(call_id="1", tool=name, ok=ok, content="",
                                                 error=None if ok else "ValueError"))

    assert failing_tools([made("a", False), made("a", False), made("b", True)]) == set()
    assert failing_tools([made("b", True), made("a", False), made("a", False)]) == {"a"}
    assert failing_tools([made("a", False), made("b", False)]) == set()


def test_a_short_list_of_choices_in_an_error_is_offered_a_catalogue_is_not():
    assert listed_choices("unknown code 'X'; known: VLC, NVM, USD") == ["VLC", "NVM", "USD"]
    catalogue = "unknown product 'X'; known: " + ", ".join(f"P{i}" for i in range(20))
    assert listed_choices(catalogue) == []


def test_an_error_offers_the_listed_choices_that_resemble_the_value_it_rejected():
    def failed(value: str, error: str):
        return (ToolCall(name="rooms_for_floor", arguments={"floor": value}),
                Observation(call_id="1", tool="rooms_for_floor", ok=False,
                            error="ValueError", content=error))

    # a room's name given for a floor: the floors listed are another kind's catalogue
    values = collect_values([failed("Dalltyl Suite", "unknown floor 'Dalltyl Suite'; known: "
                                                     "Gadraskex Floor, Dikiachel Floor")])
    assert not {"Gadraskex Floor", "Dikiachel Floor"} & set(values)
    # a misspelt floor, or one written out where the tool takes its code: offered
    values = collect_values([failed("Chiltea Floor", "unknown floor 'Chiltea Floor'; known: "
                                                     "Gadraskex Floor, Chiltia Floor")])
    assert "Chiltia Floor" in values and "Gadraskex Floor" not in values
    values = collect_values([failed("Ground Floor", "unknown floor 'Ground Floor'; known: "
                                                    "GF, F1, F2")])
    assert "GF" in values and "F1" not in values


def test_string_parameters_become_enums_free_text_and_expressions_do_not():
    narrowed = grounded(spec(city={"type": "string"}, query={"type": "string"},
                             expression={"type": "string"},
                             note={"type": "string", "x-ground": False},
                             cities={"type": "array", "items": {"type": "string"}},
                             days={"type": "integer"},
                             unit={"type": "string", "enum": ["C", "F"]}),
                        ["Oslo", "Bergen"], numbers=["3.5", "4"])
    props = narrowed.parameters["properties"]
    assert props["city"]["enum"] == ["Oslo", "Bergen"]
    assert props["cities"]["items"]["enum"] == ["Oslo", "Bergen"]
    assert "enum" not in props["query"] and "enum" not in props["note"]
    assert props["unit"]["enum"] == ["C", "F"] and props["days"] == {"type": "integer"}
    assert re.match(props["expression"]["pattern"], "3.5 * 4")
    assert grounded(spec(city={"type": "string"}), []).parameters["properties"]["city"] == \
        {"type": "string"}


@pytest.mark.parametrize("expression, ok", [
    ("8 * 9.75", True), ("round((8 + 9.75))", True), ("9.75", True),
    # no invented number, and no more numbers than were seen (no "* 2 * 2 * 2…")
    ("8 * 1000", False), ("8 * 9.7", False), ("import os", False), ("8 * 9.75 * 2", False)])
def test_expressions_use_only_the_numbers_seen(expression, ok):
    assert bool(re.match(arithmetic_pattern(["8", "9.75"]), expression)) is ok


def test_an_average_may_divide_by_a_count():
    pattern = arithmetic_pattern(["24", "7", "16"], ["2", "3"], max_terms=4)
    assert re.match(pattern, "(24 + 7 + 16) / 3")
    assert not re.match(pattern, "(24 + 7 + 16) / 4")


def test_an_extreme_is_min_or_max_over_the_numbers_seen():
    pattern = extreme_pattern("min", ["34.99", "12", "79.95"])
    assert re.match(pattern, "min(34.99, 12, 79.95)")
    assert not re.match(pattern, "max(34.99, 12)") and not re.match(pattern, "min(34.99, 5)")


@tool
def get_weather(city: str) -> str:
    """The weather in a city."""
    return "21 °C" if city == "Oslo" else f"unknown city {city!r}"


def test_the_turn_grammar_offers_the_question_and_result_values_only():
    model = Scripted([('<tool_call>\n{"name": "get_weather", "arguments": {"city": "Oslo"}}\n'
                      '</tool_call>'), "It is 21 °C in Oslo."])
    trace = Agent(model, [get_weather]).run("What is the weather in Oslo right now?")
    assert trace.answer == "It is 21 °C in Oslo."
    first = model.kwargs[0]["constraint"].value
    assert '\\"Oslo\\"' in first and "Brennholm" not in first
    # the second turn may also use what the first one returned
    assert "21 °C" in model.kwargs[1]["constraint"].value


def test_grounding_can_be_turned_off_and_values_make_a_valid_grammar():
    fmt = get_format("hermes", [get_weather.spec])
    grammar = fmt.grammar([grounded(get_weather.spec, collect_values([], "Weather in Oslo?"))])
    assert '\\"Oslo\\"' in grammar.value
    model = Scripted(["It is sunny."])
    Agent(model, [get_weather], grounded=False).run("What is the weather in Oslo?")
    assert '\\"Oslo\\"' not in model.kwargs[0]["constraint"].value


def test_the_turn_grammar_sets_aside_a_tool_that_failed_twice_until_a_result_comes():
    @tool
    def lookup(name: str) -> str:
        """Look a name up."""
        raise ValueError(f"unknown name {name!r}")

    call = '<tool_call>\n{{"name": "{}", "arguments": {{"{}": "{}"}}}}\n</tool_call>'
    model = Scripted([call.format("lookup", "name", "Oslo"), call.format("lookup", "name", "Lima"),
                      call.format("get_weather", "city", "Oslo"), "Sunny."])
    Agent(model, [lookup, get_weather]).run("Weather in Oslo or Lima?")
    assert '\\"lookup\\"' in model.kwargs[1]["constraint"].value  # one failure: still offered
    assert '\\"lookup\\"' not in model.kwargs[2]["constraint"].value  # two: set aside
    assert '\\"lookup\\"' in model.kwargs[3]["constraint"].value  # a result came back


def test_a_field_whose_value_a_tool_rejected_offers_no_value_of_that_kind():
    def entry(name: str, manager: str, office: str):
        return (ToolCall(name="get_employee", arguments={"name": name}),
                Observation(call_id=name, tool="get_employee", ok=True, content=json.dumps(
                    {"name": name, "manager": manager, "office": office})))

    rejected = (ToolCall(name="get_timezone", arguments={"city": "Oskar Lindgren"}),
                Observation(call_id="0", tool="get_timezone", ok=False, error="ValueError",
                            content="ValueError: unknown city 'Oskar Lindgren'"))
    question = "In which timezone is the office of Oskar Lindgren's manager?"
    made = [rejected, entry("Oskar Lindgren", "Renata Vasquez", "Farrowgate")]
    cities = collect_values(made, question).for_parameter("city")
    # the `name` field held a value rejected as a city: its other values are no cities either
    assert "Farrowgate" in cities and "Oskar Lindgren" not in cities
    # the manager is a person too, once her own entry shows her in a `name` field
    assert "Renata Vasquez" in cities
    made.append(entry("Renata Vasquez", "Ingrid Solberg", "Halvik"))
    cities = collect_values(made, question).for_parameter("city")
    assert {"Farrowgate", "Halvik"} <= set(cities)
    assert not {"Renata Vasquez", "Ingrid Solberg"} & set(cities)
    # a parameter of another kind still takes them (the manager's manager is one hop more
    # than the question asks for)
    names = collect_values(made, question).for_parameter("name")
    assert "Renata Vasquez" in names and "Ingrid Solberg" not in names


def test_a_relation_the_question_names_is_followed_as_often_as_it_names_it():
    def entry(name: str, manager: str | None):
        return (ToolCall(name="get_employee", arguments={"name": name}),
                Observation(call_id=name, tool="get_employee", ok=True, content=json.dumps(
                    {"name": name, "manager": manager, "office": "Oslo"})))

    chart = {"Ann": "Bob", "Bob": "Cy", "Cy": "Dee"}
    once, twice = "Where is the office of Ann's manager?", \
        "Which department does the manager of Ann's manager work in?"
    made = [entry("Ann", "Bob")]
    assert "Bob" in collect_values(made, once).for_parameter("name")
    made.append(entry("Bob", chart["Bob"]))
    # one hop asked, one made: Bob's manager is not offered, the office still is
    assert "Cy" not in collect_values(made, once).for_parameter("name")
    assert "Oslo" in collect_values(made, once).for_parameter("city")
    assert "Cy" in collect_values(made, twice).for_parameter("name")
    made.append(entry("Cy", chart["Cy"]))
    assert "Dee" not in collect_values(made, twice).for_parameter("name")


def test_a_value_rejected_as_a_kind_is_ruled_out_for_parameters_described_as_that_kind():
    made = [(ToolCall(name="flight", arguments={"origin": "Leila Haddad", "destination": "Oslo"}),
             Observation(call_id="1", tool="flight", ok=False, error="ValueError",
                         content="ValueError: unknown city 'Leila Haddad'; known: Oslo, Rome")),
            (ToolCall(name="country_of", arguments={"city": "Valdoria"}),
             Observation(call_id="2", tool="country_of", ok=False, error="ValueError",
                         content="ValueError: 'Valdoria' is a country, not a city"))]
    values = collect_values(made, "A flight from Leila Haddad's office city to Valdoria?")
    # "destination" is another name, but its description says it is a city
    assert "Leila Haddad" not in values.for_parameter("destination", "the city it goes to")
    assert "Leila Haddad" in values.for_parameter("destination")
    # a description's aside ("not a city") does not make a country parameter a city
    assert "Valdoria" in values.for_parameter(
        "country", "the country's name (not a city: get a city's country first)")


def _tools() -> list[ToolSpec]:
    city = {"type": "string", "description": "the city"}
    return [ToolSpec(name="weather", description="Weather.", parameters={
                "type": "object", "properties": {"city": city}, "required": ["city"]}),
            ToolSpec(name="calc", description="Compute.", parameters={
                "type": "object", "properties": {"expression": {"type": "string"}},
                "required": ["expression"]})]


def test_a_tool_set_is_grounded_as_each_tool_is_and_kept_while_its_values_stay():
    tools = _tools()
    values = RunValues(loose=("Paris", "Rome"))
    first = grounded_tools(tools, values, ["2", "3"])
    assert [s.parameters["properties"] for s in first] == [
        grounded(s, values, ["2", "3"]).parameters["properties"] for s in tools]
    assert first[0].parameters["properties"]["city"]["enum"] == ["Paris", "Rome"]
    # the same values next turn (a new RunValues): the very same specs, so the same grammar
    again = grounded_tools(tools, RunValues(loose=("Paris", "Rome")), ["2", "3"])
    assert all(a is b for a, b in zip(first, again, strict=True))
    # a new value or number is a new narrowing
    more = grounded_tools(tools, RunValues(loose=("Paris", "Rome", "Oslo")), ["2", "3", "7"])
    assert more[0].parameters["properties"]["city"]["enum"] == ["Paris", "Rome", "Oslo"]
    assert "7" in more[1].parameters["properties"]["expression"]["pattern"]


def test_a_value_whose_kind_the_question_states_goes_to_parameters_of_that_kind():
    def one(name: str, param: str) -> ToolSpec:
        return ToolSpec(name=name, description="Look one up.", parameters={
            "type": "object", "properties": {param: {"type": "string"}}, "required": [param]})

    tools = [one("lookup_class_size", "class_name"), one("lookup_student", "student")]
    question = "Whose class is larger, student Fendfi Baespemley's or student Gaegrem Mermeson's?"
    offered = grounded_tools(tools, collect_values([], question))
    # a student's name offered to a class's parameter is a chain begun at its end
    assert [s.name for s in offered] == ["lookup_student"]
    assert offered[0].parameters["properties"]["student"]["enum"] == [
        "Fendfi Baespemley", "Gaegrem Mermeson"]
    # a kind no tool takes constrains nothing
    offered = grounded_tools(tools, collect_values([], "Which class is my friend Gaegrem in?"))
    assert [s.name for s in offered] == ["lookup_class_size", "lookup_student"]
    # a sentence may open with the kind, capitalised ("Consignment CNS-53007 names a wine")
    tools = [one("query_estate_size", "estate"), one("query_consignment", "consignment")]
    question = "Consignment CNS-53007 names a wine. What is the size of its estate?"
    assert [s.name for s in grounded_tools(tools, collect_values([], question))] == [
        "query_consignment"]


def test_no_values_leave_a_tool_set_as_it_is_but_values_that_fit_nothing_rule_tools_out():
    tools = _tools()[:1]
    assert grounded_tools(tools, RunValues()) == tools
    # a value the tool rejected as a city: nothing is left to offer, the tool cannot be called
    rejected = RunValues(loose=("Felix",), rejected=((frozenset({"city"}), "Felix"),))
    assert grounded_tools(tools, rejected) == []


def test_a_tool_set_leaves_out_the_values_each_tool_was_already_called_with():
    tools = _tools()[:1]
    values = RunValues(loose=("Paris", "Rome"))
    kept = grounded_tools(tools, values, called={"weather": [{"city": "Paris"}]})
    assert kept[0].parameters["properties"]["city"]["enum"] == ["Rome"]
    assert grounded_tools(tools, values, called={"weather": [{"city": "Paris"},
                                                             {"city": "Rome"}]}) == []


def test_words_the_docs_give_as_a_defaults_meaning_are_offered_as_the_default():
    from toolweave.runtime.grounding import default_stand_ins

    path = {"type": "string", "default": ".",
            "description": "The directory path to start the search. Defaults to the current "
                           "directory ('.')."}
    # "current directory" is what the default means: a tool takes it as a folder's name
    assert default_stand_ins(["current directory", "photos", "."], path) == [".", "photos"]
    # other words stay, and the default is offered beside them (a question that names
    # things offers no words that meant it); a parameter without a default, or docs that say
    # nothing of it: unchanged
    assert default_stand_ins(["current folder"], path) == ["current folder", "."]
    assert default_stand_ins(["photos"], path) == ["photos", "."]
    assert default_stand_ins(["current directory"], {**path, "default": None}) == [
        "current directory"]
    assert default_stand_ins(["current directory"], {**path, "description": "Where."}) == [
        "current directory"]


def test_a_grounded_parameter_with_a_default_is_offered_it_for_words_that_mean_it():
    spec = ToolSpec(name="find", description="Find files.", parameters={
        "type": "object", "properties": {
            "path": {"type": "string", "default": ".",
                     "description": "Where to start. Defaults to the current directory."},
            "name": {"type": "string", "description": "The name to look for."}}})
    narrowed = grounded(spec, ["current directory", "test"])
    assert narrowed.parameters["properties"]["path"]["enum"] == [".", "test"]
    assert narrowed.parameters["properties"]["name"]["enum"] == ["current directory", "test"]


def test_options_a_parameters_docs_list_in_quotes_with_its_default_are_its_only_values():
    from toolweave.runtime.grounding import documented_options

    mode = {"type": "string", "default": "l",
            "description": "Mode of operation ('l' for lines, 'w' for words, 'c' for characters)."}
    assert documented_options(mode) == ["l", "w", "c"]
    spec = ToolSpec(name="wc", description="Count.", parameters={
        "type": "object", "properties": {"mode": mode}})
    assert grounded(spec, ["words", "summary.txt"]).parameters["properties"]["mode"]["enum"] == [
        "l", "w", "c"]
    # quotes that are no option list (no default among them, or just one) enumerate nothing
    assert documented_options({**mode, "default": "x"}) == []
    assert documented_options({"type": "string", "default": ".",
                               "description": "Defaults to the current directory ('.')."}) == []


def test_a_turn_whose_offered_tools_have_no_value_left_offers_the_tools_that_do():
    @tool
    def query_branch(pickup_branch: str) -> str:
        """The address of a rental branch."""
        raise ValueError(f"{pickup_branch!r} is a car, not a branch; give a branch's name")

    @tool
    def query_car(vehicle: str) -> str:
        """A rental car's record: its branch and daily rate."""
        return json.dumps({"vehicle": vehicle, "branch": "Drobaeth Depot"})

    call = '<tool_call>\n{{"name": "{}", "arguments": {{"{}": "{}"}}}}\n</tool_call>'
    model = Scripted([call.format("query_branch", "pickup_branch", "Maxgro Estate"),
                      call.format("query_car", "vehicle", "Maxgro Estate"), "Drobaeth Depot."])
    trace = Agent(model, [query_branch, query_car]).run("Which branch is Maxgro Estate in?")
    # the branch tool has no value left after its error: the car tool is what can be called
    assert '\\"query_car\\"' in model.kwargs[1]["constraint"].value
    assert trace.answer == "Drobaeth Depot."


def test_a_results_value_goes_to_the_parameters_that_take_its_fields_kind():
    def one(name: str, param: str, about: str) -> ToolSpec:
        return ToolSpec(name=name, description="Look one up.", parameters={
            "type": "object", "properties": {param: {"type": "string", "description": about}},
            "required": [param]})

    tools = [one("query_medicine", "product", "the medicine's name"),
             one("query_medicines_in_supplier", "supplier_name", "the supplier's name"),
             one("query_prescription", "rx_number", "the prescription's id.")]
    prescription = Observation(call_id="1", tool="query_prescription", ok=True, content=json.dumps(
        {"medicine": "Borkliackex Syrup", "packs": 3, "status": "filled"}))
    made = [(ToolCall(id="1", name="query_prescription", arguments={"rx_number": "RX-67222"}),
             prescription)]
    question = "What is the lead time of the supplier of the medicine in prescription RX-67222?"
    offered = {s.name: s.parameters["properties"] for s in
               grounded_tools(tools, collect_values(made, question))}
    # the medicine goes to the tool that takes a medicine, not to the supplier's
    assert "Borkliackex Syrup" in offered["query_medicine"]["product"]["enum"]
    assert "Borkliackex Syrup" not in offered["query_medicines_in_supplier"]["supplier_name"][
        "enum"]


def test_a_measured_amount_is_one_value_not_its_unit_alone():
    made = [(ToolCall(name="plant_height", arguments={"plant": "Sondseix Maple"}),
             Observation(call_id="1", tool="plant_height", ok=True, content="37 cm"))]
    values = list(collect_values(made, "How tall is Sondseix Maple?"))
    assert "37 cm" in values and "cm" not in values
    prose = [(made[0][0], made[0][1].model_copy(update={"content": "sunny in Rome"}))]
    assert "Rome" in list(collect_values(prose))  # a text result's spans are values still
