"""Lone surrogates (a "\\ud800" escape in JSON, a file name that is not UTF-8) never reach a
writer: they become U+FFFD at the types' boundary, and the run and its trace survive."""

import json

from toolweave import Agent, Scripted, tool
from toolweave.runtime.recorder import TraceRecorder
from toolweave.text import clean_value
from toolweave.types import Message, Observation, ToolCall, Trace


@tool
def listing(folder: str) -> str:
    """The file names in ``folder``."""
    return "report.txt\nbad-\udcff-name.txt"  # as os.listdir gives a non-UTF-8 byte


def test_a_run_with_surrogates_everywhere_ends_and_its_trace_reads_back(tmp_path):
    reply = ('<tool_call>\n{"name": "listing", "arguments": {"folder": "docs\\ud800"}}'
             '\n</tool_call>')
    path = tmp_path / "run.jsonl"
    trace = Agent(Scripted([reply, "Two files \ud800."]), [listing], grounded=False).run(
        "List docs\udc80.", trace_path=path)
    assert trace.stop_reason == "answer"
    [obs] = trace.steps[0].observations
    assert obs.ok and obs.content == "report.txt\nbad-\ufffd-name.txt"
    assert trace.steps[0].calls[0].arguments == {"folder": "docs\ufffd"}
    assert trace.question == "List docs\ufffd." and trace.answer == "Two files \ufffd."
    again = Trace.load(path)
    assert again.answer == trace.answer and again.steps[0].observations[0].content == obs.content
    path.read_bytes().decode("utf-8")  # strict: the file is valid UTF-8


def test_every_text_field_and_nested_argument_is_cleaned():
    call = ToolCall(name="f\ud800", arguments={"k\udfff": ["x\ud800", {"y": "\udc00"}], "n": 1})
    assert call.name == "f\ufffd"
    assert call.arguments == {"k\ufffd": ["x\ufffd", {"y": "\ufffd"}], "n": 1}
    assert Message(role="user", content="a\ud800").content == "a\ufffd"
    assert Observation(call_id="c", tool="t", content="\ud800", hint="\udfff").hint == "\ufffd"
    assert clean_value(("tuple", 1)) == ("tuple", 1)  # only JSON's kinds are walked
    assert "😀" == Message(role="user", content="😀").content  # real characters stay


def test_recorder_meta_with_a_surrogate_is_written(tmp_path):
    path = tmp_path / "t.jsonl"
    recorder = TraceRecorder(Trace(question="q"), path)
    recorder.meta(error="server said \ud800")
    recorder.end("a\ud800", "answer")
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert any("\ufffd" in json.dumps(line, ensure_ascii=False) for line in lines)
    assert lines[-1]["answer"] == "a\ufffd"


def test_arguments_nested_past_the_limit_are_a_clear_parse_error_and_the_run_goes_on(tmp_path):
    deep: dict = {}
    cur = deep
    for _ in range(300):  # parses fine; no writer could serialise it
        cur["a"] = {}
        cur = cur["a"]
    reply = "<tool_call>\n" + json.dumps({"name": "listing", "arguments": {"folder": deep}}) \
        + "\n</tool_call>"
    path = tmp_path / "run.jsonl"
    trace = Agent(Scripted([reply, "Nothing to show."]), [listing], grounded=False).run(
        "List docs.", trace_path=path)
    assert trace.stop_reason == "answer" and trace.answer == "Nothing to show."
    assert trace.steps[0].kind == "error" and "nested deeper than 64" in trace.steps[0].error
    assert len(Trace.load(path).steps) == 2


def test_clean_value_cleans_every_kind_of_arguments_and_keeps_clean_ones_as_they_are():
    clean = {"city": "Paris", "count": 2, "scale": 1.5, "exact": True, "unit": None}
    assert clean_value(clean) is clean  # nothing to clean: no copy
    assert clean_value({"city\ud800": "x"}) == {"city\ufffd": "x"}
    assert clean_value({"city": "Z\udcffrich", "n": 1}) == {"city": "Z\ufffdrich", "n": 1}
    assert clean_value({"tags": ["a\ud800"], "n": 1}) == {"tags": ["a\ufffd"], "n": 1}
    assert clean_value({"city": "Zürich"}) == {"city": "Zürich"}  # real characters stay
    assert ToolCall(name="t", arguments={"q": "\ud800"}).arguments == {"q": "\ufffd"}
