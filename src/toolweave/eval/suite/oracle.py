"""A perfect suite "model" for the ``react`` strategy: it makes each task's expected calls,
then answers with its first acceptable answer.

It checks the suite and the harness, not a model (``toolweave eval suite FILE --model oracle``):
every task should pass, so a failure is a task whose expectations disagree with its tools (an
expected call its tool rejects, say) or with the scoring. It is picklable, so it also serves
as the cheap model of Ray tests.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence

from toolweave.eval.suite.format import Suite
from toolweave.formats import get_format
from toolweave.models.base import StreamingModel
from toolweave.types import Completion, Delta, Message, ToolCall


class SuiteOracle(StreamingModel):
    """Answers a react run of a suite task, recognized by its question (the first user
    message), in tool format ``fmt_name``: first turn the expected calls, then the answer
    (also to the calculation and answer turns, whose prompts hold the question)."""

    constraint_kinds = frozenset({"json_schema", "regex", "grammar:gbnf", "grammar:lark"})

    def __init__(self, suite: Suite, fmt_name: str = "hermes"):
        self.name = "oracle"
        self.fmt_name = fmt_name
        self._tasks = {}
        for task in suite.tasks:  # the first task with a question wins
            self._tasks.setdefault(task.question, task)

    async def stream(self, messages: Sequence[Message], **kwargs) -> AsyncIterator[Delta]:
        question = next(m.content for m in messages if m.role == "user")
        task = self._tasks.get(question)
        # the calculation and answer turns have prompts of their own, the question inside
        derived = task is None
        if derived:
            task = next(t for q, t in self._tasks.items() if q in question)
        acted = derived or any(m.role == "assistant" for m in messages)
        if task.calls and not acted:
            calls = [ToolCall(name=c.name, arguments=c.arguments) for c in task.calls]
            fmt = get_format(self.fmt_name)
            completion = (Completion(tool_calls=calls, model=self.name) if fmt.native else
                          Completion(text=fmt.assistant_message("", calls).content,
                                     model=self.name))
        else:
            completion = Completion(text=(task.answer or ["Done."])[0], model=self.name)
        yield Delta(completion=completion)
