"""Resuming a killed run from its trace: the strategy runs again from the start, but its
finished steps are replayed rather than redone.

`Replay` answers the run's model turns with the completions its trace recorded, and its tool
calls with the recorded observations (matched by tool and arguments, in order), until the
recorded turns run out; from there the real model and tools take over. The strategy thus
rebuilds its state (messages, repeat guard, budgets) exactly as it was, with no change to any
strategy, and continues from the next step.

Calls that were in flight when the run stopped have no recorded result. An idempotent one
(`Tool.idempotent`) simply runs again when the replayed turn makes it; any other gets an
``outcome_unknown`` observation instead, and is never run again in this run.

`RunContext.model_turn` and `RunContext.invoke`, through which every strategy's model turns
and calls pass, consult the replay.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterable

from toolweave.errors import ResumeError, RunFinished
from toolweave.runtime.executor import NOT_RUN
from toolweave.runtime.repeats import signature
from toolweave.tools.registry import ToolRegistry
from toolweave.trace_file import INTERRUPTED, RunRecord
from toolweave.types import Completion, Observation, ToolCall

__all__ = ["OUTCOME_UNKNOWN", "Replay", "ResumeError", "RunFinished", "check_resumable"]

OUTCOME_UNKNOWN = "outcome_unknown"
# observations of calls that ran no tool: a repeat the guard answered, a name no tool had
_NO_TOOL_RAN = NOT_RUN | {"unknown_tool"}


class Replay:
    """What a resumed run replays: the recorded model turns and call results, and the calls
    whose outcome is unknown."""

    def __init__(self, record: RunRecord, tools: ToolRegistry):
        steps = record.trace.steps
        self.completions: deque[Completion] = deque(
            s.completion for s in steps if s.completion is not None)
        if record.pending is not None:
            self.completions.append(record.pending)
        results: dict[str, deque[Observation]] = {}
        for step in steps:
            for call, obs in zip(step.calls, step.observations, strict=False):
                if obs.error not in NOT_RUN:  # the guard, not the tool, answered those
                    results.setdefault(signature(call), deque()).append(obs)
        self._results = results
        # in flight when the run stopped, and not safe to run again
        self.unknown = [c for c in record.in_flight
                        if c.name in tools and not tools.get(c.name).idempotent]
        self._blocked = {signature(c): c for c in self.unknown}
        self.rerun = [c for c in record.in_flight if signature(c) not in self._blocked]
        self._lost = {signature(c) for c in record.in_flight}  # may run while replaying
        self._finished_turns = len(self.completions) - (record.pending is not None)
        self._turns = 0  # recorded turns replayed so far
        self.live = False  # True once the recorded turns are used up
        self.diverged: str | None = None  # why the replay cannot go on, once it cannot

    def completion(self) -> Completion | None:
        """The next recorded model turn, or None once they are used up (the run is live from
        then on: later calls run for real)."""
        if self.diverged:
            raise ResumeError(self.diverged)
        if self.completions:
            self._turns += 1
            return self.completions.popleft()
        self.live = True
        return None

    def answer(self, call: ToolCall) -> Observation | None:
        """The observation ``call`` gets without running: its recorded result while the
        replay lasts, or an unknown outcome for a call that was in flight; None to run it."""
        sig = signature(call)
        if sig in self._blocked:
            before = self._blocked[sig]
            now = time.time()
            return Observation(
                call_id=call.id, tool=call.name, ok=False, error=OUTCOME_UNKNOWN,
                started_at=now, ended_at=now, hint="Do not assume it succeeded or failed; "
                "tell the user its outcome is unknown.",
                content=(f"{call.name}({_arguments(before)}) was started before the run "
                         "was interrupted; whether it completed is unknown. It is not run "
                         "again, since it is not safe to repeat."))
        recorded = self._results.get(sig)
        if self.live:
            return None
        if recorded:
            return recorded.popleft().model_copy(update={"call_id": call.id})
        if self._turns <= self._finished_turns and sig not in self._lost:
            # a finished step making a call its record does not have: the run is going
            # another way (other settings, tools or code), and this call must not run
            self.diverged = (f"the resumed run went another way: a replayed step called "
                             f"{call.name}({_arguments(call)}), which the trace never ran; "
                             "resume with the tools of the original run")
            raise ResumeError(self.diverged)
        return None


def check_resumable(record: RunRecord, tools: ToolRegistry, path: object) -> None:
    """Raise `RunFinished` for a run that ended on its own, `ResumeError` for one whose
    calls name tools ``tools`` lacks."""
    trace = record.trace
    if trace.stop_reason not in INTERRUPTED:
        answer = f"; its answer: {trace.answer}" if trace.answer else ""
        raise RunFinished(f"run {trace.id} in {path} already finished (stop: "
                          f"{trace.stop_reason}, {len(trace.steps)} steps): nothing to "
                          f"resume{answer}", trace)
    # a call to a name that was no tool then (a model's slip) needs no tool now
    called = _called((c for s in trace.steps
                      for c, o in zip(s.calls, s.observations, strict=False)
                      if o.error not in _NO_TOOL_RAN), record.in_flight)
    missing = [name for name in called if name not in tools]
    if missing:
        raise ResumeError(
            f"run {trace.id} in {path} called tools this agent does not have: "
            f"{', '.join(missing)}; resume it with the tools of the original run "
            f"({', '.join(trace.meta.get('tools', [])) or 'not recorded'})")


def _called(*calls: Iterable[ToolCall]) -> list[str]:
    names: dict[str, None] = {}
    for group in calls:
        names.update((c.name, None) for c in group)
    return list(names)


def _arguments(call: ToolCall) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in call.arguments.items())
