"""Grounding never blocks the right move: each task's ideal run — the agent benchmark's and
those of generated tool worlds of a seed no lever was tuned on — is replayed call by call, and
every call must be one the turn's grounded grammar offers (its tool, each string value).

The calls a recovery task makes wrong on purpose (a record number in the wrong form) and the
calculator's expressions (grounded by a pattern, not a list) are not checked."""

from __future__ import annotations

import importlib
from pathlib import Path

from toolweave.distill.worlds import generate_worlds, world_tasks
from toolweave.runtime.grounding import collect_values, grounded_tools, run_numbers
from toolweave.tools.registry import ToolRegistry
from toolweave.types import ToolCall

BENCH = Path(__file__).parents[2] / "bench"


async def blocked_calls(question: str, stages, registry: ToolRegistry, skip_first: bool
                        ) -> list[str]:
    """The ideal calls of one task that its turn's grammar would not allow."""
    made, blocked, specs = [], [], registry.specs()
    for n, stage in enumerate(stages):
        for name, arguments in stage:
            if name != "calculator" and not (skip_first and n == 0):
                offered = {s.name: s for s in grounded_tools(
                    specs, collect_values(made, question),
                    run_numbers(question, [o for _, o in made]))}
                props = offered[name].parameters["properties"] if name in offered else None
                if props is None:
                    blocked.append(f"{name} | {question}")
                for key, value in arguments.items() if props else ():
                    enum = props.get(key, {}).get("enum")
                    if isinstance(value, str) and enum is not None and value not in enum:
                        blocked.append(f"{name}.{key}={value!r} not in {enum[:5]} | {question}")
            call = ToolCall(name=name, arguments=arguments)
            made.append((call, await registry.invoke(call)))
    return blocked


async def test_the_ideal_runs_of_tool_worlds_are_never_blocked():
    from toolweave.distill.worlds import catalog

    blocked = []
    for world in generate_worlds(seed=7, n=24):
        registry = ToolRegistry(getattr(catalog, f"seed7_{world.id.split('_')[0]}"))
        for task in world_tasks(world, 7, 2):
            blocked += await blocked_calls(task.question, task.stages, registry,
                                           skip_first=task.shape == "recovery")
    assert blocked == []


async def test_the_ideal_runs_of_the_agent_benchmark_are_never_blocked(monkeypatch):
    monkeypatch.syspath_prepend(str(BENCH))
    world = importlib.import_module("agent_world")
    monkeypatch.setattr(world, "latency", lambda *_: 0.0)
    suite = importlib.import_module("agent_suite_gen")
    registry = ToolRegistry(world.TOOLS)
    blocked = []
    for task in suite.planned_tasks():
        blocked += await blocked_calls(task.question, task.stages, registry,
                                       skip_first=task.shape == "recovery")
    # "US dollars" is written out where the tool takes "USD": the error's list corrects it
    assert [b for b in blocked if "'USD'" not in b] == []
