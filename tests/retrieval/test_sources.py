"""Catalog files: accepted shapes, and clear errors naming the file and line for bad ones."""

from __future__ import annotations

import json

import pytest

from toolweave.retrieval.catalog import ToolCatalog
from toolweave.retrieval.sources import CatalogFileError, dedupe, load_file, load_source

OPENAI = {"type": "function", "function": {"name": "get_weather", "description": "Weather.",
                                           "parameters": {"type": "object", "properties": {}}}}
BARE = {"name": "send_email", "description": "Send mail.",
        "parameters": {"type": "dict", "properties": {"to": {"type": "string"}}}}


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_json_list_jsonl_and_tools_object_all_load(tmp_path):
    as_list = write(tmp_path, "a.json", json.dumps([OPENAI, BARE], indent=2))
    as_lines = write(tmp_path, "b.jsonl", json.dumps(OPENAI) + "\n\n" + json.dumps(BARE) + "\n")
    as_object = write(tmp_path, "c.json", json.dumps({"tools": [OPENAI, BARE]}))
    single = write(tmp_path, "d.json", json.dumps(BARE))
    for path in (as_list, as_lines, as_object):
        specs = load_file(path)
        assert [s.name for s in specs] == ["get_weather", "send_email"]
        assert specs[1].parameters["type"] == "object"  # BFCL's "dict" normalised
    assert [s.name for s in load_file(single)] == ["send_email"]
    assert len(ToolCatalog.from_file(str(as_list), embedder=None)) == 2


def test_not_json_names_file_and_line(tmp_path):
    path = write(tmp_path, "bad.json", '[\n  {"name": "a"},\n  {"name": oops}\n]')
    with pytest.raises(CatalogFileError, match=r"bad\.json:3: not valid JSON"):
        load_file(path)


def test_bad_jsonl_line_is_named(tmp_path):
    path = write(tmp_path, "bad.jsonl", json.dumps(BARE) + "\n{not json\n")
    with pytest.raises(CatalogFileError, match=r"bad\.jsonl:2: not valid JSON"):
        load_file(path)


def test_missing_name_names_file_line_and_tool(tmp_path):
    path = write(tmp_path, "noname.json",
                 json.dumps([BARE], indent=None) [:-1] + ',\n  {"description": "x"}]')
    with pytest.raises(CatalogFileError, match=r'noname\.json:2 \(tool #2\): .*no "name"'):
        load_file(path)


def test_missing_name_in_jsonl(tmp_path):
    path = write(tmp_path, "t.jsonl", json.dumps(BARE) + "\n" + json.dumps({"function": {}}))
    with pytest.raises(CatalogFileError, match=r't\.jsonl:2: .*no "name"'):
        load_file(path)


@pytest.mark.parametrize("item, message", [
    ({"name": "x", "parameters": [1, 2]}, "tool 'x': \"parameters\" must be a JSON object"),
    ({"name": "x", "description": 3}, "tool 'x': \"description\" must be a string"),
    ("just a string", "expected a tool definition object, got str"),
    ({"name": ""}, 'tool definition has no "name"'),
])
def test_wrong_shapes_are_explained(tmp_path, item, message):
    path = write(tmp_path, "shapes.json", json.dumps([item]))
    with pytest.raises(CatalogFileError, match=r"shapes\.json:1 \(tool #1\): " + message):
        load_file(path)


def test_top_level_of_wrong_type(tmp_path):
    with pytest.raises(CatalogFileError, match=r"num\.json:1: expected a list"):
        load_file(write(tmp_path, "num.json", "42"))


def test_empty_and_missing_files(tmp_path):
    with pytest.raises(CatalogFileError, match=r"empty\.jsonl: holds no tool definitions"):
        load_file(write(tmp_path, "empty.jsonl", "\n"))
    with pytest.raises(CatalogFileError, match=r"nope\.json: cannot read"):
        load_file(tmp_path / "nope.json")
    with pytest.raises(CatalogFileError, match="not a file, a 'module:attr'"):
        load_source("neither-a-file")


def test_dedupe_drops_repeats_and_renames_clashes(tmp_path):
    specs = load_file(write(tmp_path, "d.json", json.dumps(
        [BARE, BARE, {**BARE, "description": "Another mailer."}])))
    assert [s.name for s in dedupe(specs)] == ["send_email", "send_email_2"]


def test_module_attr_source():
    specs = load_source("toolweave.tools.builtins:calculator")
    assert [s.name for s in specs] == ["calculator"]
