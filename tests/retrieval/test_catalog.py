"""ToolCatalog: search modes, save/load round trip, incremental re-embedding, loading without rework."""

from __future__ import annotations

import pytest

from toolweave.retrieval.catalog import ToolCatalog
from toolweave.retrieval.documents import TOKENIZER, split_name, tool_text
from toolweave.retrieval.store import CatalogStoreError
from toolweave.tools.registry import ToolRegistry

from .conftest import CountingEmbedder, spec


def test_documents_split_names_and_include_parameters(tools):
    assert split_name("getWeatherForecast") == "get weather forecast"
    assert split_name("math.hypot_v2") == "math hypot v2"
    assert split_name("HTTPRequest") == "http request"
    text = tool_text(tools[1])
    assert text.startswith("book flight\nBook a flight")
    assert "origin: Departure airport code" in text


def test_bm25_only_when_no_embedder(tools):
    catalog = ToolCatalog(tools, embedder=None)
    assert "BM25 only" in catalog.dense_status
    hits = catalog.search("send an email to my boss", k=3)
    assert hits[0].tool.name == "send_email"
    assert set(hits[0].sources) == {"bm25"}
    assert catalog.search("zzz qqq", k=3) == []


def test_hybrid_hits_carry_both_sources(tools, counting):
    catalog = ToolCatalog(tools, embedder=counting)
    hits = catalog.search("weather in a city", k=2)
    assert hits[0].tool.name == "get_weather"
    assert set(hits[0].sources) == {"bm25", "dense"}
    assert hits[0].sources["bm25"]["rank"] == 1
    assert hits[0].score > hits[1].score
    assert [h.tool.name for h in catalog.search("weather", k=1, mode="dense")] == ["get_weather"]


def test_from_registry_of_python_tools():
    def shout(text: str) -> str:
        """Repeat the text in capital letters."""
        return text.upper()

    catalog = ToolCatalog.from_registry(ToolRegistry([shout]), embedder=None)
    assert catalog.search("capital letters", k=1)[0].tool.name == "shout"


def test_save_load_round_trip(tmp_path, tools, counting):
    catalog = ToolCatalog(tools, embedder=counting)
    catalog.set_queries("set_timer", ["remind me when the pasta is done"])
    catalog.save(str(tmp_path))
    embedded = len(counting.texts)
    assert embedded == len(tools) + 1

    loaded = ToolCatalog.load(str(tmp_path), embedder=counting)
    assert loaded.specs() == catalog.specs()
    assert loaded.queries == {"set_timer": ["remind me when the pasta is done"]}
    assert loaded.content_hashes() == catalog.content_hashes()
    for query in ("pasta", "email my boss", "euros to dollars"):
        assert [(h.tool.name, round(h.score, 6)) for h in loaded.search(query, k=3)] == \
               [(h.tool.name, round(h.score, 6)) for h in catalog.search(query, k=3)]
    assert len(counting.texts) - embedded == 3 * 2  # only the queries themselves, no re-index
    assert loaded.embed_calls == 0


def test_incremental_reindex_embeds_only_changed_and_new(tmp_path, tools):
    first = CountingEmbedder()
    ToolCatalog(tools, embedder=first).save(str(tmp_path))
    assert len(first.texts) == len(tools)

    second = CountingEmbedder()
    catalog = ToolCatalog.load(str(tmp_path), embedder=second)
    changed = spec("send_email", "Send an email with optional attachments.", to="Recipient")
    new = spec("play_music", "Play a song by title or artist.", title="Song title")
    assert catalog.add([tools[0], changed, new]) == 2
    catalog.save(str(tmp_path))
    assert len(second.texts) == 2
    assert {t.split("\n")[0] for t in second.texts} == {"send email", "play music"}

    third = CountingEmbedder()
    reloaded = ToolCatalog.load(str(tmp_path), embedder=third)
    assert len(reloaded) == len(tools) + 1
    assert reloaded.search("play a song", k=1, mode="bm25")[0].tool.name == "play_music"
    assert reloaded.get("send_email").description.startswith("Send an email with")
    assert third.texts == []


def test_changing_a_tool_drops_its_stale_queries(tools):
    catalog = ToolCatalog(tools, embedder=None)
    catalog.set_queries("set_timer", ["wake me in ten minutes"])
    catalog.add([spec("set_timer", "Start a stopwatch.")])
    assert "set_timer" not in catalog.queries


def test_load_rejects_a_directory_that_is_not_a_catalog(tmp_path):
    with pytest.raises(CatalogStoreError, match="no manifest.json"):
        ToolCatalog.load(str(tmp_path))


def test_loading_10k_tools_reuses_the_saved_indexes(tmp_path, monkeypatch):
    # How fast that is, is measured by bench/retrieval.py; here: that loading and the first
    # search neither re-tokenise (BM25) nor re-embed anything.
    import bm25s

    specs = [spec(f"tool_{i}", f"Does task number {i} with widget {i % 97}.", x=f"input {i}")
             for i in range(10_000)]
    ToolCatalog(specs, embedder=CountingEmbedder(dim=384)).save(str(tmp_path))

    def no_reindex(*args, **kwargs):
        raise AssertionError("the BM25 index was rebuilt")

    monkeypatch.setattr(bm25s.BM25, "index", no_reindex)
    embedder = CountingEmbedder(dim=384)
    catalog = ToolCatalog.load(str(tmp_path), embedder=embedder)
    assert len(catalog) == 10_000
    assert catalog.search("task number 1234", k=1)[0].tool.name == "tool_1234"
    assert len(embedder.texts) == 1  # the query only: nothing was re-embedded


def test_a_catalog_saved_with_another_bm25_tokenizer_is_reindexed(tmp_path, tools):
    import json

    ToolCatalog(tools, embedder=None).save(str(tmp_path))
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["bm25_tokenizer"] == TOKENIZER
    manifest["bm25_tokenizer"] = "some-older-tokenizer"
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    catalog = ToolCatalog.load(str(tmp_path), embedder=None)
    assert catalog._dirty  # rebuilt (with today's tokenizer) before the first search
    assert catalog.search("weather forecast", k=1)
