"""The `tools index|search|augment` command functions, attached to a Typer app as the CLI will."""

from __future__ import annotations

import json

import typer
from typer.testing import CliRunner

from toolweave.models.scripted import Scripted
from toolweave.retrieval.catalog import ToolCatalog
from toolweave.cli.tools import augment_command, index_command, search_command

from .conftest import TOOLS

app = typer.Typer()
app.command("index")(index_command)
app.command("search")(search_command)
app.command("augment")(augment_command)
runner = CliRunner()


def tools_file(tmp_path, specs=TOOLS):
    path = tmp_path / "tools.jsonl"
    path.write_text("\n".join(json.dumps(s.openai_schema()) for s in specs))
    return path


def test_index_then_search_prints_a_table(tmp_path):
    out = tmp_path / "cat"
    result = runner.invoke(app, ["index", str(tools_file(tmp_path)), "--out", str(out),
                                 "--no-dense"])
    assert result.exit_code == 0, result.output
    assert f"{len(TOOLS)} tools in" in result.output and "BM25 only" in result.output
    result = runner.invoke(app, ["search", str(out), "send an email", "-k", "2"])
    assert result.exit_code == 0, result.output
    assert "send_email" in result.output and "bm25" in result.output


def test_index_reports_bad_files_and_exits_1(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("[{]")
    result = runner.invoke(app, ["index", str(bad), "--out", str(tmp_path / "cat")])
    assert result.exit_code == 1
    assert "bad.json:1: not valid JSON" in result.output


def test_search_of_a_missing_catalog_fails_cleanly(tmp_path):
    result = runner.invoke(app, ["search", str(tmp_path), "anything"])
    assert result.exit_code == 1
    assert "no manifest.json" in result.output


def test_augment_command_writes_queries(tmp_path, monkeypatch):
    out = tmp_path / "cat"
    runner.invoke(app, ["index", str(tools_file(tmp_path, TOOLS[:2])), "--out", str(out),
                        "--no-dense"])
    reply = json.dumps({"queries": ["is it going to snow", "umbrella needed today?"]})
    monkeypatch.setattr("toolweave.models.load_model", lambda spec: Scripted([reply] * 2))
    result = runner.invoke(app, ["augment", str(out), "--model", "scripted", "-n", "2"])
    assert result.exit_code == 0, result.output
    assert "augmented 2 tools" in result.output
    catalog = ToolCatalog.load(str(out))
    assert catalog.queries["get_weather"] == ["is it going to snow", "umbrella needed today?"]
