"""`ToolRegistry`: the set of tools one run may use, looked up by name.

The order tools were added is the order `specs()` returns, so the tool docs rendered into the
prompt stay byte-identical between steps and runs and the prompt prefix can be cached.

What is derived from the whole tool set (rendered docs, a turn grammar, a bound format) is kept
by the runtime per ``version`` (`toolweave.runtime.derived`), which every change bumps.
"""

from __future__ import annotations

import asyncio
import difflib
import importlib
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from toolweave.tools.errors import DuplicateToolError, ToolLoadError, UnknownToolError
from toolweave.tools.tool import Tool, tool
from toolweave.types import Observation, ToolCall, ToolSpec


class ToolRegistry:
    """An ordered, name-unique collection of tools."""

    def __init__(self, tools: Iterable[Tool | Callable[..., Any]] = ()) -> None:
        self._tools: dict[str, Tool] = {}
        self.version = 0  # bumped by every change to the tool set
        self.include(tools)

    def add(self, item: Tool | Callable[..., Any]) -> Tool:
        """Add a Tool, or a plain function (wrapped with `@tool`); returns the Tool.

        Returning the Tool lets ``@registry.add`` work as a decorator.
        """
        added = item if isinstance(item, Tool) else tool(item)
        if added.name in self._tools:
            raise DuplicateToolError(
                f"a tool named {added.name!r} is already registered; give one of them another "
                "name with @tool(name=...)"
            )
        self._tools[added.name] = added
        self.version += 1
        return added

    def include(self, source: ToolRegistry | Iterable[Tool | Callable[..., Any]]) -> ToolRegistry:
        """Add every tool of another registry or iterable; returns self for chaining."""
        for item in source:
            self.add(item)
        return self

    def get(self, name: str) -> Tool:
        """The tool called ``name``; `UnknownToolError` (a KeyError) names close matches."""
        try:
            return self._tools[name]
        except KeyError:
            raise UnknownToolError(self._unknown_message(name)) from None

    __getitem__ = get

    def stateful(self, name: str) -> bool:
        """Whether ``name`` is a tool whose calls change state (`Tool.stateful`); False for a
        name that is no tool here."""
        tool = self._tools.get(name)
        return tool is not None and tool.stateful

    def requires_confirmation(self, name: str) -> bool:
        """Whether ``name`` is a tool declared ``requires_confirmation=True``; False for a
        name that is no tool here."""
        tool = self._tools.get(name)
        return tool is not None and tool.requires_confirmation

    def names(self) -> list[str]:
        """Tool names in insertion order."""
        return list(self._tools)

    def specs(self) -> list[ToolSpec]:
        """Every tool's spec, in insertion order (stable, so prompts can be cached)."""
        return [t.spec for t in self._tools.values()]

    def __len__(self) -> int:
        return len(self._tools)

    def __contains__(self, name: object) -> bool:
        return name in self._tools

    def __iter__(self) -> Iterator[Tool]:
        return iter(list(self._tools.values()))

    def __repr__(self) -> str:
        return f"ToolRegistry({self.names()!r})"

    async def invoke(self, call: ToolCall) -> Observation:
        """Run one call; an unknown tool name becomes a failed observation listing the tools."""
        found = self._tools.get(call.name)
        if found is None:
            now = time.time()
            return Observation(call_id=call.id, tool=call.name, ok=False, error="unknown_tool",
                               content=self._unknown_message(call.name),
                               started_at=now, ended_at=now)
        return await found.invoke(call)

    async def invoke_all(self, calls: Iterable[ToolCall]) -> list[Observation]:
        """Run calls concurrently; observations come back in the order of the calls."""
        return list(await asyncio.gather(*(self.invoke(c) for c in calls)))

    def _unknown_message(self, name: str) -> str:
        close = difflib.get_close_matches(name, self._tools, n=3, cutoff=0.6)
        hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        available = ", ".join(self._tools) or "(none)"
        return f"Unknown tool {name!r}.{hint} Available tools: {available}."


def load_tools(spec: str) -> ToolRegistry:
    """Import tools named by ``"package.module:attr"`` into a new registry.

    ``attr`` (dotted for nested attributes) may be a Tool, a function, a ToolRegistry or a
    list/tuple of Tools and functions.
    """
    module_name, sep, attr_path = spec.partition(":")
    if not sep or not module_name or not attr_path:
        raise ToolLoadError(f"tool spec {spec!r} should look like 'package.module:attribute'")
    module = _import(module_name, spec)
    value: Any = module
    for part in attr_path.split("."):
        if not hasattr(value, part):
            public = sorted(n for n in dir(module) if not n.startswith("_"))
            raise ToolLoadError(
                f"module {module_name!r} has no attribute {attr_path!r} (tool spec {spec!r}); "
                f"it has: {', '.join(public[:20]) or '(nothing public)'}"
            )
        value = getattr(value, part)
    return _as_registry(value, spec)


def _import(module_name: str, spec: str) -> Any:
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and (module_name == exc.name or module_name.startswith(exc.name + ".")):
            raise ToolLoadError(
                f"cannot load tool spec {spec!r}: no module named {exc.name!r} "
                "(is it installed, or on PYTHONPATH?)"
            ) from exc
        raise ToolLoadError(f"cannot load tool spec {spec!r}: module {module_name!r} failed "
                            f"to import: {exc}") from exc
    except Exception as exc:
        raise ToolLoadError(f"cannot load tool spec {spec!r}: module {module_name!r} failed "
                            f"to import: {type(exc).__name__}: {exc}") from exc


def _as_registry(value: Any, spec: str) -> ToolRegistry:
    if isinstance(value, ToolRegistry):
        return value
    if isinstance(value, Tool) or callable(value):
        return ToolRegistry([value])
    if isinstance(value, (list, tuple)):
        bad = [v for v in value if not (isinstance(v, Tool) or callable(v))]
        if not bad:
            return ToolRegistry(value)
    raise ToolLoadError(
        f"tool spec {spec!r} names a {type(value).__name__}; expected a Tool, a function, "
        "a ToolRegistry or a list of Tools/functions"
    )
