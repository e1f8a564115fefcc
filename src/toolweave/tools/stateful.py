"""Tools that are the methods of one object: state that lives as long as the object.

    account = Bank(balance=100)
    chat = agent.session(tools=tools_from_object(account))   # each session its own account

A booking, a file system or a trading account keeps state between calls: "book the cheapest
flight", then "now cancel it". Its tools are the public methods of an instance, each described
by its signature and docstring as a `@tool` function is; a new instance per conversation keeps
conversations apart.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable
from typing import Any

from toolweave.tools.registry import ToolRegistry
from toolweave.tools.tool import DEFAULT_TIMEOUT_S, Tool


def tools_from_object(obj: Any, *, include: Iterable[str] | None = None,
                      timeout_s: float | None = DEFAULT_TIMEOUT_S) -> ToolRegistry:
    """A tool per public method of ``obj`` (names not starting with ``_``; only those in
    ``include`` when given), bound to ``obj``: calls act on its state, so one turn's calls
    run one after another in the order written (``Tool.stateful``). A method without a
    docstring or type hints is described as far as its signature allows."""
    wanted = set(include) if include is not None else None
    tools = [Tool.from_function(method, name=name, timeout_s=timeout_s, stateful=True)
             for name, method in public_methods(obj)
             if wanted is None or name in wanted]
    if wanted is not None and (missing := wanted - {t.name for t in tools}):
        raise ValueError(f"{type(obj).__name__} has no public method {sorted(missing)}")
    return ToolRegistry(tools)


def public_methods(obj: Any) -> list[tuple[str, Any]]:
    """``obj``'s bound methods whose names do not start with ``_``, by name."""
    return [(name, method) for name, method in inspect.getmembers(obj, inspect.ismethod)
            if not name.startswith("_")]
