"""toolweave: a local-first agent runtime — a small language model, a loop, and tools.

    from toolweave import Agent, load_model, tool

    @tool
    def get_weather(city: str) -> str:
        "The weather in a city."
        ...

    trace = Agent(load_model("default"), [get_weather]).run("Is it raining in Oslo?")
    print(trace.answer)

Importing this package is cheap: the names below load their modules on first use (PEP 562),
and heavy libraries (llama_cpp, matplotlib, ray, torch) load only when a backend needs them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from toolweave.types import (
    Completion,
    Constraint,
    Delta,
    Message,
    Step,
    ToolCall,
    ToolSpec,
    Trace,
    Usage,
)

if TYPE_CHECKING:  # what the lazy names are, for type checkers and editors
    from toolweave.agents import Agent
    from toolweave.agents.conversation import Conversation
    from toolweave.agents.settings import RunSettings
    from toolweave.models import ChatModel, Scripted, load_model
    from toolweave.retrieval.catalog import ToolCatalog
    from toolweave.tools import Tool, ToolRegistry, load_tools, tool, tools_from_object

__version__ = "0.1.0"

# the public face: name -> the module that defines it, imported when first asked for
_LAZY = {
    "Agent": "toolweave.agents",
    "Conversation": "toolweave.agents.conversation",
    "RunSettings": "toolweave.agents.settings",
    "ChatModel": "toolweave.models",
    "Scripted": "toolweave.models",
    "load_model": "toolweave.models",
    "Tool": "toolweave.tools",
    "ToolRegistry": "toolweave.tools",
    "load_tools": "toolweave.tools",
    "tool": "toolweave.tools",
    "tools_from_object": "toolweave.tools",
    "ToolCatalog": "toolweave.retrieval.catalog",
}

__all__ = [
    "Agent", "ChatModel", "Completion", "Constraint", "Conversation", "Delta", "Message",
    "RunSettings", "Scripted", "Step",
    "Tool", "ToolCall", "ToolCatalog", "ToolRegistry", "ToolSpec", "Trace", "Usage",
    "__version__", "load_model", "load_tools", "tool", "tools_from_object",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'toolweave' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # the next lookup is a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
