"""`TraceRecorder`: builds the `Trace` of a run and writes it as JSONL while it happens.

One JSON event per line (the format: `toolweave.trace_file`), flushed (and fsync'ed on close)
as soon as it exists: a run that is killed keeps every finished step, and each tool call is
recorded as it starts (``call_started``), so its trace shows the calls that were in flight.
`Trace.load` reads the file back. Listeners (the CLI's live view, say) get the same events.

A resumed run (`Agent.resume`) records into its old run: no new start, and the steps it
replays from the trace are not written again (`resuming`).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from toolweave.errors import ResumeError
from toolweave.runtime.repeats import signature
from toolweave.text import clean_text
from toolweave.trace_file import INTERRUPTED, ends_torn, event_line, save_trace, step_line
from toolweave.types import Completion, Step, ToolCall, Trace

__all__ = ["Listener", "TraceRecorder", "save_trace"]

Listener = Callable[[dict[str, Any]], None]


class TraceRecorder:
    """Collects one run's steps into ``trace`` and streams them to ``path`` and listeners."""

    def __init__(self, trace: Trace, path: str | Path | None = None,
                 listeners: list[Listener] | None = None, *,
                 resuming: Trace | None = None):
        """``resuming``: the recorded run (as read back) that this one continues; ``trace``
        then starts without its steps, which the strategy replays (`step`)."""
        self.trace = trace
        self.path = Path(path) if path else None
        self.listeners = list(listeners or [])
        self._file: TextIO | None = None
        self._replayed: list[Step] = list(resuming.steps) if resuming is not None else []
        self._pending: Completion | None = None  # the model turn of the step in flight
        self._started: dict[str, ToolCall] = {}  # calls started, in no recorded step yet
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file = open(self.path, "a", encoding="utf-8")
            if ends_torn(self.path):
                self._file.write("\n")  # a killed run's torn last line stays a line of its own
        if resuming is not None:
            self._emit({"event": "resume", "resumed_at": time.time(),
                        "replayed_steps": len(self._replayed)})
        elif self._file is not None or self.listeners:
            self._emit({"event": "start",
                        "trace": trace.model_dump(mode="json", exclude={"steps"})})

    @property
    def replaying(self) -> bool:
        """Whether the steps being recorded are still those of the trace being resumed."""
        return len(self.trace.steps) < len(self._replayed)

    def step(self, step: Step) -> Step:
        """Record a finished step (one replayed from the resumed trace is checked against the
        recorded one, not written again)."""
        if not step.ended_at:
            step.ended_at = time.time()
        if self._pending is not None and step.completion is self._pending:
            self._pending = None
        for call in step.calls:
            self._started.pop(call.id, None)
        if self._replayed and self.replaying:
            self._check_replayed(step)
            self.trace.steps.append(step)
            return step
        self.trace.steps.append(step)
        if self._file is not None:
            self._write(step_line(self.trace.id, step))
        if self.listeners:
            self._notify({"event": "step", "step": step.model_dump(mode="json")})
        return step

    def turn(self, completion: Completion) -> None:
        """A model turn finished: kept until its step is recorded, so that a call it makes
        records it too (a resumed run makes the step in flight again from it)."""
        self._pending = completion

    def call_started(self, call: ToolCall) -> None:
        """A tool call is about to run: recorded now, so a run killed or timed out during it
        shows which call was in flight."""
        self._started[call.id] = call
        if self._file is None and not self.listeners:
            return
        event: dict[str, Any] = {"event": "call_started", "step": len(self.trace.steps),
                                 "call": call.model_dump(mode="json")}
        if self._pending is not None:
            # sent once per step, with its first call; what a replay needs of it (the step
            # line has it whole once the step ends)
            event["completion"] = self._pending.model_dump(
                mode="json", exclude={"timings"}, exclude_defaults=True)
            self._pending = None
        self._emit(event)

    def meta(self, **values: Any) -> None:
        """Record run-level facts (e.g. retrieved tools) as they become known."""
        if self.replaying:
            # a resumed run replaying its steps sets its facts again: only changes are news
            values = {k: v for k, v in values.items()
                      if k not in self.trace.meta or self.trace.meta[k] != v}
            if not values:
                return
        self.trace.meta.update(values)
        self._emit({"event": "meta", "meta": values})

    def event(self, kind: str, **payload: Any) -> None:
        """A transient event for listeners only (e.g. a step starting); not part of the trace."""
        for listener in self.listeners:
            listener({"event": kind, **payload})

    def end(self, answer: str | None, stop_reason: str) -> Trace:
        """Close the run; safe to call once only (later calls are ignored)."""
        if self.trace.ended_at:
            return self.trace
        if self._started and stop_reason in INTERRUPTED:
            # the calls it was waiting for: what hung, or what a resumed run cannot know
            self.meta(in_flight=[c.model_dump(mode="json") for c in self._started.values()])
        answer = None if answer is None else clean_text(answer)
        self.trace.answer, self.trace.stop_reason = answer, stop_reason
        self.trace.ended_at = time.time()
        self._emit({"event": "end", "answer": answer, "stop_reason": stop_reason,
                    "ended_at": self.trace.ended_at})
        if self._file is not None:
            os.fsync(self._file.fileno())
            self._file.close()
            self._file = None
        return self.trace

    def _check_replayed(self, step: Step) -> None:
        """A replayed step must make the recorded step's calls: otherwise the strategy, the
        tools or the settings differ from the run's, and its record cannot be continued."""
        recorded = self._replayed[len(self.trace.steps)]
        made = [signature(c) for c in step.calls]
        if made != [signature(c) for c in recorded.calls] or step.kind != recorded.kind:
            raise ResumeError(
                f"the resumed run went another way at step {recorded.index} (it made "
                f"{_calls_text(step)}, the trace {_calls_text(recorded)}): resume with the "
                "strategy, tools and settings of the original run")

    def _emit(self, event: dict[str, Any]) -> None:
        if self._file is not None:
            self._write(event_line(self.trace.id, event))
        self._notify(event)

    def _write(self, line: str) -> None:
        # flushed per event: a run that is killed keeps every finished step
        self._file.write(line)
        self._file.flush()

    def _notify(self, event: dict[str, Any]) -> None:
        for listener in self.listeners:
            listener(event)


def _calls_text(step: Step) -> str:
    return f"a {step.kind} step" + (
        " calling " + ", ".join(c.name for c in step.calls) if step.calls else "")
