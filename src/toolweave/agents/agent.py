"""`Agent`: a model, tools and a strategy, with budgets and a trace — the Python entry point.

    agent = Agent("default", [my_tool], strategy="react")
    trace = agent.run("question")          # or: await agent.arun("question")
    print(trace.answer)
"""

from __future__ import annotations

import asyncio
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
from toolweave.runtime.recorder import Listener, TraceRecorder
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
    """

    def __init__(
        self, model: str | ChatModel = "default",
        tools: ToolRegistry | Iterable[Tool | Callable[..., Any]] = (),
        settings: RunSettings | None = None, *, catalog: Any = None, **options: Any,
    ):
        base = settings.model_dump() if settings is not None else {}
        self.settings = settings = RunSettings(**{**base, **options})
        self._model = model
        self.tools = tools if isinstance(tools, ToolRegistry) else ToolRegistry(tools)
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
                   tools: ToolRegistry | None = None, meta: dict[str, Any] | None = None
                   ) -> Trace:
        """Answer ``question``; the trace is written to ``trace_path`` step by step if given.

        ``history``: earlier turns of a conversation, as messages (`Conversation` keeps them);
        ``tools``: this run's tool set instead of the agent's (a session's own); ``meta``:
        recorded in the trace's meta from its start."""
        model = self.model if not isinstance(self._model, str) else await asyncio.to_thread(
            lambda: self.model)
        tools, retrieved = self._tools_for(question, self.tools if tools is None else tools)
        trace = Trace(question=question, strategy=self.strategy_name, model=model.name,
                      meta={"format": self.format_name, "tools": tools.names(), **(meta or {})})
        recorder = TraceRecorder(trace, trace_path, list(listeners))
        if retrieved is not None:
            recorder.meta(retrieved=retrieved)
        budget = Budget(**self.budget)
        ctx = RunContext(model=model, tools=tools, format=self.format_for(tools), budget=budget,
                         recorder=recorder, constrained=self.constrained,
                         reasoning=self.reasoning, tool_choice=self.tool_choice,
                         grounded=self.grounded, history=tuple(history))
        options = {"use_model": self.route_with_model} if self.strategy_name == "auto" else {}
        strategy = STRATEGIES[self.strategy_name](instructions=self.instructions, **options)
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
        return derived(tools, ("format", self.format_name),
                       lambda: get_format(self.format_name, tools.specs()))

    def session(self, path: str | Path | None = None, *,
                tools: ToolRegistry | Iterable[Tool | Callable[..., Any]] | None = None,
                **options: Any) -> Conversation:
        """A conversation with this agent: each `Conversation.ask` sees the earlier turns.
        ``path``: a session file, reloaded when it exists; ``tools``: the session's own tool
        set (its state lives as long as the session), else the agent's. ``options`` as for
        `Conversation` (``max_history_chars``)."""
        from toolweave.agents.conversation import Conversation

        return Conversation(self, path, tools=tools, **options)

    def _tools_for(self, question: str, tools: ToolRegistry
                   ) -> tuple[ToolRegistry, list[dict] | None]:
        """The tools this question sees: all of them, or the catalog's top-k among them."""
        if self.catalog is None:
            return tools, None
        if not hasattr(self.catalog, "search"):
            from toolweave.retrieval import ToolCatalog

            self.catalog = ToolCatalog.load(str(self.catalog))
        hits = [h for h in self.catalog.search(question, self.top_k) if h.tool.name in tools]
        chosen = ToolRegistry([tools.get(h.tool.name) for h in hits])
        return chosen, [{"tool": h.tool.name, "score": round(h.score, 4)} for h in hits]

    def run(self, question: str, **kwargs: Any) -> Trace:
        """Synchronous `arun`, for scripts and notebooks without an event loop."""
        return asyncio.run(self.arun(question, **kwargs))
