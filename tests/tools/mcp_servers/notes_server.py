"""A second, smaller MCP server (stdio) whose ``echo`` clashes with demo_server's."""

from __future__ import annotations

from mcp.server.mcpserver import MCPServer

server = MCPServer("notes", log_level="WARNING")


@server.tool()
def echo(text: str) -> str:
    """Return the text with a prefix saying which server answered."""
    return f"notes: {text}"


@server.tool()
def count_words(text: str) -> int:
    """Count the words in a text."""
    return len(text.split())


if __name__ == "__main__":
    server.run()
