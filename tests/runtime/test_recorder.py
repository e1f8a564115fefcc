"""`TraceRecorder` writes each event as it happens, and the file reads back as the trace."""

from __future__ import annotations

import json

import pytest

from toolweave.runtime.recorder import TraceRecorder
from toolweave.types import Observation, Step, ToolCall, Trace


def test_steps_are_flushed_as_they_happen_and_read_back(tmp_path):
    path = tmp_path / "t.jsonl"
    events = []
    recorder = TraceRecorder(Trace(question="Où est Zürich?"), path, [events.append])
    call = ToolCall(name="lookup", arguments={"city": "Zürich", "n": [1, 2.5, None]})
    recorder.step(Step(index=0, thought="Je cherche…", calls=[call], observations=[
        Observation(call_id=call.id, tool="lookup", content="47.37° N")]))
    # on disk before the run ends: a killed run keeps its finished steps
    lines = path.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["event"] for line in lines] == ["start", "step"]
    recorder.end("En Suisse.", "answer")

    loaded = Trace.load(path)
    assert loaded.model_dump() == recorder.trace.model_dump()
    assert [e["event"] for e in events] == ["start", "step", "end"]
    assert events[1]["step"]["calls"][0]["arguments"]["city"] == "Zürich"


def test_without_file_or_listeners_nothing_is_serialised():
    recorder = TraceRecorder(Trace(question="q"))
    recorder.step(Step(index=0))
    assert recorder.end("a", "answer").steps[0].index == 0


def test_runs_appended_after_a_torn_line_never_mix(tmp_path):
    path = tmp_path / "t.jsonl"
    a = TraceRecorder(Trace(question="run A"), path)
    a.step(Step(index=0, thought="A's step"))
    a._file.write('{"event": "step", "run": "' + a.trace.id + '", "step": {"ind')  # killed
    a._file.close()
    a._file = None

    b = TraceRecorder(Trace(question="run B"), path)
    b.step(Step(index=0, thought="B's step"))
    b.end("B's answer", "answer")

    last = Trace.load(path)
    assert (last.question, [s.thought for s in last.steps], last.answer) == \
        ("run B", ["B's step"], "B's answer")
    first = Trace.load(path, run=a.trace.id)
    assert (first.question, [s.thought for s in first.steps], first.answer) == \
        ("run A", ["A's step"], None)
    with pytest.raises(ValueError, match="run_nope"):
        Trace.load(path, run="run_nope")


def test_the_trace_format_is_written_and_read_by_one_module(tmp_path):
    from toolweave import trace_file
    from toolweave.runtime import recorder

    trace = Trace(question="q\ud800", answer="a")  # a lone surrogate is cleaned on the way out
    path = trace_file.save_trace(trace, tmp_path / "t.jsonl")
    lines = path.read_text().splitlines()
    assert all(json.loads(line)["run"] == trace.id for line in lines)
    again = Trace.load(path)
    assert (again.id, again.question, again.answer) == (trace.id, "q\ufffd", "a")
    # the recorder writes through the same functions (no second copy of the format)
    assert recorder.event_line is trace_file.event_line
    assert recorder.step_line is trace_file.step_line


def test_calls_are_recorded_as_they_start_and_listed_when_the_run_stops_on_them(tmp_path):
    path = tmp_path / "t.jsonl"
    recorder = TraceRecorder(Trace(question="q"), path)
    first, hung = ToolCall(name="lookup", arguments={"x": 1}), ToolCall(name="send")
    recorder.call_started(first)
    recorder.step(Step(index=0, calls=[first], observations=[
        Observation(call_id=first.id, tool="lookup", content="1")]))
    recorder.call_started(hung)
    started = [json.loads(line) for line in path.read_text().splitlines()
               if '"call_started"' in line]
    assert [(e["step"], e["call"]["name"]) for e in started] == [(0, "lookup"), (1, "send")]
    # a killed run: the file alone says what was in flight
    assert [c["name"] for c in Trace.load(path).meta["in_flight"]] == ["send"]
    recorder.end(None, "timeout")
    assert [c["name"] for c in Trace.load(path).meta["in_flight"]] == ["send"]


def test_a_run_that_finished_lists_no_calls_in_flight(tmp_path):
    path = tmp_path / "t.jsonl"
    recorder = TraceRecorder(Trace(question="q"), path)
    recorder.call_started(ToolCall(name="cancelled_on_purpose"))  # a DAG's, after a bad plan
    recorder.end("done", "answer")
    assert "in_flight" not in Trace.load(path).meta
