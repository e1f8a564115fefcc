"""Errors raised while defining, registering and loading tools.

Errors *inside* a tool call never escape `Tool.invoke`: they become an `Observation` with
``ok=False``. These classes are for mistakes a developer makes while wiring tools together.
"""

from __future__ import annotations

from toolweave.errors import ToolweaveError


class ToolDefinitionError(ToolweaveError, TypeError):
    """A function that cannot become a tool (bad name, ``*args``, unresolvable type hints …)."""


class DuplicateToolError(ToolweaveError, ValueError):
    """Two tools with the same name in one registry."""


class UnknownToolError(ToolweaveError, KeyError):
    """No tool by that name; the message lists close names."""

    def __str__(self) -> str:
        # KeyError's own __str__ wraps the message in quotes, which reads badly in a traceback.
        return str(self.args[0]) if self.args else ""


class ToolLoadError(ToolweaveError, ImportError):
    """A ``module:attr`` tool spec whose module or attribute cannot be found or used."""


class PythonExecError(ToolweaveError):
    """Code run by the python tool exited with an error; the message carries its output."""


class SandboxUnavailableError(ToolweaveError):
    """The python tool's sandbox (bubblewrap) is missing or cannot start here; the message
    says how to fix it or how to opt into running code unsandboxed."""
