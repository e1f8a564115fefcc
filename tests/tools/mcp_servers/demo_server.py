"""A small MCP server for the MCP client tests, built on the SDK's `MCPServer` (FastMCP in mcp 1.x).

Runs over stdio by default; ``--http PORT`` serves streamable HTTP on 127.0.0.1:PORT/mcp instead.
``--name NAME`` renames the server (tests that merge two servers use it).
"""

from __future__ import annotations

import argparse
import asyncio
import os

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError


def build(name: str) -> MCPServer:
    server = MCPServer(name, log_level="WARNING")

    @server.tool()
    def add(a: int, b: int) -> int:
        """Add two integers."""
        return a + b

    @server.tool()
    def echo(text: str) -> str:
        """Return the text unchanged."""
        return text

    @server.tool()
    async def slow(seconds: float) -> str:
        """Sleep for some seconds, then say so."""
        await asyncio.sleep(seconds)
        return f"slept {seconds}"

    @server.tool()
    def fail(message: str) -> str:
        """Always fail with the given message."""
        # ToolError's message reaches the client; any other exception is reported as
        # "Error executing tool fail" so as not to leak server internals.
        raise ToolError(message)

    @server.tool()
    def crash() -> str:
        """Kill the whole server process in the middle of the call."""
        os._exit(3)

    @server.tool()
    def big(n: int) -> str:
        """Return n copies of 'x'."""
        return "x" * n

    @server.tool(name="math.mul")
    def mul(a: float, b: float) -> float:
        """Multiply two numbers (a tool name with a dot in it)."""
        return a * b

    return server


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--http", type=int, metavar="PORT")
    parser.add_argument("--name", default="demo")
    args = parser.parse_args()
    server = build(args.name)
    if args.http is None:
        server.run()
    else:
        server.run("streamable-http", host="127.0.0.1", port=args.http)


if __name__ == "__main__":
    main()
