"""A catalog built from a real MCP server (tests/tools/mcp_servers/demo_server.py over stdio)."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from toolweave.retrieval.catalog import ToolCatalog
from toolweave.retrieval.sources import load_source

DEMO = f"{sys.executable} {Path(__file__).parents[1] / 'tools' / 'mcp_servers' / 'demo_server.py'}"


async def test_catalog_from_mcp_server():
    catalog = await asyncio.wait_for(ToolCatalog.from_mcp(DEMO, embedder=None), 30)
    assert {"add", "echo", "slow", "fail"} <= {s.name for s in catalog.specs()}
    assert catalog.get("add").parameters["properties"].keys() >= {"a", "b"}
    assert catalog.search("add two integers", k=1)[0].tool.name == "add"
    assert catalog.search("sleep for some seconds", k=1)[0].tool.name == "slow"


def test_cli_source_launches_mcp_command():
    specs = load_source(DEMO)
    assert "echo" in {s.name for s in specs}
