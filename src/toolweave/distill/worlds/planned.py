"""The record of one planned task: a question, its acceptable answers and its ideal run, as
stages of calls. Shared by the worlds' questions (`world_tasks`) and the agent benchmark's
generator (bench/agent_suite_gen.py), with the calculator helpers both use to compute answers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from toolweave.tools.builtins.calculator import evaluate, format_number

SHAPES = ("single", "fanout", "chain", "diamond", "arithmetic", "notool", "recovery")
Call = tuple[str, dict[str, Any]]


@dataclass(kw_only=True)
class Planned:
    """A question, its acceptable answers and its ideal run: stages of calls, each stage
    needing only earlier stages' results (the calls of one stage can run together).
    ``world`` names the world the question is about; the agent benchmark's single world
    leaves it empty. Built by keyword only, since most fields are strings or lists."""

    shape: str
    question: str
    answers: list[str]
    stages: list[list[Call]] = field(default_factory=list)
    world: str = ""
    id: str = ""

    @property
    def min_calls(self) -> int:
        """The fewest calls a right run makes: a recovery's failing first call included,
        since only its error reveals the right name."""
        return sum(len(stage) for stage in self.stages)

    def reference(self) -> dict[str, Any]:
        """The task's ideal run as JSON data (for ``references.jsonl``)."""
        return {"id": self.id, "world": self.world, "shape": self.shape,
                "question": self.question, "answers": self.answers,
                "stages": [[{"name": n, "arguments": a} for n, a in stage]
                           for stage in self.stages]}


def calc(expression: str) -> tuple[Call, str]:
    """A calculator call and its result exactly as the built-in calculator prints it."""
    return ("calculator", {"expression": expression}), format_number(evaluate(expression))


def money_answers(result: str) -> list[str]:
    """The calculator's output and the usual two-decimal form, when they differ."""
    natural = f"{float(result):.2f}"
    return [result] if natural == result else [result, natural]

