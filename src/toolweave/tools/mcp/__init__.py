"""MCP: the tools of Model Context Protocol servers as toolweave tools.

``client`` (`connect_mcp`, the public face re-exported here), ``server`` (one server's session,
stdio or streamable HTTP), ``stdio`` (launching a server process with a clean environment),
``names`` (tool names made unique and valid), ``results`` (a call's result as an observation),
``failures`` (typed errors). The MCP library loads on first use of a public name, so the light
modules (``names``) import without it.
"""

from __future__ import annotations

from typing import Any

__all__ = ["McpError", "McpServer", "McpTimeoutError", "McpToolError", "connect_mcp",
           "merge_tools"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from toolweave.tools.mcp import client

        return getattr(client, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
