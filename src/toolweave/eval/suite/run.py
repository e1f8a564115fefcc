"""`run_suite`: run a suite's tasks through one or more strategies, score them, report.

An out dir holds one configuration (suite, model, format, budgets), recorded in ``run.json``.
Each finished (task, strategy) run is one line of ``results.jsonl``, appended and flushed as it
comes, and its trace is kept under ``traces/``; re-running into the dir skips what is done (a
task whose question or tools changed since is run again) and re-scores everything. ``report.md`` and ``accuracy.png``
(pass rate per strategy and tag) are rewritten at the end.
"""

from __future__ import annotations

__all__ = ["CONFIG_KEYS", "SUITE_SETTINGS", "RunSettings", "SuiteJob", "SuiteResult",
           "TaskOutcome", "run_suite", "select_tasks", "toolbox_for"]

import asyncio
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from rich.console import Console

from toolweave.agents.settings import RunSettings
from toolweave.eval.jsonl_store import JsonlStore, check_run_config
from toolweave.eval.progress import eval_progress, percent
from toolweave.eval.ray_pool import ModelSource, RayOptions, load_source, model_name, run_jobs
from toolweave.eval.suite.format import Suite, SuiteTask, load_suite
from toolweave.eval.suite.report import write_suite_report
from toolweave.eval.suite.score import TaskOutcome, score_task
from toolweave.eval.suite.tools import SuiteToolbox
from toolweave.models.base import ChatModel
from toolweave.runtime.executor import NOT_RUN
from toolweave.trace_file import save_trace
from toolweave.types import Trace

# How each task is run when the caller says nothing: shorter than an interactive run.
SUITE_SETTINGS = RunSettings(max_steps=6, max_seconds=120.0)
# the settings that are part of an out dir's config (what its results depend on)
CONFIG_KEYS = frozenset({"format", "max_steps", "max_seconds", "step_max_tokens", "constrained",
                         "tool_choice", "grounded"})


_TOOLBOXES: dict[str, SuiteToolbox] = {}


def toolbox_for(suite: Suite) -> SuiteToolbox:
    """One toolbox per suite and process: a docs index is built once, not once per task (on
    Ray each worker gets its own copy of the suite, so the key is its content)."""
    key = suite.model_dump_json()
    if key not in _TOOLBOXES:
        _TOOLBOXES[key] = SuiteToolbox(suite)
    return _TOOLBOXES[key]


@dataclass(frozen=True)
class SuiteJob:
    """One task under one strategy, as a picklable job (see `toolweave.eval.ray_pool`).

    A subclass may record more of each run into its trace (`toolweave.distill.agent.collect`
    records the prompts); it names what in ``records``, which goes into the out dir's config so
    that runs with and without it never share an out dir."""

    records: ClassVar[str] = ""

    suite: Suite
    task: SuiteTask
    strategy: str
    settings: RunSettings

    async def __call__(self, model: ChatModel) -> tuple[TaskOutcome, Trace]:
        from toolweave.agents import Agent

        task = self.task
        agent = Agent(model, toolbox_for(self.suite).registry(task), self.settings,
                      strategy=self.strategy)
        start = time.perf_counter()
        error = None
        try:
            trace = await agent.arun(task.question)
        except Exception as exc:  # noqa: BLE001 - one broken run must not end the suite
            error = f"{type(exc).__name__}: {exc}"
            trace = Trace(question=task.question, strategy=self.strategy, model=model.name,
                          stop_reason="error", meta={"error": error})
        usage = [step.completion.usage for step in trace.steps if step.completion]
        outcome = TaskOutcome(
            id=task.id, strategy=self.strategy, fingerprint=self.suite.fingerprint(task), tags=task.tags,
            answer=trace.answer, stop_reason=trace.stop_reason, steps=len(trace.steps),
            # the calls that ran: a repeat the guard answered from memory is no call
            calls=[c for step in trace.steps for c, o in zip(step.calls, step.observations)
                   if o.error not in NOT_RUN],
            wall_s=time.perf_counter() - start,
            prompt_tokens=sum(u.prompt_tokens for u in usage),
            completion_tokens=sum(u.completion_tokens for u in usage), error=error)
        return outcome, trace


@dataclass
class SuiteResult:
    """What `run_suite` produced."""

    suite: Suite
    outcomes: list[TaskOutcome]  # every (task, strategy) run, scored, in suite order
    rows: list  # the report's `SuiteRow`s (strategies, tags, then overall)
    new_runs: int  # made by this call (0 when everything was already on disk)
    out_dir: Path

    def pass_rate(self, group: str = "overall") -> float:
        return next(r.accuracy for r in self.rows if r.category == group)


def select_tasks(suite: Suite, tags: Sequence[str] = (), limit: int | None = None
                 ) -> list[SuiteTask]:
    """The tasks carrying any of ``tags`` (all when none), the first ``limit`` of them."""
    chosen = [t for t in suite.tasks if not tags or set(tags) & set(t.tags)]
    return chosen[:limit] if limit else chosen


def run_suite(suite: str | Path | Suite, model: ModelSource = "default",
              strategies: Sequence[str] = ("react",), out_dir: str | Path = "suite-out", *,
              settings: RunSettings = SUITE_SETTINGS, tags: Sequence[str] = (),
              limit: int | None = None, console: Console | None = None,
              show_progress: bool = True, ray: RayOptions | None = None,
              job: type[SuiteJob] = SuiteJob) -> SuiteResult:
    """Run every selected task of ``suite`` under each strategy with ``model`` (a spec string
    or a model; ``"oracle"`` is the suite's own perfect model, see `suite.oracle`), score the
    runs, write the out dir and print the report. With ``ray``, tasks run on Ray workers that
    each load the model; the results are the same. ``job``: the `SuiteJob` class that runs
    each task (a subclass that records more into the traces)."""
    from toolweave.agents.agent import STRATEGIES

    console = console or Console()
    suite = suite if isinstance(suite, Suite) else load_suite(suite)
    toolbox_for(suite)  # imports its tools and checks the tasks' references, before any write
    unknown = [s for s in strategies if s not in STRATEGIES]
    if unknown or not strategies:
        raise ValueError(f"unknown strategy {unknown[0] if unknown else '(none)'!r}; "
                         f"known: {', '.join(STRATEGIES)}")
    tasks = select_tasks(suite, tags, limit)
    if not tasks:
        raise ValueError(f"no task of suite {suite.name or '(unnamed)'!r} has tags {list(tags)}")
    if model == "oracle":
        from toolweave.eval.suite.oracle import SuiteOracle

        model = SuiteOracle(suite, settings.format)
    out = Path(out_dir)
    config = {"suite": suite.name, "model": model_name(model),
              **settings.model_dump(include=CONFIG_KEYS),
              **({"records": job.records} if job.records else {})}
    if ray is None:  # on Ray the workers load the model; the driver never needs it
        model = load_source(model)
    out.mkdir(parents=True, exist_ok=True)
    check_run_config(out / "run.json", config)
    store: JsonlStore[TaskOutcome] = JsonlStore(out / "results.jsonl", TaskOutcome,
                                                key=lambda o: o.key)
    strategies = list(dict.fromkeys(strategies))
    done, new = asyncio.run(_run_all(suite, tasks, strategies, model, settings, store, out,
                                     console, show_progress, ray, job))
    outcomes = [done[(t.id, s)] for s in strategies for t in tasks]
    by_id = {t.id: t for t in tasks}
    for o in outcomes:  # scoring is derived data: re-scored with today's rules on every run
        o.score = score_task(by_id[o.id], o.answer, o.calls)
    rows = write_suite_report(out, suite, tasks, outcomes, config, console)
    return SuiteResult(suite, outcomes, rows, new, out)


async def _run_all(suite: Suite, tasks: list[SuiteTask], strategies: list[str],
                   model: ModelSource, settings: RunSettings, store: JsonlStore[TaskOutcome],
                   out: Path, console: Console, show_progress: bool,
                   ray: RayOptions | None, job: type[SuiteJob] = SuiteJob
                   ) -> tuple[dict[tuple[str, str], TaskOutcome], int]:
    """Run what is not done yet, appending each result as it comes; all results by key, and
    how many were run now."""
    current = {t.id: suite.fingerprint(t) for t in tasks}
    done = {k: o for k, o in store.load().items() if current.get(o.id) == o.fingerprint}
    # strategy-major: consecutive runs share the strategy's system prompt (a cached prefix)
    todo = [job(suite, t, s, settings) for s in strategies for t in tasks
            if (t.id, s) not in done]
    by_id = {t.id: t for t in tasks}
    wanted = [(t.id, s) for s in strategies for t in tasks]
    passed = sum(score_task(by_id[i], done[(i, s)].answer, done[(i, s)].calls).passed
                 for i, s in wanted if (i, s) in done)
    seen = len(wanted) - len(todo)
    with eval_progress(console, show_progress) as progress:
        bar = progress.add_task(f"suite {suite.name} {model_name(model)}", total=len(wanted),
                                completed=seen, stat=percent("pass", passed, seen))
        async for outcome, trace in run_jobs(todo, model, ray):
            name = f"traces/{_safe(outcome.id)}.{outcome.strategy}.jsonl"
            save_trace(trace, out / name)  # written here, so Ray workers need no shared disk
            outcome.trace = name
            outcome.score = score_task(by_id[outcome.id], outcome.answer, outcome.calls)
            store.append(outcome)
            done[outcome.key] = outcome
            passed += outcome.score.passed
            seen += 1
            progress.update(bar, advance=1, description=f"{outcome.strategy} {outcome.id}",
                            stat=percent("pass", passed, seen))
    return done, len(todo)


def _safe(name: str) -> str:
    return re.sub(r"[^\w.-]", "_", name)
