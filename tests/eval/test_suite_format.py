"""Suite files: YAML and JSONL read to the same suite; bad files name the task and field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from toolweave.eval.suite.format import MockTool, SuiteError, load_suite
from toolweave.eval.suite.tools import SuiteToolbox

EXAMPLE = Path(__file__).parents[2] / "examples" / "suites" / "basic.yaml"


def write(tmp_path: Path, text: str, name: str = "s.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_example_suite_loads_and_its_tools_resolve():
    suite = load_suite(EXAMPLE)
    assert len(suite.tasks) >= 10
    assert suite.docs is not None and suite.docs.is_dir()
    toolbox = SuiteToolbox(suite)
    by_id = {t.id: t for t in suite.tasks}
    assert toolbox.registry(by_id["docs-then-calc"]).names() == ["search_docs", "calculator"]
    assert toolbox.registry(by_id["mock-order-carrier"]).names() == ["get_order"]
    assert {"math", "docs", "mock", "multi-step"} <= set(suite.tags())


def test_answers_become_lists_of_strings_and_tags_lists(tmp_path):
    suite = load_suite(write(tmp_path, """
tasks:
  - {id: a, question: q, answer: 84, tags: math}
  - {id: b, question: q, answer: [1.5, "one and a half"]}
"""))
    assert suite.tasks[0].answer == ["84"] and suite.tasks[0].tags == ["math"]
    assert suite.tasks[1].answer == ["1.5", "one and a half"]


def test_min_calls_is_optional_checked_and_not_part_of_the_fingerprint(tmp_path):
    suite = load_suite(write(tmp_path, """
tasks:
  - {id: a, question: q, answer: x, min_calls: 3}
  - {id: b, question: q, answer: x}
  - {id: c, question: q, calls: [{name: calculator}], min_calls: 2}
"""))
    assert [t.min_calls for t in suite.tasks] == [3, None, 2]
    before = suite.fingerprint(suite.tasks[0])
    suite.tasks[0].min_calls = 5  # like `answer`, it changes the report, not the run
    assert suite.fingerprint(suite.tasks[0]) == before
    line = json.dumps(suite.tasks[0].model_dump(mode="json", exclude_none=True))
    assert load_suite(write(tmp_path, line + "\n", "s.jsonl")).tasks[0].min_calls == 5


def test_jsonl_is_the_same_document(tmp_path):
    yaml_suite = load_suite(EXAMPLE)
    header = yaml_suite.model_dump(mode="json", exclude={"tasks"}, exclude_none=True)
    header["docs"] = str(yaml_suite.docs)
    lines = [json.dumps({"suite": header})] + [
        json.dumps(t.model_dump(mode="json", exclude_none=True)) for t in yaml_suite.tasks]
    jsonl_suite = load_suite(write(tmp_path, "\n".join(lines) + "\n", "s.jsonl"))
    assert jsonl_suite == yaml_suite


@pytest.mark.parametrize(("text", "message"), [
    ("tasks:\n  - {id: a, question: q}\n",
     "task 1 (id 'a'): give an expected 'answer', expected 'calls', or both"),
    ("tasks:\n  - {id: a, question: q, answer: x}\n  - {id: b, question: q, calls: [{}]}\n",
     "task 2 (id 'b'): calls[0].name: Field required"),
    ("tasks:\n  - {id: a, question: q, anwser: x}\n",
     "task 1 (id 'a'): anwser: Extra inputs are not permitted"),
    ("tasks:\n  - {id: a, question: '  ', answer: x}\n",
     "task 1 (id 'a'): question: must not be empty"),
    ("tasks:\n  - {id: a, question: q, answer: x}\n  - {id: a, question: q, answer: y}\n",
     "task id 'a' is used twice"),
    ("tasks:\n  - {question: q, answer: x}\n", "task 1: id: Field required"),
    ("tools:\n  - {name: t, parameters: {type: array}}\ntasks: []\n",
     "tools[0].parameters: a tool's parameters must be a JSON Schema of type object"),
    ("tools:\n  - {name: t, parameters: {type: 5}}\ntasks: []\n",
     "tools[0].parameters: not a valid JSON Schema"),
    ("tasks:\n  - {id: a, question: q, answer: x, tools: [{name: 'bad name'}]}\n",
     "task 1 (id 'a'): tools[0].name: tool name 'bad name' must be"),
    ("tasks:\n  - {id: a, question: q, answer: x, min_calls: -1}\n",
     "task 1 (id 'a'): min_calls: Input should be greater than or equal to 0"),
    ("tasks:\n  - {id: a, question: q, calls: [{name: c}, {name: c}], min_calls: 1}\n",
     "task 1 (id 'a'): min_calls 1 disagrees with the 2 expected calls"),
    ("tasks:\n  - {id: a, question: q, calls: [], min_calls: 1}\n",
     "task 1 (id 'a'): min_calls 1 disagrees with the 0 expected calls"),
    ("tasks: [1, 2\n", "not valid YAML"),
    ("- just a list\n", "a mapping with a 'tasks' list"),
])
def test_bad_suites_say_which_task_and_field(tmp_path, text, message):
    with pytest.raises(SuiteError) as caught:
        load_suite(write(tmp_path, text))
    assert message in str(caught.value)
    assert str(tmp_path / "s.yaml") in str(caught.value)


def test_bad_jsonl_line_is_named(tmp_path):
    path = write(tmp_path, '{"id": "a", "question": "q", "answer": "x"}\n{"id": "b",\n',
                 "s.jsonl")
    with pytest.raises(SuiteError, match=r"s\.jsonl:2: not valid JSON"):
        load_suite(path)


def test_missing_docs_folder_is_reported(tmp_path):
    with pytest.raises(SuiteError, match="docs: folder .*nowhere does not exist"):
        load_suite(write(tmp_path, "docs: nowhere\ntasks:\n  - {id: a, question: q, answer: x}\n"))


@pytest.mark.parametrize(("text", "message"), [
    ("tasks:\n  - {id: a, question: q, answer: x, tools: [search_docs]}\n",
     "task 'a': unknown tool 'search_docs' (set 'docs' in the suite)"),
    ("tasks:\n  - {id: a, question: q, tools: [calculator], calls: [{name: get_x}]}\n",
     "task 'a': expected call of 'get_x', which is not one of the task's tools (calculator)"),
    (("tools:\n  - {python: 'no_such_module_xyz:tools'}\ntasks:\n"
     "  - {id: a, question: q, answer: x}\n"), "no module named 'no_such_module_xyz'"),
    ("tasks:\n  - {id: a, question: q, answer: x, tools: [calculator, calculator]}\n",
     "task 'a': tool 'calculator' is listed twice"),
])
def test_tool_references_are_checked(tmp_path, text, message):
    suite = load_suite(write(tmp_path, text))
    with pytest.raises(SuiteError, match=message.replace("(", r"\(").replace(")", r"\)")):
        SuiteToolbox(suite)


def test_tasks_without_tools_get_the_suite_tools_then_builtins(tmp_path, monkeypatch):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.md").write_text("# A\n\nalpha\n")
    (tmp_path / "my_suite_tools.py").write_text(
        'def shout(text: str) -> str:\n    """Upper-case the text."""\n    return text.upper()\n')
    monkeypatch.syspath_prepend(str(tmp_path))
    suite = load_suite(write(tmp_path, """
docs: docs
tools:
  - {name: lookup, default: found}
  - python: my_suite_tools:shout
tasks:
  - {id: a, question: q, answer: x}
  - {id: b, question: q, answer: x, tools: [calculator, shout]}
"""))
    toolbox = SuiteToolbox(suite)
    assert toolbox.registry(suite.tasks[0]).names() == [
        "lookup", "shout", "search_docs", "calculator"]
    assert toolbox.registry(suite.tasks[1]).names() == ["calculator", "shout"]


def test_python_tools_serialise_as_what_they_are(tmp_path):
    # The fingerprint of a suite is its JSON; a python tool entry must dump as itself (no
    # pydantic "expected MockTool" warning, no field lost), or resumed runs would not match.
    import warnings

    from toolweave.eval.suite.format import PythonTools

    suite = load_suite(write(tmp_path, """
tools:
  - {name: lookup, default: found}
  - python: my_suite_tools:shout
tasks:
  - {id: a, question: q, answer: x}
"""))
    assert isinstance(suite.tools[1], PythonTools)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        dumped = json.loads(suite.model_dump_json())
    assert dumped["tools"][1] == {"python": "my_suite_tools:shout"}
    assert dumped["tools"][0]["name"] == "lookup"


async def test_mock_tool_answers_by_case_then_default_then_error():
    from toolweave.eval.suite.tools import mock_tool
    from toolweave.types import ToolCall

    definition = MockTool.model_validate({
        "name": "stock",
        "parameters": {"type": "object", "properties": {"sku": {"type": "string"},
                                                         "n": {"type": "integer"}},
                       "required": ["sku"]},
        "cases": [{"when": {"sku": "W-1"}, "output": {"in_stock": 12}},
                  {"when": {"sku": "w-2", "n": 2}, "output": "two"}]})
    tool = mock_tool(definition)
    first = await tool.invoke(ToolCall(name="stock", arguments={"sku": "W-1", "n": 5}))
    assert first.ok and first.content == '{"in_stock":12}'
    # case-insensitive, whitespace-tolerant, numbers by value
    second = await tool.invoke(ToolCall(name="stock", arguments={"sku": " W-2 ", "n": 2.0}))
    assert second.content == "two"
    missing = await tool.invoke(ToolCall(name="stock", arguments={"sku": "W-9"}))
    assert not missing.ok and 'no result for {"sku": "W-9"}' in missing.content
    bad = await tool.invoke(ToolCall(name="stock", arguments={"n": 1}))
    assert bad.error == "invalid_arguments" and "'sku' is a required property" in bad.content
    fallback = mock_tool(definition.model_copy(update={"default": "none left"}))
    assert (await fallback.invoke(ToolCall(name="stock", arguments={"sku": "x"}))).content == \
        "none left"
