"""The native OpenAI format, and the format registry."""

from __future__ import annotations

import pytest

from toolweave.formats import FORMATS, ToolFormat, get_format
from toolweave.types import Completion, ToolCall, ToolSpec

FMT = get_format("openai")
TOOL = ToolSpec(name="add", parameters={"type": "object", "properties": {}})


def test_tools_go_to_the_backend():
    assert FMT.native and FMT.render([TOOL]) == "" and FMT.grammar([TOOL]) is None


def test_structured_calls_are_taken_as_they_are():
    call = ToolCall(id="call_1", name="add", arguments={"a": 1})
    turn = FMT.parse_completion(Completion(text=" thinking ", tool_calls=[call]))
    assert turn.ok and turn.text == "thinking" and turn.calls == [call]


def test_calls_left_in_the_text_are_read_as_hermes():
    turn = FMT.parse_completion(Completion(
        text='<tool_call>\n{"name": "add", "arguments": {"a": 1}}\n</tool_call>'))
    assert turn.ok and turn.calls[0].arguments == {"a": 1}
    cut = FMT.parse_completion(Completion(
        text='<tool_call>\n{"name": "add", "arguments": {"a": 1}}', finish_reason="length"))
    assert not cut.ok


def test_calls_copied_from_qwen_coder_template_doubled_braces():
    # Qwen2.5-Coder-1.5B's own answers under its chat template (bench/bfcl_table, openai)
    for text, args in [('{{"name": "math_factorial", "arguments": {"number": 5}}}', {"number": 5}),
                       ('{{"name": "math_hypot", "arguments": {"x": 4, "y": 5}}}}',
                        {"x": 4, "y": 5})]:
        turn = FMT.parse_completion(Completion(text=text))
        assert turn.ok and turn.text == "" and turn.calls[0].arguments == args


def test_history_and_results():
    calls = [ToolCall(id="c1", name="add", arguments={}), ToolCall(id="c2", name="add")]
    message = FMT.assistant_message("", calls)
    assert message.role == "assistant" and message.tool_calls == calls
    results = FMT.results_messages(calls, ["1", "2"])
    assert [(m.role, m.tool_call_id, m.content) for m in results] == [
        ("tool", "c1", "1"), ("tool", "c2", "2")]
    with pytest.raises(ValueError):
        FMT.results_messages(calls, [])


def test_registry():
    assert list(FORMATS) == ["hermes", "openai", "glm-xml", "plaintext"]
    assert all(isinstance(f, ToolFormat) for f in FORMATS.values())
    assert [f.name for f in FORMATS.values()] == list(FORMATS)
    assert [n for n, f in FORMATS.items() if f.native] == ["openai"]
    with pytest.raises(ValueError, match="hermes, openai, glm-xml, plaintext"):
        get_format("xml")
    assert get_format("hermes") is FORMATS["hermes"]
    assert get_format("glm-xml", [TOOL]).tools == {"add": TOOL}


def test_parse_of_non_text_does_not_raise():
    for fmt in FORMATS.values():
        assert not fmt.parse(None).ok  # type: ignore[arg-type]
