"""`AgentCatalog`: the config's named agents made real — models loaded once (or made per run
by their factory), tool sets built once (MCP servers connected for the server's lifetime).

An MCP server is another program, outside the config's control: one that cannot start (a
missing command, a crash at start-up, a URL nobody answers) does not stop the whole server.
Its tool set is left out and says why — in the log at start-up, and as a 503 to every
request that names it — while the other tool sets serve runs as usual.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from toolweave.agents.agent import Agent
from toolweave.agents.settings import RunSettings
from toolweave.models.base import ChatModel
from toolweave.serve.config import ModelConfig, ServeConfig, ToolSetConfig
from toolweave.tools.mcp import McpError, connect_mcp
from toolweave.tools.registry import ToolRegistry, load_tools

log = logging.getLogger("toolweave.serve")


class UnknownAgentError(LookupError):
    """A request named an agent the config does not have."""


class UnavailableToolSetError(LookupError):
    """A request needs a tool set whose MCP servers could not be started with the server."""


class AgentCatalog:
    """Builds an `Agent` per run from the config. Use as an async context manager: entering it
    builds the tool sets (and connects their MCP servers), leaving it closes them."""

    def __init__(self, config: ServeConfig):
        self.config = config
        self._models: dict[str, ChatModel] = {}
        self._model_locks: dict[str, asyncio.Lock] = {}
        self._toolsets: dict[str, ToolRegistry] = {}
        self.unavailable: dict[str, str] = {}  # tool set -> why it could not be built
        self._stack = contextlib.AsyncExitStack()

    async def __aenter__(self) -> AgentCatalog:
        for entry in self.config.models.values():
            if entry.factory is not None:
                _factory(entry.factory)  # a typo fails at start-up, not at the first run
        for name, toolset in self.config.toolsets.items():
            try:
                self._toolsets[name] = await self._build_toolset(toolset)
            except McpError as exc:
                self.unavailable[name] = str(exc)
                log.error("tool set %r is unavailable: %s (its runs are refused with 503; "
                          "the other tool sets are served)", name, exc)
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self._stack.aclose()

    def names(self) -> list[str]:
        return list(self.config.agents)

    def resolve(self, name: str | None, model: str | None = None, toolset: str | None = None
                ) -> tuple[str, str, str]:
        """The agent, model and tool set names a request means (the agent's own model and tool
        set unless it names others); an unknown name is an `UnknownAgentError`, a tool set
        whose MCP servers did not start an `UnavailableToolSetError`."""
        name = name or self.config.default_agent
        chosen = self.config.agents.get(name)
        if chosen is None:
            raise UnknownAgentError(
                f"no agent {name!r}; this server has: {', '.join(self.config.agents)}")
        model, toolset = model or chosen.model, toolset or chosen.toolset
        if model not in self.config.models:
            raise UnknownAgentError(
                f"no model {model!r}; this server has: {', '.join(self.config.models)}")
        if toolset in self.unavailable:
            raise UnavailableToolSetError(
                f"tool set {toolset!r} is unavailable: {self.unavailable[toolset]}; it could "
                "not be started with the server (fix it and restart the server)")
        if toolset not in self._toolsets:
            raise UnknownAgentError(
                f"no tool set {toolset!r}; this server has: {', '.join(self._toolsets)}")
        return name, model, toolset

    def settings(self, name: str, overrides: dict[str, Any] | None = None) -> RunSettings:
        """Agent ``name``'s settings updated with ``overrides`` (validated: a bad value is
        pydantic's `ValidationError`)."""
        settings = self.config.agents[name].settings
        if overrides:
            settings = RunSettings(**{**settings.model_dump(), **overrides})
        return settings

    async def agent(self, name: str | None, overrides: dict[str, Any] | None = None, *,
                    model: str | None = None, toolset: str | None = None) -> Agent:
        """The agent ``name`` (the config's default when None) with ``overrides`` of its
        settings, and optionally another of the config's models or tool sets."""
        name, model, toolset = self.resolve(name, model, toolset)
        settings = self.settings(name, overrides)
        return Agent(await self._model(model), self._toolsets[toolset], settings)

    async def _model(self, name: str) -> ChatModel:
        entry: ModelConfig = self.config.models[name]
        if entry.factory is not None:
            return _factory(entry.factory)(**entry.options)
        if name not in self._models:
            # loading weights takes seconds: off the loop, and once however many runs ask
            async with self._model_locks.setdefault(name, asyncio.Lock()):
                if name not in self._models:
                    from toolweave.models import load_model

                    self._models[name] = await asyncio.to_thread(
                        load_model, entry.spec, **entry.options)
        return self._models[name]

    async def _build_toolset(self, toolset: ToolSetConfig) -> ToolRegistry:
        from toolweave.tools.builtins import builtin_tools

        registry = (builtin_tools(docs_dir=toolset.docs, files_root=toolset.files,
                                  enable_python=toolset.python)
                    if toolset.builtins else ToolRegistry())
        for spec in toolset.tools:
            registry.include(load_tools(spec))
        if toolset.mcp:
            registry.include(await self._stack.enter_async_context(connect_mcp(toolset.mcp)))
        return registry


def _factory(spec: str) -> Any:
    import importlib

    module, _, attr = spec.partition(":")
    if not module or not attr:
        raise ValueError(f"model factory {spec!r} should look like 'package.module:callable'")
    value: Any = importlib.import_module(module)
    for part in attr.split("."):
        value = getattr(value, part)
    return value
