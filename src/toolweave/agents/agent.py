"""`Agent`: a model, tools and a strategy, with budgets and a trace — the Python entry point.

    agent = Agent("default", [my_tool], strategy="react")
    trace = agent.run("question", trace_path="run.jsonl")   # or: await agent.arun(...)
    print(trace.answer)
    trace = agent.resume("run.jsonl")      # a killed run, continued from its trace
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from toolweave.agents.base import Strategy
from toolweave.agents.router import RouterStrategy
from toolweave.agents.settings import RunSettings
from toolweave.agents.strategies import ROUTABLE
from toolweave.formats import get_format
from toolweave.formats.base import ToolFormat
from toolweave.models.base import ChatModel
from toolweave.runtime.budget import Budget
from toolweave.runtime.context import RunContext
from toolweave.runtime.derived import derived
from toolweave.runtime.places import place_move
from toolweave.runtime.policy import Confirm, ToolPolicy
from toolweave.runtime.recorder import Listener, TraceRecorder
from toolweave.runtime.replay import Replay, ResumeError, check_resumable
from toolweave.tools.registry import ToolRegistry
from toolweave.tools.tool import Tool
from toolweave.types import Message, Trace

if TYPE_CHECKING:
    from toolweave.agents.conversation import Conversation

STRATEGIES: dict[str, Callable[..., Strategy]] = {**ROUTABLE, "auto": RouterStrategy}


class Agent:
    """Answers questions with ``model`` (a `ChatModel` or a model spec string) and ``tools``,
    run as ``settings`` say (`RunSettings`; its fields may also be given as keywords, which
    win: ``Agent(model, tools, strategy="dag", max_steps=12)``).

    With a ``catalog`` (a `ToolCatalog` over these tools, or its saved directory), each
    question gets only its ``top_k`` retrieved tools in the prompt — retrieved once per
    question, so the prompt prefix stays stable across its steps.

    ``confirm`` is asked before every call to a tool declared ``requires_confirmation=True``
    (a sync or async callable given the `ToolCall`, true to run it); without it such calls are
    refused. With ``allowed_tools`` and ``max_calls_per_turn`` (settings) it makes the run's
    `ToolPolicy`, which the runtime enforces whatever the model or a tool's output says.
    """

    def __init__(
        self, model: str | ChatModel = "default",
        tools: ToolRegistry | Iterable[Tool | Callable[..., Any]] = (),
        settings: RunSettings | None = None, *, catalog: Any = None,
        confirm: Confirm | None = None, **options: Any,
    ):
        base = settings.model_dump() if settings is not None else {}
        self.settings = settings = RunSettings(**{**base, **options})
        self._model = model
        self.tools = tools if isinstance(tools, ToolRegistry) else ToolRegistry(tools)
        self.policy = ToolPolicy.of(settings.allowed_tools, confirm, settings.max_calls_per_turn)
        unknown = sorted(set(settings.allowed_tools or ()) - set(self.tools.names()))
        if unknown and len(self.tools):
            raise ValueError(f"allowed_tools names tools this agent does not have: "
                             f"{', '.join(unknown)} (its tools: {', '.join(self.tools.names())})")
        self.strategy_name, self.format_name = settings.strategy, settings.format
        self.budget = settings.model_dump(
            include={"max_steps", "max_tokens", "max_seconds", "step_max_tokens"})
        self.constrained, self.reasoning = settings.constrained, settings.reasoning
        self.tool_choice, self.grounded = settings.tool_choice, settings.grounded
        self.catalog, self.top_k = catalog, settings.top_k
        self.instructions = settings.instructions
        if settings.verbosity is not None:  # the final answer's length, for every strategy
            from toolweave.agents.router import verbosity_instruction

            self.instructions = "\n\n".join(
                p for p in (settings.instructions, verbosity_instruction(settings.verbosity))
                if p)
        self.verbosity, self.route_with_model = settings.verbosity, settings.route_with_model

    @property
    def model(self) -> ChatModel:
        """The model, loaded on first use from its spec."""
        if isinstance(self._model, str):
            from toolweave.models import load_model

            self._model = load_model(self._model)
        return self._model

    async def arun(self, question: str, *, trace_path: str | Path | None = None,
                   listeners: Iterable[Listener] = (), history: Sequence[Message] = (),
                   tools: ToolRegistry | None = None, meta: dict[str, Any] | None = None,
                   run_id: str | None = None) -> Trace:
        """Answer ``question``; the trace is written to ``trace_path`` step by step if given.

        ``history``: earlier turns of a conversation, as messages (`Conversation` keeps them);
        ``tools``: this run's tool set instead of the agent's (a session's own); ``meta``:
        recorded in the trace's meta from its start; ``run_id``: the trace's id (a server
        names a run before it starts), else a new one."""
        model = await self._loaded_model()
        tools, retrieved = self._tools_for(question, self.tools if tools is None else tools)
        # the settings go with the trace, so that a resumed run replays under the same ones
        tools = self._allowed(tools)
        trace = Trace(question=question, strategy=self.strategy_name, model=model.name,
                      meta={"format": self.format_name, "tools": tools.names(),
                            "settings": self.settings.model_dump(mode="json"), **(meta or {})},
                      **({"id": run_id} if run_id else {}))
        recorder = TraceRecorder(trace, trace_path, list(listeners))
        if retrieved is not None:
            recorder.meta(retrieved=retrieved)
        return await self._execute(model, tools, recorder, self.strategy_name,
                                   self.format_name, history)

    async def aresume(self, trace_path: str | Path, *, run: str | None = None,
                      listeners: Iterable[Listener] = (), history: Sequence[Message] = (),
                      tools: ToolRegistry | None = None) -> Trace:
        """Continue the run ``run`` (by default the last) of the trace at ``trace_path``,
        killed or cut short, appending to it; the finished trace is returned.

        The run's settings (strategy, format, budgets…) are the trace's, not the agent's; its
        finished steps are replayed from the trace (`runtime.replay`), so no finished tool
        call runs again and the run goes on from the step it stopped in. A call that was in
        flight runs again if its tool is idempotent (`Tool.idempotent`), else it gets an
        ``outcome_unknown`` observation; both are listed in the trace's ``meta["resumes"]``.
        The budgets count the replayed steps (``max_steps`` is for the whole run); the
        clock starts anew.

        Raises `RunFinished` for a run that had ended (with its answer, or a budget), and
        `ResumeError` for a file with no readable run or a tool set that lacks a tool the
        run called. ``history``: a conversation's earlier turns, as `arun` takes them.
        """
        from toolweave.trace_file import read_run

        try:
            record = read_run(trace_path, run)
        except ValueError as exc:
            raise ResumeError(f"cannot resume: {exc}") from exc
        registry = self.tools if tools is None else tools
        check_resumable(record, registry, trace_path)
        old = record.trace
        if old.strategy not in STRATEGIES:
            raise ResumeError(f"cannot resume run {old.id}: unknown strategy {old.strategy!r}")
        # the tools the run saw, in its order (its prompt and grammar), not a new retrieval
        names = [n for n in old.meta.get("tools", registry.names()) if n in registry]
        tools = registry if names == registry.names() else ToolRegistry(
            [registry.get(n) for n in names])
        replay = Replay(record, tools)
        meta = {k: v for k, v in old.meta.items() if k != "in_flight"}
        trace = Trace(id=old.id, question=old.question, strategy=old.strategy, model=old.model,
                      started_at=old.started_at, meta=meta)
        recorder = TraceRecorder(trace, trace_path, list(listeners), resuming=old)
        recorder.meta(resumes=[*meta.get("resumes", []), {
            "at": time.time(), "replayed_steps": len(old.steps),
            "outcome_unknown": [c.model_dump(mode="json") for c in replay.unknown],
            "rerun": [c.model_dump(mode="json") for c in replay.rerun]}])
        model = await self._loaded_model()
        runner = self
        if "settings" in meta:  # traces before settings were recorded run with the agent's
            try:
                # the run's allow-list and cap are its settings'; the user's hook is this agent's
                runner = Agent(model, tools, RunSettings(**meta["settings"]),
                               confirm=self.policy.confirm)
            except ValueError as exc:
                raise ResumeError(f"cannot resume run {old.id}: its recorded settings are not "
                                  f"valid here: {exc}") from exc
        return await runner._execute(model, tools, recorder, old.strategy,
                                     meta.get("format", self.format_name), history, replay)

    def resume(self, trace_path: str | Path, **kwargs: Any) -> Trace:
        """Synchronous `aresume`."""
        return asyncio.run(self.aresume(trace_path, **kwargs))

    async def _loaded_model(self) -> ChatModel:
        if isinstance(self._model, str):
            return await asyncio.to_thread(lambda: self.model)
        return self._model

    async def _execute(self, model: ChatModel, tools: ToolRegistry, recorder: TraceRecorder,
                       strategy_name: str, format_name: str, history: Sequence[Message],
                       replay: Replay | None = None) -> Trace:
        """Run the strategy over ``recorder``'s trace, within the budgets."""
        budget = Budget(**self.budget)
        ctx = RunContext(model=model, tools=tools,
                         format=self._format(tools, format_name), budget=budget,
                         recorder=recorder, constrained=self.constrained,
                         reasoning=self.reasoning, tool_choice=self.tool_choice,
                         grounded=self.grounded, history=tuple(history), replay=replay,
                         policy=self.policy)
        options = {"use_model": self.route_with_model} if strategy_name == "auto" else {}
        strategy = STRATEGIES[strategy_name](instructions=self.instructions, **options)
        question = recorder.trace.question
        try:
            async with asyncio.timeout(budget.max_seconds):
                return await strategy.run(question, ctx)
        except TimeoutError:
            return recorder.end(None, "timeout")
        except asyncio.CancelledError:
            recorder.end(None, "cancelled")
            raise
        except Exception as exc:
            recorder.meta(error=f"{type(exc).__name__}: {exc}")
            recorder.end(None, "error")
            raise

    def format_for(self, tools: ToolRegistry) -> ToolFormat:
        """The agent's tool format bound to ``tools``, kept with the registry rather than
        rebuilt per run."""
        return self._format(tools, self.format_name)

    @staticmethod
    def _format(tools: ToolRegistry, name: str) -> ToolFormat:
        return derived(tools, ("format", name), lambda: get_format(name, tools.specs()))

    def session(self, path: str | Path | None = None, *,
                tools: ToolRegistry | Iterable[Tool | Callable[..., Any]] | None = None,
                **options: Any) -> Conversation:
        """A conversation with this agent: each `Conversation.ask` sees the earlier turns.
        ``path``: a session file, reloaded when it exists; ``tools``: the session's own tool
        set (its state lives as long as the session), else the agent's. ``options`` as for
        `Conversation` (``max_history_chars``)."""
        from toolweave.agents.conversation import Conversation

        return Conversation(self, path, tools=tools, **options)

    def _allowed(self, tools: ToolRegistry) -> ToolRegistry:
        """``tools`` narrowed to the allow-list (kept with the registry, so the prompt prefix
        and its grammars stay the same from run to run)."""
        allowed = self.policy.allowed
        if allowed is None or allowed.issuperset(tools.names()):
            return tools
        return derived(tools, ("allowed", allowed), lambda: ToolRegistry(
            [t for t in tools if t.name in allowed]))

    def _tools_for(self, question: str, tools: ToolRegistry
                   ) -> tuple[ToolRegistry, list[dict] | None]:
        """The tools this question sees: all of them, or the catalog's top-k among them."""
        if self.catalog is None:
            return tools, None
        if not hasattr(self.catalog, "search"):
            from toolweave.retrieval import ToolCatalog

            self.catalog = ToolCatalog.load(str(self.catalog))
        hits = [h for h in self.catalog.search(question, self.top_k) if h.tool.name in tools]
        names = [h.tool.name for h in hits]
        # the move into a place the question names is made by the runtime: its tool stays
        move = place_move(tools, question)
        if move is not None and move not in names:
            names.append(move)
        chosen = ToolRegistry([tools.get(n) for n in names])
        return chosen, [{"tool": h.tool.name, "score": round(h.score, 4)} for h in hits]

    def run(self, question: str, **kwargs: Any) -> Trace:
        """Synchronous `arun`, for scripts and notebooks without an event loop."""
        return asyncio.run(self.arun(question, **kwargs))
