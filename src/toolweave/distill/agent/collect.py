"""`toolweave distill collect-agent`: a teacher runs `eval suite` tasks through the real Agent
(react), and every model turn's prompt is kept in its trace.

The output folder is an ordinary `eval suite` out dir (``results.jsonl`` with the suite
scorer's verdicts, one trace per task under ``traces/``, ``report.md``), so it resumes like
one: a killed collect continues where it stopped and never runs a finished task again. Two
things are added: each trace's ``meta["prompts"]`` holds the messages of every model turn
exactly as the agent sent them (in the order of the trace's steps that have a completion),
and ``collect.json`` names the suite file, which `build-agent` reads again for the scorer.

The prompts are recorded at the model boundary (`PromptRecorder`), not re-rendered later:
every strategy's model turns go through `RunContext.model_turn`, so what the wrapped model
receives is what the agent sent, whatever the turn (an act turn, the calculation turn, the
answer turn) and whatever guard shaped it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from rich.console import Console

from toolweave.eval.jsonl_store import check_run_config
from toolweave.eval.ray_pool import ModelSource, RayOptions
from toolweave.eval.suite.format import load_suite
from toolweave.eval.suite.run import (
    SUITE_SETTINGS,
    RunSettings,
    SuiteJob,
    SuiteResult,
    run_suite,
    toolbox_for,
)
from toolweave.models.base import ChatModel
from toolweave.types import Completion, Delta, Message, Trace

PROMPTS_KEY = "prompts"  # the trace meta entry holding each model turn's messages
STRATEGY = "react"  # toolweave's best strategy on the agent benchmark (README)
SOURCE_FILE = "collect.json"


class PromptRecorder:
    """A `ChatModel` that passes every call to ``model`` and keeps the messages it was sent,
    as ``{"role", "content"}`` dicts (TRL's conversational format). Only text tool formats
    are recorded: a native format's tools and calls live outside the messages' content."""

    def __init__(self, model: ChatModel):
        self.model = model
        self.name = model.name
        self.constraint_kinds = model.constraint_kinds
        self.prompts: list[list[dict[str, str]]] = []

    def __getattr__(self, name: str) -> Any:  # the router reads a model's ``dialect``
        return getattr(self.model, name)

    async def complete(self, messages: Sequence[Message], **kwargs: Any) -> Completion:
        self._record(messages, kwargs)
        return await self.model.complete(messages, **kwargs)

    def stream(self, messages: Sequence[Message], **kwargs: Any) -> AsyncIterator[Delta]:
        self._record(messages, kwargs)
        return self.model.stream(messages, **kwargs)

    def _record(self, messages: Sequence[Message], kwargs: dict[str, Any]) -> None:
        if kwargs.get("tools") or any(m.tool_calls or m.tool_call_id for m in messages):
            raise ValueError("collect-agent records text tool formats only (hermes, glm-xml, "
                             "plaintext): a native format's tools and calls are not in the "
                             "messages' text")
        self.prompts.append([{"role": m.role, "content": m.content} for m in messages])


@dataclass(frozen=True)
class PromptedSuiteJob(SuiteJob):
    """A suite job whose trace keeps every model turn's prompt (``meta["prompts"]``)."""

    records: ClassVar[str] = PROMPTS_KEY

    async def __call__(self, model: ChatModel) -> tuple[Any, Trace]:
        recorder = PromptRecorder(model)
        outcome, trace = await super().__call__(recorder)  # type: ignore[arg-type]
        trace.meta[PROMPTS_KEY] = recorder.prompts
        return outcome, trace


def collect_agent(suite: str | Path, teacher: ModelSource, out_dir: str | Path, *,
                  limit: int | None = None, tags: Sequence[str] = (),
                  settings: RunSettings = SUITE_SETTINGS, console: Console | None = None,
                  show_progress: bool = True, ray: RayOptions | None = None) -> SuiteResult:
    """Run ``teacher`` (a model spec, an OpenAI-compatible URL spec, or a model) over the
    first ``limit`` tasks of ``suite`` (a suite file, or a `distill worlds` folder for its
    ``train.yaml``; those tagged ``tags``) under react, recording each
    turn's prompt; resumes into ``out_dir``. With ``ray``, tasks run on Ray workers."""
    from toolweave.formats import get_format

    if get_format(settings.format).native:
        raise ValueError(f"format {settings.format!r} is native (tools outside the text): "
                         "collect-agent needs a text format such as hermes")
    path = Path(suite).expanduser().resolve()
    if path.is_dir():  # a `distill worlds` folder: its train split
        path = path / "train.yaml"
    loaded = load_suite(path)  # a suite that does not parse fails here, before any write
    toolbox_for(loaded)  # and one whose tools do not import
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    check_run_config(out / SOURCE_FILE, {"suite": str(path)})
    return run_suite(loaded, teacher, [STRATEGY], out, settings=settings, tags=tags,
                     limit=limit, console=console, show_progress=show_progress, ray=ray,
                     job=PromptedSuiteJob)
