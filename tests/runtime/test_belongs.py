"""What a question says a named thing is not (`runtime.belongs`), and the grounded turn."""

from __future__ import annotations

import pytest

from toolweave.runtime.belongs import not_kinds
from toolweave.runtime.grounding import collect_values, grounded_tools
from toolweave.tools import ToolRegistry, tool


@pytest.mark.parametrize(("line", "value", "kinds"), [
    ("Chateau Poushpel belongs to a cellar; which estate is that cellar in?",
     "Chateau Poushpel", {"cellar"}),
    ("What is the number of seats of the screen that Noundkush Rising belongs to?",
     "Noundkush Rising", {"screen"}),
    ("What is the number of seasons of the company that A Thexcyx Romance's stage is part of?",
     "A Thexcyx Romance", {"stage"}),
    ("Which branch is Maxgro Estate in?", "Maxgro Estate", {"branch"}),
    ("What team does Kloumlael-Book belong to?", "Kloumlael-Book", {"team"}),
    ("How many trains are in Kordrim Central?", "Kordrim Central", {"train"}),
    ("Whose farm has more tractors, Steitock Meadow's or Nushce Meadow's?",
     "Steitock Meadow", {"farm"}),
    ("Find the club of Velzias Relcheez, then tell me its league points.",
     "Velzias Relcheez", {"club"}),
    ("Are the stages of A Heisho Comedy and A Heigrux Comedy in the same company?",
     "A Heigrux Comedy", {"stage"}),
    ("How many wines does Mandmial Cellar have?", "Mandmial Cellar", {"wine"}),
    # a measure of the thing, or a place it is in, is no kind it belongs to
    ("What is the price of the Zephyr Lamp?", "Zephyr Lamp", set()),
    ("What is the weather in Berlin?", "Berlin", set()),
])
def test_the_kinds_a_question_says_a_value_belongs_to(line, value, kinds):
    assert not_kinds(line, value) == kinds


@tool
def query_wine(wine: str) -> str:
    """Look up one wine; returns its cellar.

    Args:
        wine: name of the wine
    """
    return "{}"


@tool
def query_cellar(cellar_name: str) -> str:
    """Look up one cellar; returns the estate it is part of.

    Args:
        cellar_name: name of the cellar
    """
    return "{}"


@tool
def query_cellar_wines(cellar_name: str) -> str:
    """The wines of a cellar.

    Args:
        cellar_name: name of the cellar
    """
    return "[]"


def test_a_value_is_not_offered_to_the_kind_it_belongs_to():
    # a small model looked the wine up as a cellar, since the question says "cellar"
    specs = ToolRegistry([query_wine, query_cellar, query_cellar_wines]).specs()
    question = "Chateau Poushpel belongs to a cellar; which estate is that cellar in?"
    offered = {s.name for s in grounded_tools(specs, collect_values([], question))}
    assert offered == {"query_wine"}
    # said of nothing, the cellar tools take it
    offered = {s.name for s in grounded_tools(specs, collect_values([], "Where is Poushpel?"))}
    assert offered == {"query_wine", "query_cellar", "query_cellar_wines"}
