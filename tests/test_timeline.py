"""The timeline picture: bars for model calls and tool calls, overlaps visible."""

from __future__ import annotations

from toolweave.timeline import LLM_ROW, draw_timeline, timeline_bars
from toolweave.types import Completion, Observation, Step, Timings, ToolCall, Trace, Usage

T0 = 1_700_000_000.0


def _trace() -> Trace:
    def obs(tool: str, start: float, end: float, ok: bool = True) -> Observation:
        return Observation(call_id=f"c{start}", tool=tool, content="x", ok=ok,
                           started_at=T0 + start, ended_at=T0 + end)

    def completion(total: float, out: int) -> Completion:
        return Completion(text="...", timings=Timings(total_s=total),
                          usage=Usage(prompt_tokens=900, prompt_tokens_evaluated=300,
                                      completion_tokens=out))

    plan = Step(index=0, kind="act", started_at=T0 + 0.0, completion=completion(1.0, 40),
                calls=[ToolCall(name="search"), ToolCall(name="search"),
                       ToolCall(name="weather")],
                observations=[obs("search", 1.0, 2.5), obs("search", 1.1, 2.0),
                              obs("weather", 1.2, 1.8, ok=False)])
    answer = Step(index=1, kind="answer", started_at=T0 + 2.6, completion=completion(0.8, 20))
    return Trace(question="Weather and news in Oslo and Lima?", strategy="dag",
                 started_at=T0, ended_at=T0 + 3.5, steps=[plan, answer])


def test_bars_and_overlap(tmp_path):
    out = tmp_path / "timeline.png"
    bars = draw_timeline(_trace(), out)
    assert out.exists() and out.stat().st_size > 5_000
    llm = [b for b in bars if b[0] == LLM_ROW]
    assert [(round(s, 3), round(e, 3)) for _, s, e in llm] == [(0.0, 1.0), (2.6, 3.4)]
    tools = sorted(b for b in bars if b[0] != LLM_ROW)
    assert {b[0] for b in tools} == {"search", "weather"}
    # all three tool calls ran at once: every pair overlaps
    for i, (_, s1, e1) in enumerate(tools):
        for _, s2, e2 in tools[i + 1:]:
            assert s1 < e2 and s2 < e1
    # and the tools started after the model call that asked for them ended
    assert min(s for _, s, _ in tools) >= llm[0][2]


def test_labels_and_untimed_observations():
    trace = _trace()
    trace.steps[0].observations.append(Observation(call_id="z", tool="search", content=""))
    bars = timeline_bars(trace)
    assert bars[0][3] == "300+40 tok"  # evaluated prompt tokens + generated
    assert len(bars) == 5  # the observation without timings is left out
    assert any(label == "error" for *_, label in bars)


def test_empty_trace_draws(tmp_path):
    out = tmp_path / "empty.png"
    assert draw_timeline(Trace(question="q"), out) == []
    assert out.exists()
