"""Other tools that may fit: named in the hint of a failed call.

A small model that picks the wrong tool (a product lookup for a company's share price) reads
the tool's error and tries the same tool again with other arguments. Naming the tools that
best match the question — found by the tool catalog's retrieval over their docs, not by the
model — gives it the move it missed.
"""

from __future__ import annotations

from toolweave.runtime.derived import derived
from toolweave.tools.registry import ToolRegistry
from toolweave.types import ToolSpec

MAX_ALTERNATIVES = 2
MIN_TOOLS = 3  # with fewer tools the prompt's list is short enough to read


def alternatives(tools: ToolRegistry, question: str, failed_tool: str,
                 k: int = MAX_ALTERNATIVES) -> list[str]:
    """Up to ``k`` tools other than ``failed_tool`` that best match ``question``, written as
    ``name(arg, …)``; none for a small tool set or an empty question."""
    if len(tools) < MIN_TOOLS or not question.strip():
        return []
    catalog = derived(tools, "alternatives_catalog", lambda: _catalog(tools))
    hits = catalog.search(question, k + 1)
    return [call_shape(h.tool) for h in hits if h.tool.name != failed_tool][:k]


def call_shape(spec: ToolSpec) -> str:
    """``name(arg, …)``: how a tool is named in a hint."""
    return f"{spec.name}({', '.join(spec.parameters.get('properties', {}))})"


def _catalog(tools: ToolRegistry):
    from toolweave.retrieval import ToolCatalog  # numpy and the embedder: on first failure

    return ToolCatalog(tools.specs())
