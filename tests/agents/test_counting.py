"""The count: "how many of these …" counted by the runtime over the items' results."""

from __future__ import annotations

import json

from toolweave.agents import Agent
from toolweave.agents.calculation import needs_calculation
from toolweave.agents.counting import asks_count, tally
from toolweave.models import Scripted
from toolweave.tools import tool
from toolweave.types import Observation, ToolCall

ORDERS = {"A-1": "delivered", "A-2": "shipped", "A-3": "delivered", "A-4": "processing"}
STOCK = {"Lamp": 25, "Desk": 3, "Kettle": 5, "Heater": 70}


def made(name: str, key: str, value: str, content: str, ok: bool = True):
    return (ToolCall(name=name, arguments={key: value}),
            Observation(call_id=value, tool=name, ok=ok, content=content,
                        error=None if ok else "ValueError"))


def orders(*ids: str):
    return [made("get_order", "order_id", i, json.dumps(
        {"order_id": i, "product": "Lamp", "quantity": 2, "status": ORDERS[i]})) for i in ids]


def test_a_count_question_is_counted_not_calculated():
    question = "How many of the orders A-1, A-2 and A-3 have been delivered?"
    assert asks_count(question) and not needs_calculation(question)
    assert not asks_count("How many units of the Lamp are in stock?")


def test_how_many_over_a_list_the_question_writes_out_is_a_count():
    for question in ("Among A-1, A-2, A-3 and A-4, how many orders are 'delivered'?",
                     "Of Lamp, Desk and Kettle, how many have stock under 10 units?",
                     "Count how many of these have status 'delivered': A-1, A-2 and A-3."):
        assert asks_count(question) and not needs_calculation(question), question
    # two items and "and back" make no list to count over
    assert not asks_count("How many kilometres is the trip from Oslo to Rome and back?")
    assert not asks_count("How many fields are in Trourklol Farm?")
    found = tally("Among A-1, A-2, A-3 and A-4, how many orders are 'delivered'?",
                  orders("A-1", "A-2", "A-3", "A-4"))
    assert found.met == ("A-1", "A-3")


def test_words_of_the_question_that_some_results_hold_are_the_condition():
    question = "How many of the orders A-1, A-2, A-3 and A-4 have been delivered?"
    found = tally(question, orders("A-1", "A-2", "A-3", "A-4"))
    assert (found.condition, found.met) == ("delivered", ("A-1", "A-3"))
    assert found.line() == "2 of 4 meet 'delivered' (A-1, A-3)"
    negated = tally("How many of the orders A-1, A-2, A-3 and A-4 have not been delivered?",
                    orders("A-1", "A-2", "A-3", "A-4"))
    assert negated.met == ("A-2", "A-4")


def test_items_written_with_what_they_are_are_counted_by_name():
    # "order A-1, order A-2, …": the call takes "A-2", the list writes "order A-2"
    question = "Count how many of these have status 'delivered': order A-1, order A-2, " \
               "order A-3 and order A-4."
    found = tally(question, orders("A-1", "A-2", "A-3", "A-4"))
    assert (found.condition, found.met) == ("delivered", ("A-1", "A-3"))


def test_a_comparison_with_a_number_is_applied_to_each_items_number():
    question = "How many of these products have fewer than 20 units in stock: Lamp, Desk, " \
               "Kettle and Heater?"
    results = [made("get_stock", "product", p, f"{n} units in stock") for p, n in STOCK.items()]
    found = tally(question, results)
    assert (found.condition, found.met) == ("fewer than 20", ("Desk", "Kettle"))
    # a JSON result's number is the field the question names
    found = tally("How many of the orders A-1, A-2 and A-3 have a quantity of at least 2?",
                  orders("A-1", "A-2", "A-3"))
    assert found.met == ("A-1", "A-2", "A-3")


def test_the_fan_out_whose_results_hold_the_condition_is_counted():
    question = "How many of these cities are in Lindqvar: Oslo, Rome and Kelmarsh?"
    results = [made("get_weather", "city", c, "12 °C, fog") for c in ("Oslo", "Rome", "Kelmarsh")]
    results += [made("get_country", "city", c, k) for c, k in
                [("Oslo", "Norvenia"), ("Rome", "Lindqvar"), ("Kelmarsh", "Lindqvar")]]
    results.append(made("get_weather", "city", "Lindqvar", "unknown city", ok=False))
    found = tally(question, results)
    assert (found.met, found.counted) == (("Rome", "Kelmarsh"), ("Oslo", "Rome", "Kelmarsh"))


def test_nothing_is_counted_without_results_for_the_list_or_a_condition():
    question = "How many of the orders A-1, A-2 and A-3 have been delivered?"
    assert tally(question, orders("A-1")) is None  # one item is no fan-out
    assert tally("How many of the orders A-1, A-2 and A-3 are late?",
                 orders("A-1", "A-2", "A-3")) is None  # no result holds "late"


@tool
def get_order(order_id: str) -> str:
    """An order's product and delivery status."""
    return json.dumps({"order_id": order_id, "status": ORDERS[order_id]})


async def test_the_answer_turn_reads_the_count():
    first = '<tool_call>\n{"name": "get_order", "arguments": {"order_id": "A-1"}}\n</tool_call>'
    model = Scripted([first, "2 of them."])  # every order is in: no turn before the answer
    trace = await Agent(model, [get_order]).arun(
        "How many of the orders A-1, A-2, A-3 and A-4 have been delivered?")
    assert len(trace.steps[0].calls) == 4  # the fan-out made the other three
    count = next(s for s in trace.steps if s.thought.startswith("count:"))
    assert count.completion is None  # counted by the runtime, no model turn
    assert "- count: 2 of 4 meet 'delivered' (A-1, A-3)" in model.calls[-1][-1].content
    assert trace.answer == "2 of them."
    assert model.kwargs[-1]["constraint"].value.startswith('root ::= "2" ')  # its lead
