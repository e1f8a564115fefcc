"""``toolweave eval bfcl --categories multi_turn_base``: BFCL's multi-turn tasks run as agent
conversations, scored by BFCL's own checker.

Each task is one `Conversation` over a fresh copy of the task's environments (its file system,
trading bot, travel agency...) as stateful tools: every user turn is one `Conversation.aask`
with the chosen strategy, the calls run on the environment, and what ran is kept per turn and
model step as BFCL call strings (`Episode.decoded`). The official ``multi_turn_checker`` then
replays them against the answer key, turn by turn (`check_multi_turn`).

A job builds its environments itself, so it pickles as plain data and runs on a Ray worker as
well as here. ``episodes.jsonl`` is the checkpoint: a stopped run resumes at the next task.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, ClassVar

from pydantic import BaseModel, Field
from rich.console import Console

from toolweave.agents.settings import RunSettings
from toolweave.eval.bfcl.multi_turn import (
    MultiTurnTask,
    check_multi_turn,
    environment,
    environment_tools,
    load_multi_turn,
)
from toolweave.eval.jsonl_store import JsonlStore, check_run_config
from toolweave.eval.progress import eval_progress, percent
from toolweave.eval.ray_pool import ModelSource, RayOptions, model_name, run_jobs
from toolweave.eval.report import write_report
from toolweave.models.base import ChatModel
from toolweave.runtime.executor import NOT_RUN
from toolweave.types import Trace

# BFCL's own inference loop ends a turn after 20 model steps; a small model that has not
# answered by 8 is repeating itself
DEFAULT_TURN_STEPS = 8


def multi_turn_settings(**options: Any) -> RunSettings:
    """The run settings of a multi-turn eval: ``options`` over these defaults. Each user turn
    asks for an action, so its first model turn must call a tool (``tool_choice="first"``: a
    small model otherwise explains how one would do it), within `DEFAULT_TURN_STEPS`."""
    return RunSettings(**{"tool_choice": "first", "max_steps": DEFAULT_TURN_STEPS, **options})


class Episode(BaseModel):
    """One task's conversation: per turn, per model step, the call strings that ran."""

    id: str
    category: str
    decoded: list[list[list[str]]] = Field(default_factory=list)
    answers: list[str | None] = Field(default_factory=list)
    stop_reasons: list[str] = Field(default_factory=list)
    steps: int = 0  # model turns over the whole task
    wall_s: float = 0.0
    prompt_tokens: int = 0  # sent
    prompt_tokens_evaluated: int = 0  # computed (the rest came from the prefix cache)
    error: str | None = None


class EpisodeStore(JsonlStore[Episode]):
    def __init__(self, path: str | Path):
        super().__init__(path, Episode)


@dataclass(frozen=True)
class MultiTurnJob:
    """One task as a picklable job: the conversation under ``settings``, on ``model``."""

    task: MultiTurnTask
    settings: RunSettings
    trace_dir: str | None = None
    retrieve: bool = False

    async def __call__(self, model: ChatModel) -> Episode:
        return await converse(self.task, model, self.settings, self.trace_dir,
                              retrieve=self.retrieve)


async def converse(task: MultiTurnTask, model: ChatModel, settings: RunSettings,
                   trace_dir: str | Path | None = None, *, retrieve: bool = False) -> Episode:
    """Run ``task``'s user turns as one conversation on fresh environments; with
    ``trace_dir``, each turn's trace is written there (``<task id>.<turn>.jsonl``).
    ``retrieve``: each turn sees the ``settings.top_k`` tools that best match it (a
    `ToolCatalog` over the task's tools) instead of all of them."""
    from toolweave.agents.agent import Agent
    from toolweave.tools.registry import ToolRegistry

    started = time.perf_counter()
    episode = Episode(id=task.id, category=task.category)
    try:
        env = environment(task)
        tools = ToolRegistry(environment_tools(task, env, task.functions_at(0)))
    except (RuntimeError, ValueError) as exc:  # an environment that cannot be set up
        episode.error = f"setup: {exc}"
        return episode
    catalog = None
    if retrieve:
        from toolweave.retrieval import ToolCatalog

        catalog = ToolCatalog(tools.specs())
    chat = Agent(model, tools, settings, catalog=catalog).session()
    for i, messages in enumerate(task.turns):
        if i in task.added_functions:  # miss_func: functions join the session at this turn
            added = environment_tools(task, env, task.added_functions[i])
            tools.include(added)
            if catalog is not None:
                catalog.add(t.spec for t in added)
        question = "\n".join(m.content for m in messages if m.role == "user")
        path = Path(trace_dir) / f"{task.id}.{i}.jsonl" if trace_dir is not None else None
        try:
            trace = await chat.aask(question, trace_path=path)
        except Exception as exc:  # noqa: BLE001 - one task's crash is its own failure
            episode.error = f"turn {i}: {type(exc).__name__}: {exc}"
            break
        _keep(episode, task, trace)
    episode.wall_s = round(time.perf_counter() - started, 3)
    return episode


def _keep(episode: Episode, task: MultiTurnTask, trace: Trace) -> None:
    """Add a turn's trace to the episode: the calls that ran on the environment (repeats the
    guard answered from memory did not), per model step."""
    turn = []
    for step in trace.steps:
        ran = [c for c, o in zip(step.calls, step.observations, strict=False)
               if o.error not in NOT_RUN]
        strings = []
        for call in ran:
            try:
                strings.append(task.call_string(call))
            except ValueError:
                continue  # not writable as a BFCL call (a bad name): it ran as an error
        if strings:
            turn.append(strings)
        if step.completion is not None:
            usage = step.completion.usage
            episode.steps += 1
            episode.prompt_tokens += usage.prompt_tokens
            episode.prompt_tokens_evaluated += usage.prompt_tokens_evaluated
    episode.decoded.append(turn)
    episode.answers.append(trace.answer)
    episode.stop_reasons.append(trace.stop_reason)


@dataclass
class MultiTurnResult:
    """What a run gives back: the episodes, the checker's verdicts, where it wrote."""

    episodes: list[Episode]
    verdicts: list[dict[str, Any]]
    out: Path

    @property
    def solved(self) -> int:
        return sum(bool(v.get("valid")) for v in self.verdicts)


def run_multi_turn(model_spec: ModelSource, category: str = "multi_turn_base",
                   limit: int | None = None, settings: RunSettings | None = None,
                   out_dir: str | Path = "bfcl-multi-turn", *, console: Console | None = None,
                   show_progress: bool = True, ray: RayOptions | None = None,
                   retrieve: bool = False) -> MultiTurnResult:
    """Run the first ``limit`` tasks of a multi-turn ``category`` as conversations, resuming
    from ``out_dir``; score them with BFCL's checker; print and write the report.
    ``retrieve``: each user turn sees the ``settings.top_k`` tools that best match it."""
    import asyncio

    console = console or Console()
    settings = settings or multi_turn_settings()
    tasks = load_multi_turn(category, limit)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    check_run_config(out / "run.json", {
        "model": model_name(model_spec), "category": category,
        "settings": settings.model_dump(mode="json"),
        **({"retrieve": True} if retrieve else {})})
    store = EpisodeStore(out / "episodes.jsonl")
    episodes, verdicts = asyncio.run(_run_all(tasks, model_spec, settings, store, console,
                                              show_progress, ray, retrieve))
    result = MultiTurnResult([episodes[t.id] for t in tasks], [verdicts[t.id] for t in tasks],
                             out)
    write_report(out, [MultiTurnRow.of(category, result)], f"BFCL {category}",
                 console=console, ylabel="solved (%)")
    _write_verdicts(out, result)
    return result


async def _run_all(tasks: Sequence[MultiTurnTask], model: ModelSource, settings: RunSettings,
                   store: EpisodeStore, console: Console, show_progress: bool,
                   ray: RayOptions | None, retrieve: bool = False
                   ) -> tuple[dict[str, Episode], dict[str, dict[str, Any]]]:
    """Every task's episode (run now, or read back) and the checker's verdict on it, each
    judged once."""
    done = store.load()
    todo = [t for t in tasks if t.id not in done]
    by_id = {t.id: t for t in tasks}
    verdicts = {t.id: _verdict(t, done[t.id]) for t in tasks if t.id in done}
    right = sum(bool(v.get("valid")) for v in verdicts.values())
    seen = len(verdicts)
    with eval_progress(console, show_progress) as progress:
        bar = progress.add_task(f"BFCL multi-turn {model_name(model)}", total=len(tasks),
                                completed=seen, stat=percent("solved", right, seen))
        jobs = [MultiTurnJob(t, settings, str(store.path.parent / "traces"), retrieve)
                for t in todo]
        async for episode in run_jobs(jobs, model, ray):
            store.append(episode)
            done[episode.id] = episode
            verdicts[episode.id] = verdict = _verdict(by_id[episode.id], episode)
            right += bool(verdict.get("valid"))
            seen += 1
            progress.update(bar, advance=1, stat=percent("solved", right, seen))
    return done, verdicts


def _verdict(task: MultiTurnTask, episode: Episode) -> dict[str, Any]:
    """The checker's verdict, with ``turns_right``: how many turns passed before the first one
    the checker rejects (all of them for a solved task) — progress a 0-or-1 score hides."""
    if episode.error is not None and len(episode.decoded) < len(task.turns):
        verdict = {"valid": False, "error_type": "toolweave:crashed",
                   "error_message": episode.error}
    else:
        verdict = check_multi_turn(task, episode.decoded)
    verdict["turns_right"] = len(task.turns) if verdict.get("valid") else _turns_right(
        task, episode.decoded)
    return verdict


def _turns_right(task: MultiTurnTask, decoded: list[list[list[str]]]) -> int:
    """The turns before the first one the checker rejects: each prefix of the conversation
    checked against the same prefix of the answer key (the checker stops at a wrong turn)."""
    for k in range(1, min(len(decoded), len(task.turns)) + 1):
        prefix = replace(task, ground_truth=task.ground_truth[:k])
        if not check_multi_turn(prefix, decoded[:k]).get("valid"):
            return k - 1
    return min(len(decoded), len(task.turns))


@dataclass
class MultiTurnRow:
    """A multi-turn category as a report row (`toolweave.eval.report.ReportRow`): solved,
    turns right before each task's first wrong one, model steps and seconds per task, and
    prompt tokens evaluated per sent."""

    category: str
    tasks: int
    solved: int
    turns_right: int
    turns: int
    steps: int
    wall_s: float
    evaluated: int
    sent: int

    columns: ClassVar[tuple[tuple[str, str], ...]] = (
        ("category", "left"), ("tasks", "right"), ("solved", "right"),
        ("turns right / turns", "right"), ("steps / task", "right"), ("s / task", "right"),
        ("prompt evaluated / sent", "right"))

    @classmethod
    def of(cls, category: str, result: MultiTurnResult) -> MultiTurnRow:
        episodes = result.episodes
        return cls(category, len(episodes), result.solved,
                   sum(v.get("turns_right", 0) for v in result.verdicts),
                   sum(len(e.decoded) for e in episodes), sum(e.steps for e in episodes),
                   sum(e.wall_s for e in episodes),
                   sum(e.prompt_tokens_evaluated for e in episodes),
                   sum(e.prompt_tokens for e in episodes))

    @property
    def accuracy(self) -> float:
        return self.solved / self.tasks if self.tasks else 0.0

    def cells(self) -> list[str]:
        n = self.tasks or 1
        return [self.category, str(self.tasks), f"{self.solved} ({100 * self.accuracy:.0f} %)",
                f"{self.turns_right}/{self.turns}", f"{self.steps / n:.1f}",
                f"{self.wall_s / n:.1f}",
                f"{self.evaluated}/{self.sent} ({self.evaluated / self.sent:.2f})"
                if self.sent else "–"]


def _write_verdicts(out: Path, result: MultiTurnResult) -> None:
    """``verdicts.jsonl``: the checker's reason per task (its full dict holds live objects)."""
    import json

    with (out / "verdicts.jsonl").open("w", encoding="utf-8") as f:
        for episode, verdict in zip(result.episodes, result.verdicts, strict=True):
            slim = {k: verdict[k] for k in ("valid", "turns_right", "error_type",
                                            "error_message") if k in verdict}
            f.write(json.dumps({"id": episode.id, **slim}, default=str) + "\n")
