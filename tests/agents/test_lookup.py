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
