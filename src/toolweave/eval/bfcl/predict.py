"""Ask a model for the tool calls of BFCL tasks, keep its answers on disk, score them.

One task is one model turn: the system prompt is a short instruction plus the tool docs the
format renders (`ToolFormat.render`), decoded under the format's grammar when asked and when
the backend can apply it. The parsed calls become BFCL's model-output shape
``[{name: {arg: value}}]`` under BFCL's original function names, and are scored by the official
checker (`checker`).

Predictions go to ``predictions.jsonl`` one line per task, flushed as they come, so a run that
is stopped resumes where it was and a finished run can be re-scored without the model.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field
from rich.console import Console

from toolweave.eval.bfcl.data import RELEVANCE_CATEGORIES, BfclTask
from toolweave.eval.jsonl_store import JsonlStore
from toolweave.eval.progress import eval_progress, percent
from toolweave.eval.ray_pool import ModelSource, RayOptions, model_name, run_jobs
from toolweave.formats import get_format
from toolweave.models.base import ChatModel, supports
from toolweave.runtime.said import calls_asked
from toolweave.types import Message

DEFAULT_MAX_TOKENS = 384  # room for a few parallel calls; a single call needs < 100

INSTRUCTIONS = (
    "You are an expert in composing function calls. You are given a question and a set of "
    "functions. Call the function or functions that answer the question, taking every "
    "argument from the question; make several calls when the question asks for several "
    "things. If none of the functions fits the question, or the question lacks arguments a "
    "function requires, say so in plain text and call nothing."
)


@dataclass(frozen=True)
class Prompting:
    """How a task is asked and its calls read: the system instructions, whether the turn
    must call a tool, and whether calls are held to what the question says.

    BFCL's own run uses the defaults; distillation asks a teacher for a rationale before a
    call it must make (``require_call`` drops the no-call path from the turn grammar).
    ``said_only`` leaves out the optional arguments and the repeated calls the question never
    asked for (`toolweave.runtime.said`)."""

    instructions: str = INSTRUCTIONS
    require_call: bool = False
    reason_first: bool = False  # a one-line rationale before the call (hermes only)
    said_only: bool = True


BFCL_PROMPTING = Prompting()


class Prediction(BaseModel):
    """What a model answered to one task, in BFCL's output shape, with its cost."""

    id: str
    category: str
    output: list[dict[str, dict[str, Any]]] = Field(default_factory=list)
    text: str = ""  # the raw turn, for error analysis
    parse_errors: list[str] = Field(default_factory=list)
    error: str | None = None  # the model call itself failed
    constrained: bool = False  # a grammar was actually applied
    finish_reason: str = ""
    wall_s: float = 0.0
    prompt_tokens: int = 0
    prompt_tokens_evaluated: int = 0
    completion_tokens: int = 0


class Score(BaseModel):
    """The official checker's verdict on one prediction."""

    id: str
    category: str
    valid: bool
    error_type: str = ""
    errors: list[Any] = Field(default_factory=list)


def task_messages(task: BfclTask, fmt_name: str,
                  instructions: str = INSTRUCTIONS) -> list[Message]:
    """The conversation sent for ``task``: instructions and tool docs, then the question.

    A task's own system message (some live tasks have one) follows the tool docs in the one
    system message, as BFCL does when it adds its prompt to such a task."""
    fmt = get_format(fmt_name, task.tools)
    parts = [instructions, fmt.render(task.tools)]
    question = list(task.messages)
    if question and question[0].role == "system":
        parts.append(question.pop(0).content)
    system = "\n\n".join(p for p in parts if p)
    return [Message(role="system", content=system), *question]


async def predict(task: BfclTask, model: ChatModel, fmt_name: str, constrained: bool,
                  max_tokens: int = DEFAULT_MAX_TOKENS,
                  prompting: Prompting = BFCL_PROMPTING) -> Prediction:
    """One turn of ``model`` on ``task`` in format ``fmt_name``. Never raises for a model error:
    it is recorded in ``Prediction.error`` (and scores as wrong)."""
    fmt = get_format(fmt_name, task.tools)
    if not constrained or fmt.native:
        constraint = None
    elif prompting.reason_first:
        if not hasattr(fmt, "reasoned_call_grammar"):
            raise ValueError(f"format {fmt_name!r} has no rationale-first grammar; use hermes")
        constraint = fmt.reasoned_call_grammar(task.tools)
    else:
        constraint = fmt.grammar(task.tools, require_call=prompting.require_call)
    if constraint is not None and not supports(model, constraint):
        constraint = None
    prediction = Prediction(id=task.id, category=task.category,
                            constrained=constraint is not None)
    start = time.perf_counter()
    try:
        completion = await model.complete(
            task_messages(task, fmt_name, prompting.instructions),
            tools=task.tools if fmt.native else (),
            constraint=constraint, max_tokens=max_tokens, temperature=0.0)
    except Exception as exc:  # noqa: BLE001 - one bad task must not end a benchmark run
        prediction.error = f"{type(exc).__name__}: {exc}"
        prediction.wall_s = time.perf_counter() - start
        return prediction
    prediction.wall_s = time.perf_counter() - start
    turn = fmt.parse_completion(completion)
    calls = turn.calls
    if prompting.said_only:
        question = "\n".join(m.content for m in task.messages if m.role == "user")
        calls = calls_asked(calls, task.tools, question)
    prediction.output = [{task.original_name(c.name): task.declared_arguments(c)}
                         for c in calls]
    prediction.text = completion.text
    prediction.parse_errors = [e.message for e in turn.errors]
    prediction.finish_reason = completion.finish_reason
    usage = completion.usage
    prediction.prompt_tokens = usage.prompt_tokens
    prediction.prompt_tokens_evaluated = usage.prompt_tokens_evaluated
    prediction.completion_tokens = usage.completion_tokens
    return prediction


def score(task: BfclTask, prediction: Prediction) -> Score:
    """The official BFCL verdict (AST checker, or the (ir)relevance rule) on a prediction."""
    from toolweave.eval.bfcl.checker import check_ast, check_relevance

    if prediction.error is not None:
        return Score(id=task.id, category=task.category, valid=False,
                     error_type="model_error", errors=[prediction.error])
    if task.category in RELEVANCE_CATEGORIES:
        verdict = check_relevance(prediction.output, task.category)
    else:
        try:
            verdict = check_ast(task.functions, prediction.output, task.possible_answer or [],
                                task.category)
        except Exception as exc:  # noqa: BLE001 - their checker on an odd output: wrong answer
            verdict = {"valid": False, "error": [repr(exc)], "error_type": "checker_error"}
    return Score(id=task.id, category=task.category, valid=bool(verdict["valid"]),
                 error_type="" if verdict["valid"] else verdict.get("error_type", ""),
                 errors=verdict.get("error", []))


class PredictionStore(JsonlStore[Prediction]):
    """``predictions.jsonl``: one `Prediction` a line, appended and flushed per task."""

    def __init__(self, path: str | Path):
        super().__init__(path, Prediction)


@dataclass(frozen=True)
class BfclJob:
    """One task to predict, as a picklable job for `toolweave.eval.ray_pool` (it can run on a
    Ray worker holding its own model)."""

    task: BfclTask
    fmt_name: str
    constrained: bool
    max_tokens: int = DEFAULT_MAX_TOKENS
    prompting: Prompting = BFCL_PROMPTING

    async def __call__(self, model: ChatModel) -> Prediction:
        return await predict(self.task, model, self.fmt_name, self.constrained, self.max_tokens,
                             self.prompting)


async def predict_all(tasks: Sequence[BfclTask], model: ModelSource, fmt_name: str,
                      constrained: bool, store: PredictionStore, *,
                      max_tokens: int = DEFAULT_MAX_TOKENS,
                      prompting: Prompting = BFCL_PROMPTING,
                      console: Console | None = None, show_progress: bool = True,
                      ray: RayOptions | None = None) -> dict[str, Prediction]:
    """Predict every task not yet in ``store``, with a progress bar; all predictions by id.

    ``model`` is a model or, with ``ray``, what each Ray worker loads (see `ray_pool`)."""
    done = store.load()
    todo = [t for t in tasks if t.id not in done]
    by_id = {t.id: t for t in tasks}
    right = sum(score(t, done[t.id]).valid for t in tasks if t.id in done)
    seen = len(tasks) - len(todo)
    jobs = [BfclJob(t, fmt_name, constrained, max_tokens, prompting) for t in todo]
    with eval_progress(console, show_progress) as progress:
        bar = progress.add_task(f"BFCL {model_name(model)} {fmt_name}", total=len(tasks),
                                completed=seen, stat=percent("acc", right, seen))
        async for prediction in run_jobs(jobs, model, ray):
            store.append(prediction)
            done[prediction.id] = prediction
            right += score(by_id[prediction.id], prediction).valid
            seen += 1
            progress.update(bar, advance=1, description=f"BFCL {prediction.category}",
                            stat=percent("acc", right, seen))
    return done


def write_scores(path: str | Path, scores: Sequence[Score]) -> None:
    """All verdicts, one JSON line each (rewritten on every scoring: scores are derived data)."""
    with Path(path).open("w", encoding="utf-8") as f:
        f.writelines(json.dumps(s.model_dump(), default=str) + "\n" for s in scores)
