"""Reading a `collect-agent` folder back, and judging each trajectory worth learning from.

A trajectory is one task's run: its `TaskOutcome` (``results.jsonl``), its trace, the suite
task it answered, and its model turns paired with the prompts they were sent
(``trace.meta["prompts"]``, in the order of the steps that have a completion — the order
`runtime.replay` relies on too). Anything that does not fit — a trace cut mid-line, a trace
without prompts, a task the suite no longer has — is a `TrainingDataError` naming the file.

`judge` keeps a trajectory only when the suite's scorer passes it and it is clean: no run
error, no answer to a task that needs tools without a successful lookup (a lucky guess), no
unreadable or cut-off turn (the repair stays in the history), no repeated call, no wasted step
(`agent.usage`), no rambling thought before a call nor rambling answer. The first failing check is
its reason; `build-agent` counts them. A turn the agent set aside (`unusable`) does not drop
the run: it gives no row.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from toolweave.distill.agent.collect import PROMPTS_KEY, SOURCE_FILE
from toolweave.distill.agent.usage import wasted_steps
from toolweave.distill.build import FilterRules, Verdict
from toolweave.errors import TrainingDataError
from toolweave.eval.jsonl_store import JsonlStore
from toolweave.eval.suite.format import Suite, SuiteError, SuiteTask, load_suite
from toolweave.eval.suite.score import TaskOutcome, score_task
from toolweave.formats import get_format
from toolweave.runtime.executor import NOT_RUN
from toolweave.runtime.repeats import signature
from toolweave.trace_file import INTERRUPTED, ends_torn, read_trace
from toolweave.types import Step, Trace

Prompt = list[dict[str, str]]


@dataclass
class Trajectory:
    """One collected run and what it answered."""

    outcome: TaskOutcome
    trace: Trace
    task: SuiteTask
    turns: list[tuple[Step, Prompt]]  # each model turn's step and the prompt it was sent
    source: Path  # the collect folder

    @property
    def format(self) -> str:
        return str(self.trace.meta.get("format", "hermes"))


def collected_suite(source: Path, suite: str | Path | None = None) -> tuple[Path, Suite]:
    """The suite a collect folder ran (``collect.json``), or ``suite`` instead."""
    if suite is None:
        record = source / SOURCE_FILE
        if not record.is_file():
            raise TrainingDataError(f"{source} has no {SOURCE_FILE}: it is not a "
                                    "`toolweave distill collect-agent` folder")
        suite = json.loads(record.read_text(encoding="utf-8"))["suite"]
    path = Path(suite)
    try:
        return path, load_suite(path)
    except SuiteError as exc:
        raise TrainingDataError(f"the suite of {source}: {exc}") from exc


def load_trajectories(source: str | Path, suite: str | Path | None = None
                      ) -> tuple[Path, Suite, list[Trajectory], int]:
    """The suite file and the suite, the trajectories of a collect folder that match the
    suite's current tasks, and how many results were stale (their task changed since)."""
    source = Path(source)
    results = source / "results.jsonl"
    if not results.is_file():
        raise TrainingDataError(f"{results} not found: run `toolweave distill collect-agent` "
                                "into that folder first")
    suite_path, loaded = collected_suite(source, suite)
    tasks = {t.id: t for t in loaded.tasks}
    out, stale = [], 0
    for outcome in JsonlStore(results, TaskOutcome, key=lambda o: o.key).load().values():
        task = tasks.get(outcome.id)
        if task is None:
            raise TrainingDataError(f"{results}: task {outcome.id!r} is not in the suite "
                                    f"{suite_path} (another suite? pass it with --suite)")
        if outcome.fingerprint != loaded.fingerprint(task):
            stale += 1  # its question or tools changed: `collect-agent` runs it again
            continue
        trace = read_collected_trace(source / outcome.trace)
        out.append(Trajectory(outcome, trace, task, paired_turns(trace, source / outcome.trace),
                              source))
    return suite_path, loaded, out, stale


def read_collected_trace(path: Path) -> Trace:
    """A collected trace; a missing, cut or unreadable file is a clear error (a collect
    writes each trace whole before its result line, so a cut one was damaged afterwards)."""
    if not path.is_file():
        raise TrainingDataError(f"{path} not found: its result line in results.jsonl has no "
                                "trace; delete that line and run collect-agent again")
    if ends_torn(path):
        raise TrainingDataError(f"{path} is cut off mid-line (a damaged copy?): delete its "
                                "result line in results.jsonl and run collect-agent again to "
                                "collect that task anew")
    try:
        return read_trace(path)
    except ValueError as exc:
        raise TrainingDataError(str(exc)) from exc


def paired_turns(trace: Trace, path: Path) -> list[tuple[Step, Prompt]]:
    """The trace's model turns, each with the prompt it was sent."""
    prompts = trace.meta.get(PROMPTS_KEY)
    if not isinstance(prompts, list):
        raise TrainingDataError(f"{path} has no recorded prompts: it was not collected by "
                                "`toolweave distill collect-agent`")
    steps = [s for s in trace.steps if s.completion is not None]
    # a run cut short (its time ran out) sent the prompt of a turn that never came back
    in_flight = trace.stop_reason in INTERRUPTED and len(prompts) > len(steps)
    if len(steps) != len(prompts) and not in_flight:
        raise TrainingDataError(f"{path}: {len(steps)} model turns but {len(prompts)} "
                                "recorded prompts")
    return list(zip(steps, prompts[:len(steps)], strict=True))


def unusable(step: Step) -> bool:
    """Whether the agent set this model turn aside (a call written as prose, a calculation
    that does not evaluate): no training target, though the run went on without it — the
    turn is not in any later prompt, so the run's other turns stay good rows."""
    return bool(step.error) and step.kind not in ("error", "truncated")


def judge(trajectory: Trajectory, rules: FilterRules | None = None) -> Verdict:
    """Keep ``trajectory`` only if the suite scorer passes it and it is clean."""
    rules = rules or FilterRules()
    outcome, trace = trajectory.outcome, trajectory.trace
    if outcome.error is not None or trace.stop_reason == "error":
        return Verdict(False, "run_error")
    if not score_task(trajectory.task, outcome.answer, outcome.calls).passed:
        return Verdict(False, "wrong")
    if trajectory.task.min_calls and not any(
            o.ok and c.name != "calculator" for s in trace.steps
            for c, o in zip(s.calls, s.observations, strict=False)):
        # right by the scorer's containment, but nothing was looked up: a guess that lists
        # candidates ("1. Taeshosh Ridge: 1447 m, 2. …") teaches guessing
        return Verdict(False, "guessed")
    if any(s.kind in ("error", "truncated") for s in trace.steps):
        # its repair prompt and the broken turn stay in every later prompt's history
        return Verdict(False, "unclean_turn")
    if repeated_call(trajectory):
        return Verdict(False, "repeated_call")
    if wasted_steps(trace):
        return Verdict(False, "wasted_step")
    if any(s.calls and len(s.thought) > rules.max_rationale_chars for s in trace.steps):
        return Verdict(False, "too_long")  # a rambling thought stays in every later prompt
    if len(trace.answer or "") > rules.max_rationale_chars:
        return Verdict(False, "too_long")  # an answer that rambles passes by containment
    return Verdict(True)


def repeated_call(trajectory: Trajectory) -> bool:
    """Whether a call repeats one made before in the run: one the guard answered from memory,
    or one the model wrote again (in one turn, or after it ran), even if the runtime did not
    run it."""
    fmt = get_format(trajectory.format)
    ran: set[str] = set()
    for step in trajectory.trace.steps:
        if any(o.error in NOT_RUN for o in step.observations):
            return True
        if step.completion is not None and step.calls:
            written = [signature(c) for c in fmt.parse_completion(step.completion).calls]
            if len(set(written)) != len(written) or ran & set(written):
                return True
        ran.update(signature(c) for c in step.calls)
    return False
