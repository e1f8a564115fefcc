"""The trace's JSONL format, written and read in one place.

One JSON event per line: ``start`` (the trace without its steps), ``step``, ``meta``, ``end``,
plus ``call_started`` (a tool call as it starts, with the model turn that made it when that
turn's step is not recorded yet) and ``resume`` (a killed run continued, `Agent.resume`).
Every line names its run (``"run": <trace id>``), so runs appended to one file never mix, even
after a killed run's torn last line. `runtime.recorder` writes the lines as a run goes;
`read_trace` (`Trace.load`) reads a run back; `read_run` adds the calls left in flight;
`save_trace` writes a finished trace at once.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from toolweave.text import clean_value
from toolweave.types import Completion, Step, ToolCall, Trace

# how a run ended when it was cut short rather than finished by its strategy: such a run may
# have calls in flight, and can be resumed
INTERRUPTED = frozenset({"", "timeout", "cancelled", "error"})


@dataclass
class RunRecord:
    """One run as its trace file holds it: the `Trace`, and what it left in flight.

    ``in_flight``: calls that started but are in no recorded step (their results are lost),
    oldest first; ``pending``: the model turn of the step in flight, when it was recorded with
    its first call (so a resumed run can make that step again without asking the model)."""

    trace: Trace
    in_flight: list[ToolCall] = field(default_factory=list)
    pending: Completion | None = None


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
    step before it is kept. A line of another run is never read into this one. A run cut
    short with calls in flight lists them in ``meta["in_flight"]``."""
    return read_run(path, run).trace


def read_run(path: str | Path, run: str | None = None) -> RunRecord:
    """`read_trace`, with the calls the run left in flight and the model turn that made them
    (`RunRecord`). Raises ValueError for a file that holds no readable toolweave run."""
    try:
        text = Path(path).read_bytes().decode("utf-8", errors="replace")
    except OSError as exc:
        raise ValueError(f"cannot read trace {path}: {exc.strerror or exc}") from exc
    try:
        return _read(text, path, run)
    except (ValidationError, KeyError, TypeError, AttributeError) as exc:
        # a line of the right shape whose content is not a toolweave event's
        raise ValueError(f"{path} is not a readable toolweave trace: "
                         f"{type(exc).__name__}: {str(exc)[:300]}") from exc


def _read(text: str, path: str | Path, run: str | None) -> RunRecord:
    record = fold_events(_events(text), run)
    if record is None:
        raise ValueError(f"{path} holds no toolweave trace"
                         + (f" of run {run!r}" if run else " (no start event)"))
    return record


def _events(text: str) -> Iterator[dict[str, Any]]:
    for line in text.splitlines():
        try:
            event = json.loads(line)
        except json.JSONDecodeError:
            continue  # the torn last line of a killed run
        if isinstance(event, dict):
            yield event


def fold_events(events: Iterable[dict[str, Any]], run: str | None = None) -> RunRecord | None:
    """The run that ``events`` (the recorder's events, as dicts, from a file or elsewhere: the
    server's run store) describe: the run ``run``, by default the last one started; None when
    no run started. Events of other runs and transient ones (``step_start``…) are skipped."""
    trace: Trace | None = None
    started: list[tuple[int, ToolCall, dict[str, Any] | None]] = []
    for event in events:
        kind = event.get("event")
        if kind == "start":
            if run is None or event["trace"].get("id") == run:
                trace = Trace.model_validate(event["trace"])
                started = []
            continue
        if trace is None or event.get("run", trace.id) != trace.id:
            continue  # another run's line (lines before run ids named none)
        if kind == "step":
            trace.steps.append(Step.model_validate(event["step"]))
        elif kind == "call_started":
            started.append((event.get("step", 0), ToolCall.model_validate(event["call"]),
                            event.get("completion")))
        elif kind == "meta":
            trace.meta.update(event["meta"])
        elif kind == "resume":
            trace.meta.pop("in_flight", None)  # what was in flight is the resume's to settle
        elif kind == "end":
            trace.answer = event.get("answer")
            trace.stop_reason = event.get("stop_reason", "")
            trace.ended_at = event.get("ended_at", 0.0)
    if trace is None:
        return None
    return _with_in_flight(trace, started)


def _with_in_flight(trace: Trace, started: list[tuple[int, ToolCall, dict[str, Any] | None]]
                    ) -> RunRecord:
    """The record of ``trace``, given the calls it started: those in no recorded step were in
    flight when it stopped (only a run cut short has any worth reporting: a finished one's
    calls cancelled on purpose, a DAG's after an invalid plan, say, were not lost)."""
    record = RunRecord(trace)
    if trace.stop_reason not in INTERRUPTED:
        return record
    record.in_flight = [call for index, call, _ in started
                        if not any(_same(call, c) for s in trace.steps[index:] for c in s.calls)]
    # the turn of the step in flight: sent with that step's first call
    pending = [c for index, _, c in started if index >= len(trace.steps) and c is not None]
    record.pending = Completion.model_validate(pending[0]) if pending else None
    if record.in_flight:
        trace.meta["in_flight"] = [c.model_dump(mode="json") for c in record.in_flight]
    return record


def _same(a: ToolCall, b: ToolCall) -> bool:
    # by id, or by what it asks (a resumed run's parser gives the same call a new id)
    return a.id == b.id or (a.name == b.name and a.arguments == b.arguments)


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
