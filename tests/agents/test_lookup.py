"""The field a question asks for, read off the one record that answers it."""

from __future__ import annotations

import json

from toolweave.agents.lookup import looked_up
from toolweave.types import Observation, ToolCall

CHART = {"Ann": ("Quality", "Bob", "Oslo"), "Bob": ("Research", "Cy", "Rome"),
         "Cy": ("Executive", None, "Lima")}


def employee(name: str):
    department, manager, office = CHART[name]
    return (ToolCall(name="get_employee", arguments={"name": name}),
            Observation(call_id=name, tool="get_employee", ok=True, content=json.dumps(
                {"name": name, "department": department, "manager": manager,
                 "office": office})))


def test_the_record_no_later_call_came_from_gives_the_field_the_question_names():
    made = [employee("Ann"), employee("Bob"), employee("Cy")]
    found = looked_up("Which department does the manager of Ann's manager work in?", made)
    assert (found.kind, found.line) == ("lookup", "department of Cy: Executive")


def test_nothing_is_read_off_when_no_record_or_several_answer():
    weather = (ToolCall(name="get_weather", arguments={"city": "Rome"}),
               Observation(call_id="w", tool="get_weather", ok=True, content="21 °C"))
    # the records led on to the weather: the answer is a text result, no field to read
    assert looked_up("How warm is it where Ann's manager works?",
                     [employee("Ann"), employee("Bob"), weather]) is None
    # a fan-out of records: which one answers is the model's to say
    assert looked_up("Which of Ann, Bob or Cy works in Research?",
                     [employee("Ann"), employee("Bob"), employee("Cy")]) is None


def _spec(name: str, description: str, param: str):
    from toolweave.types import ToolSpec
    return ToolSpec(name=name, description=description, parameters={
        "type": "object", "properties": {param: {"type": "string",
                                                 "description": f"the name of the {param}"}},
        "required": [param]})


SPECS = {s.name: s for s in [
    _spec("estate_record", "Details of an estate (region).", "estate"),
    _spec("cellar_record", "Details of a cellar: which estate it is in.", "cellar"),
    _spec("estate_vineyard", "Returns an estate's vineyard size, measured in hectares.",
          "estate"),
    _spec("estate_staff", "Returns an estate's number of staff.", "estate")]}


def made(name: str, argument: str, content: str):
    param = SPECS[name].parameters["required"][0]
    return (ToolCall(name=name, arguments={param: argument}),
            Observation(call_id=name, tool=name, ok=True, content=content))


def test_the_plain_result_that_measures_what_is_asked_ends_a_chain():
    chain = [made("cellar_record", "Zaenkli Cellar", '{"estate": "Riandgrou Estate"}'),
             made("estate_vineyard", "Riandgrou Estate", "33 hectares")]
    question = "What is the vineyard size of the estate that Zaenkli Cellar is part of?"
    found = looked_up(question, chain, SPECS)
    assert (found.kind, found.line) == ("lookup",
                                        "vineyard size of Riandgrou Estate: 33 hectares")
    # without the tools' docs, or when the result measures something else, nothing
    assert looked_up(question, chain) is None
    staff = [chain[0], made("estate_staff", "Riandgrou Estate", "12 staff")]
    assert looked_up(question, staff, SPECS) is None
    # two results measure it (a fan-out): which one answers is the model's to say
    both = chain + [made("estate_vineyard", "Olmo Estate", "20 hectares")]
    assert looked_up("Which has the larger vineyard size, Riandgrou or Olmo?", both,
                     SPECS) is None


def test_a_record_that_gives_the_kind_asked_for_answers_though_the_model_went_on():
    specs = {s.name: s for s in [
        _spec("ward_record", "Details of a ward: which wing it is in.", "ward"),
        _spec("wing_floors", "Returns a wing's number of floors.", "wing")]}
    ward = (ToolCall(name="ward_record", arguments={"ward": "Skyrchou Ward"}),
            Observation(call_id="w", tool="ward_record", ok=True,
                        content='{"name": "Skyrchou Ward", "wing": "Saelfal Wing"}'))
    floors = (ToolCall(name="wing_floors", arguments={"wing": "Saelfal Wing"}),
              Observation(call_id="f", tool="wing_floors", ok=True, content="5 floors"))
    question = "Which wing is Skyrchou Ward part of?"
    found = looked_up(question, [ward, floors], specs)
    assert found is not None and found.line == "wing of Skyrchou Ward: Saelfal Wing"
    # a later call with the ward's own name took nothing from its record
    patients = (ToolCall(name="ward_patients", arguments={"ward": "Skyrchou Ward"}),
                Observation(call_id="p", tool="ward_patients", ok=True, content='["Ann"]'))
    assert looked_up(question, [ward, floors, patients], specs) == found
    # without the tools' docs, any later call that took the wing took the chain on
    assert looked_up(question, [ward, floors]) is None
