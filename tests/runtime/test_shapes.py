"""A value's kind by the examples the tools document (`runtime.shapes`), and the grounded
turn that follows it."""

from __future__ import annotations

from toolweave.runtime.grounding import collect_values, grounded_tools
from toolweave.runtime.shapes import example_of, fits_form, name_ends, shaped_values
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


@tool
def harbour_log(entry: str) -> str:
    """A harbour log's entry.

    Args:
        entry: what the entry is about.
    """
    return "{}"


def offers(question: str) -> dict[str, list[str]]:
    specs = ToolRegistry([vessel_record, port_record, shipment_record, harbour_log]).specs()
    return {s.name: s.parameters["properties"][next(iter(s.parameters["properties"]))]["enum"]
            for s in grounded_tools(specs, collect_values([], question))}


def test_examples_and_the_ends_of_a_name():
    assert example_of('the vessel\'s name, e.g. "MV Heishlei".') == "MV Heishlei"
    assert example_of("the shipment's id.") is None
    assert name_ends("MV Heishlei") == {(0, "mv"), (1, "heishlei")}
    # one word, a number or an article at an end say nothing of a kind
    assert name_ends("Brennholm") == frozenset() and name_ends("12 500") == frozenset()
    assert (0, "a") not in name_ends("A Thexcyx Romance")
    # hyphens part words: a device's "…-Book", an id's prefix
    assert name_ends("Kloumlael-Book") == {(0, "kloumlael"), (1, "book")}
    assert name_ends("SHP-61110") == {(0, "shp")}


def test_a_value_shaped_like_one_example_goes_where_that_example_is():
    # a small model looked "MV Remheloux" up as a port
    offered = offers("MV Remheloux belongs to a port; which sea zone is that port in?")
    assert offered["vessel_record"] == ["MV Remheloux"]
    assert "port_record" not in offered  # its example shows another shape: nothing left
    # a parameter that shows no example is left as it was; an id takes no name
    assert offered["harbour_log"] == ["MV Remheloux"] and "shipment_record" not in offered


def test_a_value_of_no_documented_shape_goes_anywhere():
    offered = offers("Where is Remheloux Bay?")
    assert all(v == ["Remheloux Bay"] for v in offered.values())
    assert sorted(offered) == ["harbour_log", "port_record", "vessel_record"]
    params = [("vessel_name", 'e.g. "MV Heishlei"'), ("port_name", 'e.g. "Port Skemnein"')]
    assert not shaped_values(["Remheloux Bay", "SHP-1"], params)
    # one example alone has no other shape to tell a value from
    assert not shaped_values(["MV Remheloux"], params[:1])


def test_identifiers_and_names_do_not_mix():
    id_example = 'the consignment id, e.g. "CNS-17213".'
    name_example = 'the depot\'s name, e.g. "Cyrkrish Depot".'
    assert fits_form("CNS-24670", "consignment", id_example)
    assert not fits_form("Chateau Poushpel", "consignment", id_example)
    # an id by its name or description, with no example
    assert not fits_form("Piarpi Hopper", "booking_ref", "the booking's id.")
    assert fits_form("BK-67914", "booking_ref", "the booking's id.")
    assert fits_form("alex", "user_id", "The user's id.")  # one word may be an id
    # a name's parameter takes no id or number
    assert not fits_form("RX-67222", "depot_name", name_example)
    assert not fits_form("6", "depot_name", name_example)
    assert fits_form("Borkliackex Depot", "depot_name", name_example)
    # an identifier is no name, example or not
    assert not fits_form("CNS-53007", "estate", "name of the estate")
    assert not fits_form("SHP-1", "port_name", "") and not fits_form("3", "supplier_name", "")
    # nor is a measured amount a result gave ("109 m²" as a floor: a small model's next guess)
    for amount in ("109 m²", "6926.24 USD", "13 days", "21 °C", "15%"):
        assert not fits_form(amount, "floor_name", "the full name of the floor"), amount
    assert fits_form("Route 66", "road_name", "") and fits_form("Port 7", "port_name", "")
    assert not fits_form("56 m²", "reservation_id", "identifier of the reservation")
    # a file is no folder
    assert not fits_form("Annual_Report_2023.docx", "dir_name", "The new directory's name.")
    assert fits_form("communal", "folder", "The folder to change to.")
    assert fits_form("notes.md", "file_name", "The file's name.")
    # no example and no id: anything
    assert fits_form("42", "city", "Where to.") and fits_form("New York", "city", "")


def test_a_parameter_with_no_example_is_of_the_kind_of_its_namesakes_that_show_one():
    # one city parameter shows "Brennholm", another none: an employee's name goes to neither
    params = [("city", 'the city\'s name, e.g. "Brennholm".'), ("city", "the city's name."),
              ("name", 'the employee\'s full name, e.g. "Alice Moreau".'),
              ("company", 'the company\'s name, e.g. "Nova Dynamics".')]
    shapes = shaped_values(["Alice Moreau", "Felix Moreau"], params)
    assert not shapes.allows("Alice Moreau", *params[0])
    assert not shapes.allows("Alice Moreau", *params[1])
    assert shapes.allows("Alice Moreau", *params[2])
    # a parameter of a name no example shows is left free
    assert shapes.allows("Alice Moreau", "topic", "what to search for.")
