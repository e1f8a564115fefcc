"""MCP client: the tools of Model Context Protocol servers as toolweave `Tool`s.

``McpServer`` connects to one server, either a command line launched as a subprocess (stdio) or
an ``http(s)://`` URL (streamable HTTP), lists its tools and wraps each one with
`Tool.from_callable`. ``connect_mcp`` does the same for several servers and merges their tools
into one `ToolRegistry`::

    async with connect_mcp(["uvx mcp-server-fetch", "http://localhost:8000/mcp"]) as registry:
        observation = await registry.invoke(call)

Calls never raise through `Tool.invoke`: a tool's own failure (``isError``), a timeout and a
server that died all come back as observations with ``ok=False``. Start-up failures raise
`McpError` with one line naming the server and the cause.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

from toolweave.tools.mcp.failures import McpError, McpTimeoutError, McpToolError
from toolweave.tools.mcp.names import sanitize, unique
from toolweave.tools.mcp.server import McpServer
from toolweave.tools.registry import ToolRegistry
from toolweave.tools.tool import Tool

__all__ = ["McpError", "McpServer", "McpTimeoutError", "McpToolError", "connect_mcp",
           "merge_tools"]


@asynccontextmanager
async def connect_mcp(targets: Sequence[str], **options: Any) -> AsyncIterator[ToolRegistry]:
    """Connect to several MCP servers at once and yield one `ToolRegistry` of all their tools.

    ``options`` are passed to every `McpServer` (``startup_timeout_s``, ``call_timeout_s``,
    ``max_output_chars``). Servers start concurrently; if one fails, the others are closed and
    its `McpError` is raised. A tool name offered by more than one server is prefixed with the
    server's name (``fs_read``, ``git_read``) in every server that has it.
    """
    if "name" in options:
        raise TypeError("connect_mcp names servers itself; connect McpServer(name=...) instead")
    servers = [McpServer(target, **options) for target in targets]
    taken: set[str] = set()
    for server in servers:  # unique server names keep the prefixes unique
        server.name = unique(server.name, taken)
        taken.add(server.name)
    async with AsyncExitStack() as stack:
        outcomes = await asyncio.gather(*(s.__aenter__() for s in servers),
                                        return_exceptions=True)
        for server, outcome in zip(servers, outcomes):
            if not isinstance(outcome, BaseException):
                stack.push_async_exit(server)
        failures = [o for o in outcomes if isinstance(o, BaseException)]
        if failures:
            raise failures[0]
        yield merge_tools(servers)


def merge_tools(servers: Sequence[McpServer]) -> ToolRegistry:
    """One registry of the servers' tools; names several servers share get a server prefix."""
    counts: dict[str, int] = {}
    for server in servers:
        for tool in server.tools():
            counts[tool.name] = counts.get(tool.name, 0) + 1
    registry = ToolRegistry()
    for server in servers:
        for tool in server.tools():
            name = tool.name
            if counts[name] > 1:
                name = sanitize(f"{sanitize(server.name)}_{name}")
            name = unique(name, registry.names())
            if name != tool.name:
                tool = Tool.from_callable(tool.spec.model_copy(update={"name": name}), tool.fn,
                                          timeout_s=tool.timeout_s,
                                          max_output_chars=tool.max_output_chars)
            registry.add(tool)
    return registry
