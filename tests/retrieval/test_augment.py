"""Index augmentation with a Scripted model: queries are stored, indexed, paid for once."""

from __future__ import annotations

import json

from toolweave.models.scripted import Scripted
from toolweave.retrieval.augment import augment_async, parse_queries
from toolweave.retrieval.catalog import ToolCatalog

QUERIES = {
    "set_timer": ["remind me when the pasta is done", "ping me in ten minutes",
                  "let me know when my tea has steeped", "alarm after 25 minutes of focus",
                  "tell me when the eggs are boiled"],
}


def writer(messages):
    """Answers with the scripted queries of the tool named in the prompt."""
    name = messages[-1].content.split("\n")[0].removeprefix("Tool: ")
    return json.dumps({"queries": QUERIES.get(name, [f"use {name} please"] * 5)})


async def test_augment_stores_queries_and_they_improve_retrieval(tools, tmp_path):
    catalog = ToolCatalog(tools, embedder=None)
    question = "remind me when my pasta is done"
    before = [h.tool.name for h in catalog.search(question, k=3)]
    assert "set_timer" not in before

    model = Scripted([writer] * len(tools))
    done = await augment_async(catalog, model, n=5, progress=False)
    assert done == len(tools)
    assert catalog.queries["set_timer"] == QUERIES["set_timer"]
    assert catalog.search(question, k=1)[0].tool.name == "set_timer"

    constraint = model.kwargs[0]["constraint"]
    assert constraint.kind == "json_schema"
    assert constraint.value["properties"]["queries"]["minItems"] == 5
    assert "Start a countdown timer." in model.calls[-1][-1].content

    catalog.save(str(tmp_path))
    loaded = ToolCatalog.load(str(tmp_path))
    assert loaded.queries["set_timer"] == QUERIES["set_timer"]
    assert loaded.search(question, k=1)[0].tool.name == "set_timer"


async def test_augmented_tools_are_skipped(tools):
    catalog = ToolCatalog(tools, embedder=None)
    for spec in tools[1:]:
        catalog.set_queries(spec.name, ["already done"])
    model = Scripted([writer])  # one reply: a second request would exhaust the script
    assert await augment_async(catalog, model, n=5, progress=False) == 1
    assert len(model.calls) == 1
    assert await augment_async(catalog, model, n=5, progress=False) == 0


async def test_limit_and_junk_replies(tools):
    catalog = ToolCatalog(tools, embedder=None)
    model = Scripted(["not json", json.dumps(["a bare list", "a bare list", " "])])
    assert await augment_async(catalog, model, n=5, limit=2, progress=False) == 1
    assert tools[0].name not in catalog.queries
    assert catalog.queries[tools[1].name] == ["a bare list"]


def test_parse_queries():
    assert parse_queries('{"queries": ["a", "b", "c"]}', 2) == ["a", "b"]
    assert parse_queries('{"other": 1}', 2) == []
    assert parse_queries("[1, 2]", 2) == []
