"""A value's kind by the examples the tools document (`runtime.shapes`), and the grounded
turn that follows it."""

from __future__ import annotations

from toolweave.runtime.grounding import collect_values, grounded_tools
from toolweave.runtime.shapes import example_of, name_ends, shaped_values
from toolweave.tools import ToolRegistry, tool


@tool
def vessel_record(vessel_name: str) -> str:
    """A vessel's entry: the port it belongs to.

    Args:
        vessel_name: the vessel's name, e.g. "MV Heishlei".
    """
    return "{}"


@tool
def port_record(port_name: str) -> str:
    """A port's entry: the sea zone it belongs to.

    Args:
        port_name: the port's name, e.g. "Port Skemnein".
    """
    return "{}"


@tool
def shipment_record(shipment_id: str) -> str:
    """A shipment: the vessel it is for.

    Args:
        shipment_id: the shipment's id.
    """
    return "{}"


def offers(question: str) -> dict[str, list[str]]:
    specs = ToolRegistry([vessel_record, port_record, shipment_record]).specs()
    return {s.name: s.parameters["properties"][next(iter(s.parameters["properties"]))]["enum"]
            for s in grounded_tools(specs, collect_values([], question))}


def test_examples_and_the_ends_of_a_name():
    assert example_of('the vessel\'s name, e.g. "MV Heishlei".') == "MV Heishlei"
    assert example_of("the shipment's id.") is None
    assert name_ends("MV Heishlei") == {(0, "mv"), (1, "heishlei")}
    # one word, an identifier, or an article at an end say nothing of a kind
    assert name_ends("Brennholm") == frozenset() and name_ends("SHP-61110") == frozenset()
    assert (0, "a") not in name_ends("A Thexcyx Romance")


def test_a_value_shaped_like_one_example_goes_where_that_example_is():
    # a small model looked "MV Remheloux" up as a port
    offered = offers("MV Remheloux belongs to a port; which sea zone is that port in?")
    assert offered["vessel_record"] == ["MV Remheloux"]
    assert "port_record" not in offered  # its example shows another shape: nothing left
    # a parameter that shows no example is left as it was
    assert offered["shipment_record"] == ["MV Remheloux"]


def test_a_value_of_no_documented_shape_goes_anywhere():
    offered = offers("Where is Remheloux Bay?")
    assert all(v == ["Remheloux Bay"] for v in offered.values()) and len(offered) == 3
    params = [("vessel_name", 'e.g. "MV Heishlei"'), ("port_name", 'e.g. "Port Skemnein"')]
    assert shaped_values(["Remheloux Bay", "SHP-1"], params) == {}
    # one example alone has no other shape to tell a value from
    assert shaped_values(["MV Remheloux"], params[:1]) == {}
