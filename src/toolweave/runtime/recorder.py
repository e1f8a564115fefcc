"""`TraceRecorder`: builds the `Trace` of a run and writes it as JSONL while it happens.

One JSON event per line, flushed (and fsync'ed on close) as soon as it exists: a run that is
killed keeps every finished step. `Trace.load` reads the file back. Listeners (the CLI's live
view, say) get the same events.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from toolweave.text import clean_text, clean_value
from toolweave.types import Step, Trace

Listener = Callable[[dict[str, Any]], None]


class TraceRecorder:
    """Collects one run's steps into ``trace`` and streams them to ``path`` and listeners."""

    def __init__(self, trace: Trace, path: str | Path | None = None,
                 listeners: list[Listener] | None = None):
        self.trace = trace
        self.path = Path(path) if path else None
        self.listeners = list(listeners or [])
        self._file: TextIO | None = None
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file = open(self.path, "a", encoding="utf-8")
            if _ends_torn(self.path):
                self._file.write("\n")  # a killed run's torn last line stays a line of its own
        if self._file is not None or self.listeners:
            self._emit({"event": "start",
                        "trace": trace.model_dump(mode="json", exclude={"steps"})})

    def step(self, step: Step) -> Step:
        """Record a finished step."""
        step.ended_at = step.ended_at or time.time()
        self.trace.steps.append(step)
        if self._file is not None:
            # pydantic-core writes the step's JSON directly: no dict tree, no json.dumps
            self._write(f'{{"event": "step", "run": "{self.trace.id}", "step": '
                        + step.model_dump_json() + "}\n")
        if self.listeners:
            self._notify({"event": "step", "step": step.model_dump(mode="json")})
        return step

    def meta(self, **values: Any) -> None:
        """Record run-level facts (e.g. retrieved tools) as they become known."""
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

    def _emit(self, event: dict[str, Any]) -> None:
        if self._file is not None:
            # meta values (a server's error text) are not validated types: cleaned here
            # every line names its run: runs appended to one file never mix (`Trace.load`)
            line = {"event": event["event"], "run": self.trace.id, **event}
            self._write(json.dumps(clean_value(line), ensure_ascii=False) + "\n")
        self._notify(event)

    def _write(self, line: str) -> None:
        # flushed per event: a run that is killed keeps every finished step
        self._file.write(line)
        self._file.flush()

    def _notify(self, event: dict[str, Any]) -> None:
        for listener in self.listeners:
            listener(event)


def _ends_torn(path: Path) -> bool:
    """Whether the file at ``path`` ends inside a line (a run killed while writing it)."""
    try:
        with open(path, "rb") as f:
            if f.seek(0, os.SEEK_END) == 0:
                return False
            f.seek(-1, os.SEEK_END)
            return f.read(1) != b"\n"
    except OSError:
        return False


def save_trace(trace: Trace, path: str | Path) -> Path:
    """Write a finished ``trace`` to ``path`` (replacing it) in the event format above, e.g. a
    trace that was recorded on another machine; `Trace.load` reads it back."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    events = [{"event": "start", "trace": trace.model_dump(mode="json", exclude={"steps"})},
              *({"event": "step", "step": s.model_dump(mode="json")} for s in trace.steps),
              {"event": "end", "answer": trace.answer, "stop_reason": trace.stop_reason,
               "ended_at": trace.ended_at}]
    path.write_text("".join(json.dumps(e, ensure_ascii=False) + "\n" for e in events),
                    encoding="utf-8")
    return path
