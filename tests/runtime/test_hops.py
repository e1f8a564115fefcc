"""The next hop of a chain (`runtime.hops`): the tools that take a thing a result named."""

from __future__ import annotations

import json

from toolweave.agents import Agent
from toolweave.models import Scripted
from toolweave.runtime.hops import Hop, next_hop
from toolweave.tools import tool
from toolweave.types import Observation, ToolCall

ORDERS = {"ORD-7": {"order_id": "ORD-7", "book": "Salt Roads", "copies": 3, "status": "sent"}}
BOOKS = {"Salt Roads": {"name": "Salt Roads", "publisher": "Kestrel House"}}


@tool
def order_record(order: str) -> str:
    """Details of an order: book, number of copies, status.

    Args:
        order: identifier of the order
    """
    return json.dumps(ORDERS[order])


@tool
def book_record(book: str) -> str:
    """Details of a book (publisher).

    Args:
        book: the full title of the book
    """
    return json.dumps(BOOKS[book])


@tool
def book_page_count(book: str) -> str:
    """Returns a book's number of pages.

    Args:
        book: the full title of the book
    """
    return "412 pages"


@tool
def publisher_city(publisher_name: str) -> str:
    """Returns the city a publisher is based in.

    Args:
        publisher_name: the full name of the publisher
    """
    return "Leeds"


TOOLS = [order_record, book_record, book_page_count, publisher_city]
SPECS = [t.spec for t in TOOLS]


def made(*pairs: tuple[str, dict, str]) -> list[tuple[ToolCall, Observation]]:
    return [(ToolCall(name=n, arguments=a), Observation(call_id=str(i), tool=n, ok=True,
                                                       content=c))
            for i, (n, a, c) in enumerate(pairs)]


ORDER_LOOKED_UP = made(("order_record", {"order": "ORD-7"}, json.dumps(ORDERS["ORD-7"])))


def test_the_tool_that_takes_the_named_thing_and_speaks_of_what_is_asked():
    hop = next_hop(SPECS, ORDER_LOOKED_UP, "How many pages has the book of order ORD-7?")
    assert hop == Hop(tools=("book_page_count",), values=("Salt Roads",))


def test_a_record_naming_the_next_kind_asked_is_the_hop_to_it():
    # the publisher's city is asked: the book record speaks of the publisher
    hop = next_hop(SPECS, ORDER_LOOKED_UP,
                   "In which city is the publisher of the book in order ORD-7 based?")
    assert hop == Hop(tools=("book_record",), values=("Salt Roads",))


def test_every_taker_when_none_speaks_of_the_question_unless_it_asks_for_the_value():
    hop = next_hop(SPECS, ORDER_LOOKED_UP, "Tell me about order ORD-7.")
    assert hop is not None and set(hop.tools) == {"book_record", "book_page_count"}
    # asked for the book itself, the record's book is the answer: no step on
    assert next_hop(SPECS, ORDER_LOOKED_UP, "Which book is order ORD-7 for?") is None


def test_no_hop_to_a_call_made_before_or_without_a_taker():
    passed = ORDER_LOOKED_UP + made(("book_page_count", {"book": "Salt Roads"}, "412 pages"))
    # the page count is in: what is left to take the book is its record, which speaks of
    # nothing asked, and the book is a thing the question names
    assert next_hop(SPECS, passed, "How many pages has the book of order ORD-7?") is None
    assert next_hop(SPECS, passed, "Tell me about order ORD-7.") == \
        Hop(tools=("book_record",), values=("Salt Roads",))
    # a status or a count is no kind of thing any tool takes; a failed result gives nothing
    assert next_hop([order_record.spec], ORDER_LOOKED_UP, "What is ORD-7's status?") is None
    failed = [(ToolCall(name="order_record", arguments={"order": "X"}),
               Observation(call_id="1", tool="order_record", ok=False,
                           content='{"book": "Salt Roads"}'))]
    assert next_hop(SPECS, failed, "How many pages?") is None
    assert next_hop(SPECS, ORDER_LOOKED_UP, "How many pages has the book of order ORD-7?",
                    skip=["book_page_count", "book_record"]) is None


def test_a_plain_text_or_list_result_names_no_kind():
    listed = made(("order_record", {"order": "ORD-7"}, '["Salt Roads", "Tide Lines"]'),
                  ("book_page_count", {"book": "Tide Lines"}, "90 pages"))
    assert next_hop(SPECS, listed, "How many pages has Salt Roads?") is None


def call(name: str, **arguments) -> str:
    return f'<tool_call>\n{json.dumps({"name": name, "arguments": arguments})}\n</tool_call>'


async def test_a_model_that_asks_again_for_the_first_record_is_offered_the_next_hop():
    # the model repeats the order lookup (a small model's way of saying it is done)
    model = Scripted([call("order_record", order="ORD-7"), call("order_record", order="ORD-7"),
                      call("book_page_count", book="Salt Roads"), "It has 412 pages."])
    trace = await Agent(model, TOOLS).arun("How many pages has the book of order ORD-7?")
    assert trace.answer == "It has 412 pages."
    offered = model.kwargs[2]["constraint"].value
    assert "tw-lead" not in offered.split("root ::=")[1].split("\n")[0]  # a call, no answer
    # only the hop's tool, and only the book the order named
    assert "book_page_count" in offered and "order_record" not in offered
    assert "book_record" not in offered and '\\"Salt Roads\\"' in offered
    assert [c.name for s in trace.steps for c in s.calls if s.observations[0].ok] == \
        ["order_record", "book_page_count"]


async def test_with_nothing_left_to_hop_to_the_repeat_ends_in_the_answer():
    model = Scripted([call("order_record", order="ORD-7"), call("order_record", order="ORD-7"),
                      "It was sent."])
    trace = await Agent(model, [order_record]).arun("What is the status of order ORD-7?")
    assert trace.answer == "It was sent."
    assert len(model.calls) == 3  # no hop turn: the third turn is the answer's


def test_an_error_that_says_what_a_value_is_hops_to_the_tools_that_take_that_kind():
    failed = [(ToolCall(name="publisher_city", arguments={"publisher_name": "Salt Roads"}),
               Observation(call_id="1", tool="publisher_city", ok=False,
                           content="ValueError: 'Salt Roads' is a book, not a publisher"))]
    hop = next_hop(SPECS, failed, "In which city is the publisher of Salt Roads based?")
    assert hop == Hop(tools=("book_record",), values=("Salt Roads",))
    # the tool that rejected it is no taker of books; an error of another style states none
    unknown = [(failed[0][0], failed[0][1].model_copy(update={"content": "unknown publisher"}))]
    assert next_hop(SPECS, unknown, "In which city is the publisher of Salt Roads based?") is None


async def test_a_chain_begun_at_its_end_is_sent_to_the_kind_the_error_names():
    model = Scripted([call("publisher_city", publisher_name="Salt Roads"),
                      call("book_record", book="Salt Roads"),
                      call("publisher_city", publisher_name="Kestrel House"), "Leeds."])

    @tool
    def strict_publisher_city(publisher_name: str) -> str:
        """Returns the city a publisher is based in.

        Args:
            publisher_name: the full name of the publisher
        """
        if publisher_name == "Salt Roads":
            raise ValueError("'Salt Roads' is a book, not a publisher")
        return "Leeds"

    tools = [order_record, book_record, book_page_count,
             tool(strict_publisher_city.fn, name="publisher_city")]
    trace = await Agent(model, tools).arun("In which city is the publisher of Salt Roads based?")
    assert trace.answer == "Leeds."
    offered = model.kwargs[1]["constraint"].value
    # the book tool that speaks of publishers only, and a call is required (no answer yet)
    assert "book_record" in offered and "publisher_city" not in offered
    assert "book_page_count" not in offered
    assert "tw-lead" not in offered.split("root ::=")[1].split("\n")[0]


def test_a_kind_known_from_the_parameter_a_value_went_to_hops_only_where_asked():
    # the order's book went to the page count: the book is a book; its record speaks of
    # the publisher the question asks about
    counted = made(("book_page_count", {"book": "Salt Roads"}, "412 pages"))
    assert next_hop(SPECS, counted, "Who publishes Salt Roads? Find its publisher.") == \
        Hop(tools=("book_record",), values=("Salt Roads",))
    # nothing else asked of it: no hop
    assert next_hop(SPECS, counted, "How long is Salt Roads?") is None


async def test_once_a_result_answers_the_question_a_repeat_ends_the_run():
    model = Scripted([call("order_record", order="ORD-7"), call("book_page_count",
                                                                book="Salt Roads"),
                      call("book_page_count", book="Salt Roads"), "It has 412 pages."])
    trace = await Agent(model, TOOLS).arun("How many pages has the book of order ORD-7?")
    assert trace.answer == "It has 412 pages."
    assert len(model.calls) == 4  # the repeat, then the answer turn: no hop to the record


async def test_a_turn_that_wandered_off_is_followed_by_the_hop_the_question_asks_for():
    @tool
    def order_status(order: str) -> str:
        """Returns an order's shipping status.

        Args:
            order: identifier of the order
        """
        return "in transit"

    model = Scripted([call("order_record", order="ORD-7"), call("order_status", order="ORD-7"),
                      call("book_page_count", book="Salt Roads"), "It has 412 pages."])
    trace = await Agent(model, TOOLS + [order_status]).arun(
        "How many pages has the book of order ORD-7?")
    assert trace.answer == "It has 412 pages."
    # after the order record the model was free; after the status (which the question does
    # not ask about) the next turn must take the book on to the page count
    assert "order_status" in model.kwargs[1]["constraint"].value
    offered = model.kwargs[2]["constraint"].value
    assert "book_page_count" in offered and "order_status" not in offered
    assert "tw-lead" not in offered.split("root ::=")[1].split("\n")[0]


PAGES = {"Salt Roads": 412, "Tide Songs": 300}


@tool
def pages_of_book(book: str) -> str:
    """Returns a book's number of pages.

    Args:
        book: the full title of the book
    """
    return f"{PAGES[book]} pages"


def test_a_value_the_question_names_and_no_call_was_given_comes_first():
    question = "Which book has more pages: the one in order ORD-7, or Tide Songs?"
    priced = made(("pages_of_book", {"book": "Tide Songs"}, "300 pages"))
    hop = next_hop([order_record.spec, pages_of_book.spec], priced, question)
    assert hop == Hop(tools=("order_record",), values=("ORD-7",)) and hop.named
    # once the order was looked up, its book is the hop, to the tool that measured the other
    looked = priced + ORDER_LOOKED_UP
    hop = next_hop([order_record.spec, pages_of_book.spec], looked, question)
    assert hop == Hop(tools=("pages_of_book",), values=("Salt Roads",)) and not hop.named
    # a value some call was given, in any form, is no longer the question's to hop to
    asked = made(("order_record", {"order": "order ORD-7"}, "unknown order"))
    assert not next_hop([order_record.spec], asked, question)


async def test_a_comparison_with_one_side_measured_hops_to_the_other_side():
    # the 0.5B model priced the wine it was given by name, asked for that price again, and
    # answered max(63.32, 63.32): the one in the consignment was never looked up
    model = Scripted([call("pages_of_book", book="Tide Songs"),
                      call("pages_of_book", book="Tide Songs"),
                      call("order_record", order="ORD-7"),
                      call("order_record", order="ORD-7"),
                      call("pages_of_book", book="Salt Roads"),
                      "Done.", "Salt Roads."])
    trace = await Agent(model, [order_record, pages_of_book]).arun(
        "Which book has more pages: the one in order ORD-7, or Tide Songs?")
    assert trace.answer == "Salt Roads."
    # after the repeat the next turn must look the order up; after the next repeat, the
    # pages of the order's book (a result measures pages already: the other side is missing)
    assert "pages_of_book" not in model.kwargs[2]["constraint"].value
    assert "order_record" not in model.kwargs[4]["constraint"].value
    # the runtime writes the extreme over both books' pages (no model turn for it)
    assert "max(300, 412) = 412 (for Salt Roads)" in model.calls[-1][-1].content
