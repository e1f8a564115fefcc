"""The trace's JSONL format, written and read in one place.

One JSON event per line: ``start`` (the trace without its steps), ``step``, ``meta``, ``end``.
Every line names its run (``"run": <trace id>``), so runs appended to one file never mix, even
after a killed run's torn last line. `runtime.recorder` writes the lines as a run goes;
`read_trace` (`Trace.load`) reads a run back; `save_trace` writes a finished trace at once.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from toolweave.text import clean_value
from toolweave.types import Step, Trace


def event_line(run: str, event: dict[str, Any]) -> str:
    """One event as its line, naming ``run``; values are cleaned (meta values such as a
    server's error text are not validated types)."""
    line = {"event": event["event"], "run": run, **event}
    return json.dumps(clean_value(line), ensure_ascii=False) + "\n"


def step_line(run: str, step: Step) -> str:
    """A step's line: pydantic-core writes the step's JSON directly (no dict tree, no
    json.dumps), as this is the line written at every step."""
    return f'{{"event": "step", "run": "{run}", "step": ' + step.model_dump_json() + "}\n"


def ends_torn(path: Path) -> bool:
    """Whether the file at ``path`` ends inside a line (a run killed while writing it)."""
    try:
        with open(path, "rb") as f:
            if f.seek(0, os.SEEK_END) == 0:
                return False
            f.seek(-1, os.SEEK_END)
            return f.read(1) != b"\n"
    except OSError:
        return False


def read_trace(path: str | Path, run: str | None = None) -> Trace:
    """The run ``run`` (an id) of the trace file at ``path``, by default the last one started
    in it. A run killed mid-write leaves a partial last line; it is skipped, and every finished
    step before it is kept. A line of another run is never read into this one."""
    trace: Trace | None = None
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        try:
            event = json.loads(line)
        except json.JSONDecodeError:
            continue  # the torn last line of a killed run
        if not isinstance(event, dict):
            continue
        kind = event.get("event")
        if kind == "start":
            if run is None or event["trace"].get("id") == run:
                trace = Trace.model_validate(event["trace"])
            continue
        if trace is None or event.get("run", trace.id) != trace.id:
            continue  # another run's line (lines before run ids named none)
        if kind == "step":
            trace.steps.append(Step.model_validate(event["step"]))
        elif kind == "meta":
            trace.meta.update(event["meta"])
        elif kind == "end":
            trace.answer = event.get("answer")
            trace.stop_reason = event.get("stop_reason", "")
            trace.ended_at = event.get("ended_at", 0.0)
    if trace is None:
        raise ValueError(f"{path} holds no toolweave trace"
                         + (f" of run {run!r}" if run else " (no start event)"))
    return trace


def save_trace(trace: Trace, path: str | Path) -> Path:
    """Write a finished ``trace`` to ``path`` (replacing it), e.g. a trace that was recorded
    on another machine; `read_trace` reads it back."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    events = [{"event": "start", "trace": trace.model_dump(mode="json", exclude={"steps"})},
              *({"event": "step", "step": s.model_dump(mode="json")} for s in trace.steps),
              {"event": "end", "answer": trace.answer, "stop_reason": trace.stop_reason,
               "ended_at": trace.ended_at}]
    path.write_text("".join(event_line(trace.id, e) for e in events), encoding="utf-8")
    return path
