"""`toolweave distill build-agent`: the teacher's kept agent trajectories → one SFT row per
model turn, split by world.

Each row is the turn's prompt exactly as the agent sent it (recorded by `agent.collect`) and
the turn the agent would parse as the target, in `train_data`'s row format, so `distill
train` consumes it unchanged:

- an act turn's target is ``format.assistant_message(rationale, calls)``: the calls the
  model wrote that ran (not those the runtime added itself — a fan-out's other items, a
  correction — nor those it dropped), after a one-line rationale in rationale style;
- the calculation and answer turns' target is the model's text as it wrote it;
- a turn the agent set aside (a call written as prose, which it asks again for; a
  calculation that does not evaluate) gives no row; the run's other turns do, as that turn
  is in none of their prompts.

Rationale mixed as `distill build` does: each training trajectory draws its style from a
seeded coin (``rationale_share``). Rationale-style act turns are asked for the rationale by
the agent's own means — its ``instructions`` setting — so their system prompt is rendered by
the react strategy itself with `RATIONALE_INSTRUCTIONS`; action-style rows keep the recorded
prompt, which is the agent's inference prompt (collected without instructions). Test rows
are action style.

The rationale is the teacher's thought when it wrote one line (the react prompt invites "one
short sentence of reasoning before a call"), else derived from the trace: which tool, and
where each argument came from (the question, or an earlier call's result). Derived, not
asked for: asking changes the teacher's prompt away from the agent's (or costs a second
teacher turn per step), and a small model made to reason first talks itself into made-up
values; the trace knows each argument's source for certain.

The split is **by world**: a task's world is its tag listed in the worlds' ``worlds.json``
(beside the suite file, or ``worlds``), and a test world's trajectories only ever become
test rows.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path

from toolweave.distill.agent.trajectories import (
    Prompt,
    Trajectory,
    judge,
    load_trajectories,
    unusable,
)
from toolweave.distill.agent.usage import made_calls, mentions, result_values
from toolweave.distill.build import FilterRules, TargetStyle, unit_hash
from toolweave.distill.prompting import Style
from toolweave.distill.train_data import check_row
from toolweave.errors import TrainingDataError
from toolweave.eval.suite.run import toolbox_for
from toolweave.eval.suite.tools import SuiteToolbox
from toolweave.formats import get_format
from toolweave.types import Step, Trace

RATIONALE_MAX_CHARS = 240  # one line, as the hermes grammar's reasoned turn allows


@cache
def rationale_instructions() -> str:
    """What a rationale-style act turn's system prompt asks (`prompts/agent_rationale.txt`)."""
    path = resources.files("toolweave.distill") / "prompts" / "agent_rationale.txt"
    return path.read_text(encoding="utf-8").strip()


def teacher_thought(step: Step) -> str:
    """The teacher's own rationale: its thought, when it is one short line of prose."""
    text = step.thought.strip()
    if not text or "\n" in text or len(text) > RATIONALE_MAX_CHARS or any(
            c in text for c in "<{}`"):
        return ""
    return text


def derived_rationale(trace: Trace, step: Step) -> str:
    """One line: the step's tools and where each string argument came from."""
    made = made_calls(trace)
    earlier = [m for m in made if m.step < step.index]
    parts = []
    for call in model_calls(step):
        sources = []
        for name, value in call.arguments.items():
            text = str(value)
            if mentions(trace.question, text):
                sources.append(f"{name} from the question")
                continue
            giver = next((m.call.name for m in earlier
                          if any(mentions(text, v) for v in result_values(m, trace.question))),
                         None)
            if giver is not None:
                sources.append(f"{name} from the {giver} result")
        parts.append(f"{call.name}" + (f" ({', '.join(sources)})" if sources else ""))
    line = "Call " + "; ".join(dict.fromkeys(parts)) + "."
    return line if len(line) <= RATIONALE_MAX_CHARS else line[:RATIONALE_MAX_CHARS - 1] + "…"


def model_calls(step: Step) -> list:
    """The calls of an act step that the model wrote (the runtime's own come last)."""
    return step.calls[:len(step.calls) - step.implied_calls]


def turn_target(trajectory: Trajectory, step: Step, style: Style) -> str:
    """The text the agent would parse for ``step``'s turn, in ``style``."""
    if not step.calls:
        assert step.completion is not None
        return step.completion.text.strip()
    rationale = ""
    if style == "rationale":
        rationale = teacher_thought(step) or derived_rationale(trajectory.trace, step)
    fmt = get_format(trajectory.format)
    return fmt.assistant_message(rationale, model_calls(step)).content


class ReactPrompts:
    """The react system prompt of a task's tools, rendered by the strategy itself (one
    `RunContext`, the agent's format and renderer: no second renderer to drift)."""

    def __init__(self, toolbox: SuiteToolbox):
        self.toolbox = toolbox
        self._rendered: dict[tuple[str, str], str] = {}

    def system(self, trajectory: Trajectory, instructions: str) -> str:
        key = (trajectory.task.id, instructions)
        if key not in self._rendered:
            self._rendered[key] = self._render(trajectory, instructions)
        return self._rendered[key]

    def _render(self, trajectory: Trajectory, instructions: str) -> str:
        from toolweave.agents.react import ReactStrategy
        from toolweave.runtime.budget import Budget
        from toolweave.runtime.context import RunContext
        from toolweave.runtime.recorder import TraceRecorder

        registry = self.toolbox.registry(trajectory.task)
        ctx = RunContext(model=None,  # type: ignore[arg-type] - no model turn is made
                         tools=registry, format=get_format(trajectory.format, registry.specs()),
                         budget=Budget(), recorder=TraceRecorder(Trace(question="")))
        return ReactStrategy(instructions=instructions).system_prompt(ctx)


def turn_prompt(trajectory: Trajectory, step: Step, prompt: Prompt, style: Style,
                prompts: ReactPrompts) -> Prompt:
    """The prompt of ``step``'s row: as recorded, or for a rationale-style act turn, with the
    system prompt the agent sends when told `rationale_instructions`."""
    if style != "rationale" or not step.calls:
        return prompt
    recorded = prompts.system(trajectory, "")
    if not prompt or prompt[0] != {"role": "system", "content": recorded}:
        raise TrainingDataError(
            f"{trajectory.source / trajectory.outcome.trace}: the recorded system prompt of "
            f"step {step.index} is not this toolweave's react prompt for the task (collected "
            "with other instructions or another version?)")
    system = prompts.system(trajectory, rationale_instructions())
    return [{"role": "system", "content": system}, *prompt[1:]]


def trajectory_rows(trajectory: Trajectory, style: Style, world: str,
                    prompts: ReactPrompts) -> list[dict]:
    """One row per model turn of a kept trajectory, but the turns the agent set aside."""
    rows = []
    for step, prompt in trajectory.turns:
        if unusable(step):
            continue
        row = {"prompt": turn_prompt(trajectory, step, prompt, style, prompts),
               "completion": [{"role": "assistant",
                               "content": turn_target(trajectory, step, style)}],
               "task_id": trajectory.task.id, "category": _shape(trajectory, world),
               "tools": list(trajectory.trace.meta.get("tools", [])), "style": style,
               "world": world, "step": step.index, "kind": step.kind}
        check_row(row, f"{trajectory.task.id} step {step.index}")
        rows.append(row)
    return rows


def _shape(trajectory: Trajectory, world: str) -> str:
    return next((t for t in trajectory.task.tags if t != world), "")


@dataclass
class AgentBuildSummary:
    """What `build_agent_dataset` wrote (also saved as ``dataset.json``)."""

    style: str
    collected: int
    kept: int
    dropped: dict[str, int]
    train_tasks: list[str]
    test_tasks: list[str]
    train_rows: int
    test_rows: int
    train_worlds: list[str]
    test_worlds: list[str]
    derived_rationales: int = 0  # rationale rows whose rationale the trace gave
    set_aside_turns: int = 0  # turns of kept runs that the agent set aside: no row
    sources: list[str] = field(default_factory=list)


def world_split(path: Path) -> dict[str, str]:
    """World id → "train" | "test", from a `distill worlds` ``worlds.json``."""
    if not path.is_file():
        raise TrainingDataError(f"{path} not found: give the `toolweave distill worlds` folder "
                                "with --worlds (its worlds.json says which worlds are test)")
    try:
        return {w["id"]: w["split"] for w in json.loads(path.read_text("utf-8"))["worlds"]}
    except (ValueError, KeyError, TypeError) as exc:
        raise TrainingDataError(f"{path} is not a worlds.json of `distill worlds`: {exc}") from exc


def world_of(trajectory: Trajectory, split: dict[str, str]) -> str:
    """The task's world: its tag that names a world of the split."""
    worlds = [t for t in trajectory.task.tags if t in split]
    if len(worlds) != 1:
        raise TrainingDataError(f"task {trajectory.task.id!r} has {len(worlds)} world tags "
                                f"known to worlds.json (tags: {trajectory.task.tags}); each "
                                "task needs exactly one")
    return worlds[0]


def build_agent_dataset(sources: Iterable[str | Path], out_dir: str | Path,
                        style: TargetStyle = "mixed", *, worlds: str | Path | None = None,
                        suite: str | Path | None = None, seed: int = 0,
                        rationale_share: float = 0.5,
                        rules: FilterRules | None = None) -> AgentBuildSummary:
    """Judge the trajectories of the `collect-agent` folders ``sources`` and write
    ``train.jsonl``, ``test.jsonl`` and ``dataset.json`` to ``out_dir``."""
    if style not in ("rationale", "action", "mixed"):
        raise ValueError(f"unknown style {style!r}; expected rationale, action or mixed")
    sources = [Path(s) for s in sources]
    if not sources:
        raise ValueError("give at least one collect-agent folder")
    train_rows: list[dict] = []
    test_rows: list[dict] = []
    reasons: Counter[str] = Counter()
    train_tasks: list[str] = []
    test_tasks: list[str] = []
    collected = kept = derived = set_aside = 0
    seen_worlds: dict[str, set[str]] = {"train": set(), "test": set()}
    seen_tasks: set[str] = set()
    for source in sources:
        suite_path, loaded, trajectories, stale = load_trajectories(source, suite)
        reasons["stale"] += stale
        split = world_split(Path(worlds) / "worlds.json" if worlds is not None
                            else suite_path.parent / "worlds.json")
        prompts = ReactPrompts(toolbox_for(loaded))
        for trajectory in trajectories:
            if trajectory.task.id in seen_tasks:
                reasons["duplicate"] += 1  # collected into two folders: the first one counts
                continue
            seen_tasks.add(trajectory.task.id)
            collected += 1
            world = world_of(trajectory, split)
            side = split[world]
            (train_tasks if side == "train" else test_tasks).append(trajectory.task.id)
            seen_worlds[side].add(world)
            verdict = judge(trajectory, rules or FilterRules())
            if not verdict.keep:
                reasons[verdict.reason] += 1
                continue
            kept += 1
            chosen = _style_of(trajectory, style, rationale_share, seed) if side == "train" \
                else "action"
            rows = trajectory_rows(trajectory, chosen, world, prompts)
            set_aside += sum(unusable(s) for s, _ in trajectory.turns)
            if chosen == "rationale":
                derived += sum(1 for s, _ in trajectory.turns
                               if s.calls and not teacher_thought(s))
            (train_rows if side == "train" else test_rows).extend(rows)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    _write_jsonl(out / "train.jsonl", train_rows)
    _write_jsonl(out / "test.jsonl", test_rows)
    summary = AgentBuildSummary(
        style=style, collected=collected, kept=kept,
        dropped={k: v for k, v in reasons.items() if v}, train_tasks=train_tasks,
        test_tasks=test_tasks, train_rows=len(train_rows), test_rows=len(test_rows),
        train_worlds=sorted(seen_worlds["train"]), test_worlds=sorted(seen_worlds["test"]),
        derived_rationales=derived, set_aside_turns=set_aside, sources=[str(s) for s in sources])
    (out / "dataset.json").write_text(json.dumps(summary.__dict__, indent=2) + "\n",
                                      encoding="utf-8")
    return summary


def _style_of(trajectory: Trajectory, style: TargetStyle, rationale_share: float,
              seed: int) -> Style:
    if style != "mixed":
        return style
    return "rationale" if unit_hash(seed, [trajectory.task.id]) < rationale_share else "action"


def _write_jsonl(path: Path, rows: Sequence[dict]) -> None:
    with path.open("w", encoding="utf-8") as f:
        f.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
