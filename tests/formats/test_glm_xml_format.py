"""The GLM-4.5 XML format: raw strings, typed values, whitespace tolerance, reported errors."""

from __future__ import annotations

import pytest

from toolweave.formats import get_format
from toolweave.types import Completion, ToolCall, ToolSpec

RUN = ToolSpec(name="run", description="Run code.", parameters={
    "type": "object", "properties": {
        "code": {"type": "string"}, "timeout": {"type": "integer"},
        "verbose": {"type": "boolean"}, "files": {"type": "array"}, "label": {"type": "string"}},
    "required": ["code"]})
BOUND = get_format("glm-xml", [RUN])
UNBOUND = get_format("glm-xml")


def test_render_is_the_glm_tools_block():
    text = UNBOUND.render([RUN])
    assert text.startswith("# Tools\n\nYou may call one or more functions")
    assert '\n{"name": "run", "description": "Run code.", "parameters": {' in text
    assert text.endswith(
        "For each function call, output the function name and arguments within the following "
        "XML format:\n<tool_call>{function-name}\n<arg_key>{arg-key-1}</arg_key>\n"
        "<arg_value>{arg-value-1}</arg_value>\n<arg_key>{arg-key-2}</arg_key>\n"
        "<arg_value>{arg-value-2}</arg_value>\n...\n</tool_call>")


CODE = 'print("a < b")\nif x:\n    y = {"k": \'v\'}\n'


def test_strings_are_raw_and_other_values_typed():
    text = (f"I'll run it.\n<tool_call>run\n<arg_key>code</arg_key>\n<arg_value>{CODE}"
            "</arg_value>\n<arg_key>timeout</arg_key>\n<arg_value>30</arg_value>\n"
            "<arg_key>verbose</arg_key>\n<arg_value>true</arg_value>\n"
            '<arg_key>files</arg_key>\n<arg_value>["a.py"]</arg_value>\n'
            "<arg_key>label</arg_key>\n<arg_value>123</arg_value>\n</tool_call>")
    turn = BOUND.parse(text)
    assert turn.ok and turn.text == "I'll run it."
    assert turn.calls[0].arguments == {"code": CODE, "timeout": 30, "verbose": True,
                                       "files": ["a.py"], "label": "123"}
    # unbound: JSON when it parses, else the raw string
    assert UNBOUND.parse(text).calls[0].arguments["label"] == 123
    assert UNBOUND.parse(text).calls[0].arguments["code"] == CODE


def test_newer_templates_without_newlines_parse_the_same():
    text = ("<tool_call>run<arg_key>code</arg_key><arg_value>x = 1</arg_value>"
            "<arg_key> timeout </arg_key>  <arg_value>5</arg_value></tool_call>"
            "<tool_call>run<arg_key>code</arg_key><arg_value>y</arg_value></tool_call>")
    turn = BOUND.parse(text)
    assert turn.ok
    assert [c.arguments for c in turn.calls] == [{"code": "x = 1", "timeout": 5}, {"code": "y"}]


def test_values_may_contain_other_tags():
    code = "s = '<tool_call>x</tool_call><arg_key>'"
    turn = BOUND.parse(f"<tool_call>run\n<arg_key>code</arg_key>\n<arg_value>{code}</arg_value>"
                       "\n</tool_call>")
    assert turn.ok and turn.calls[0].arguments == {"code": code}


def test_missing_close_tag_at_the_end_is_tolerated_unless_cut_off():
    text = "<tool_call>run\n<arg_key>code</arg_key>\n<arg_value>1</arg_value>\n"
    assert BOUND.parse(text).ok and BOUND.parse(text).calls[0].arguments == {"code": "1"}
    turn = BOUND.parse_completion(Completion(text=text, finish_reason="length"))
    assert turn.calls == [] and "cut off" in turn.errors[0].message


@pytest.mark.parametrize("body,message", [
    ("run\n<arg_key>code</arg_key>\n<arg_value>unclosed", "not closed"),
    ("run\n<arg_key>code<arg_value>1</arg_value>", "must be closed"),
    ("run\n<arg_key>code</arg_key>\n1</tool_call>", "must be closed and followed"),
    ("run\ncode=1\n</tool_call>", "expected <arg_key>"),
    ("\n<arg_key>code</arg_key><arg_value>1</arg_value></tool_call>", "the tool's name"),
    ('\n{"name": "run", "arguments": {}}\n</tool_call>', "expected <arg_key>"),
])
def test_malformed_calls_are_reported_and_others_kept(body, message):
    good = "<tool_call>run\n<arg_key>code</arg_key>\n<arg_value>ok</arg_value>\n</tool_call>"
    turn = BOUND.parse(f"{good}\n<tool_call>{body}")
    assert [c.arguments for c in turn.calls] == [{"code": "ok"}]
    assert len(turn.errors) == 1 and message in turn.errors[0].message, turn.errors
    assert turn.errors[0].snippet.startswith("<tool_call>")


def test_history_and_results():
    call = ToolCall(name="run", arguments={"code": "a\nb", "timeout": 3, "label": "7"})
    message = BOUND.assistant_message("Running.", [call])
    assert message.tool_calls == []
    assert message.content == (
        "Running.\n<tool_call>run\n<arg_key>code</arg_key>\n<arg_value>a\nb</arg_value>\n"
        "<arg_key>timeout</arg_key>\n<arg_value>3</arg_value>\n<arg_key>label</arg_key>\n"
        "<arg_value>7</arg_value>\n</tool_call>")
    # unbound, a string that reads as JSON is written as a JSON string to come back a string
    assert "<arg_value>\"7\"</arg_value>" in UNBOUND.assistant_message("", [call]).content
    [results] = BOUND.results_messages([call], ['{"ok": true}'])
    assert results.role == "user"
    assert results.content == '<tool_response>\n{"ok": true}\n</tool_response>'


def test_json_values_never_contain_the_value_end_tag():
    call = ToolCall(name="run", arguments={"code": "x", "files": ["</arg_value>"]})
    text = BOUND.assistant_message("", [call]).content
    assert text.count("</arg_value>") == 2
    assert BOUND.parse(text).calls[0].arguments == call.arguments


def test_a_call_without_its_tool_call_tag_is_reported_not_taken_as_the_answer():
    # what Qwen-0.5B writes under glm-xml when left free
    turn = BOUND.parse("<math_factorial>\n<arg_key>number</arg_key>\n<arg_value>5</arg_value>\n"
                       "</math_factorial>")
    assert not turn.calls and len(turn.errors) == 1
    assert "outside a call" in turn.errors[0].message
    assert "<arg_key>number" in turn.errors[0].snippet
