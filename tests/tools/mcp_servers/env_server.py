"""An MCP server (stdio) with one tool that tells the names of its environment variables."""

from __future__ import annotations

import os

from mcp.server.mcpserver import MCPServer

server = MCPServer("env_server")


@server.tool()
def env_names() -> str:
    """The names of this server's environment variables, comma-separated."""
    return ",".join(sorted(os.environ))


if __name__ == "__main__":
    server.run()
