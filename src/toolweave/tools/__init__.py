"""Tools: typed Python functions the model can call, a registry of them, and built-ins.

Layer rule: this package imports only from `toolweave.types`, `toolweave.errors`, the
standard library, pydantic and (lazily, in `builtins.search_docs`) bm25s.
"""

from toolweave.tools.errors import (
    DuplicateToolError,
    PythonExecError,
    ToolDefinitionError,
    ToolLoadError,
    UnknownToolError,
)
from toolweave.tools.registry import ToolRegistry, load_tools
from toolweave.tools.stateful import tools_from_object
from toolweave.tools.tool import Tool, tool

__all__ = [
    "DuplicateToolError", "PythonExecError", "Tool", "ToolDefinitionError", "ToolLoadError",
    "ToolRegistry", "UnknownToolError", "load_tools", "tool", "tools_from_object",
]
