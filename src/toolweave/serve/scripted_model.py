"""A scripted calculator agent's model, for demos, tests and the serve bench with no real
model: `Scripted` replies that call ``calculator`` on the question's arithmetic, then answer
with the result. Use it in a serve config as a per-run factory:

    models:
      scripted: {factory: "toolweave.serve.scripted_model:calculator_script",
                 options: {delay_s: 0.05}}
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

from toolweave.models.scripted import Scripted
from toolweave.types import Message

# the longest run of numbers joined by arithmetic operators in the question
_EXPRESSION = re.compile(r"\(*\s*-?\d+(?:\.\d+)?(?:\s*[-+*/]\s*\(*\s*-?\d+(?:\.\d+)?\s*\)*)+")
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def calculator_script(delay_s: float = 0.0, steps: int = 1) -> Scripted:
    """A fresh model for one run: ``steps`` turns that each call ``calculator`` on the
    question's expression (each after ``delay_s`` seconds, like a model thinking), then one
    that answers with the last result. Each reply is chosen by the turns already in the
    messages, so a resumed run (whose finished turns are replayed, not asked) goes on where
    it was."""

    def reply(messages: Sequence[Message]) -> str:
        # the question: the last user message that is not tool results
        at = max((i for i, m in enumerate(messages)
                  if m.role == "user" and "<tool_response>" not in m.content), default=-1)
        done = sum(1 for m in messages[at + 1:] if m.role == "assistant")
        if done >= steps:
            numbers = _NUMBER.findall(messages[-1].content)
            return f"The answer is {numbers[-1]}." if numbers else "I could not compute it."
        found = _EXPRESSION.search(messages[at].content if at >= 0 else "")
        if found is None:
            return "I can only compute arithmetic such as 12 * 7."
        # each step's call differs (a repeated call would be answered by the repeat guard)
        expression = found.group().strip() + " * 1" * done
        body = json.dumps({"name": "calculator", "arguments": {"expression": expression}})
        return f"Step {done + 1}: I will compute it.\n<tool_call>\n{body}\n</tool_call>"

    return Scripted([reply] * (steps + 1), delay_s=delay_s, name="scripted-calculator")


def calculator_plan(delay_s: float = 0.0) -> Scripted:
    """A fresh model for one ``dag`` run: the question as its one sub-question, a plan of two
    dependent calculator tasks over its expression (the second doubles the first), then the
    answer from the last result."""

    def reply(messages: Sequence[Message]) -> str:
        system, last = messages[0].content, messages[-1].content
        if "sub-questions" in system and len(messages) == 2:  # decomposition
            return f"1. {last}"
        if last.startswith("Question:") and "join()" in system:  # the plan
            found = _EXPRESSION.search(last.splitlines()[0])
            first = json.dumps({"expression": found.group().strip() if found else "0"})
            return f'1. calculator({first})\n2. calculator({{"expression": "$1 * 2"}})\njoin()'
        numbers = _NUMBER.findall(last)
        return f"Answer: {numbers[-1]}" if numbers else "Answer: unknown"

    return Scripted([reply] * 4, delay_s=delay_s, name="scripted-planner")
