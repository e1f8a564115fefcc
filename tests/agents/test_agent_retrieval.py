"""Agents with a tool catalog: each question sees only its retrieved tools."""

from __future__ import annotations

from toolweave.agents import Agent
from toolweave.models import Scripted
from toolweave.retrieval import ToolCatalog
from toolweave.tools import ToolRegistry, tool
from toolweave.types import Trace


def make_tools() -> ToolRegistry:
    registry = ToolRegistry()

    @registry.add
    @tool
    def get_weather(city: str) -> str:
        """Current weather and temperature forecast for a city."""
        return "sunny"

    @registry.add
    @tool
    def convert_currency(amount: float, to: str) -> str:
        """Convert money between currencies using exchange rates."""
        return "1"

    @registry.add
    @tool
    def translate(text: str, language: str) -> str:
        """Translate text into another language."""
        return "hola"

    return registry


async def test_only_retrieved_tools_reach_the_prompt(tmp_path):
    tools = make_tools()
    catalog = ToolCatalog(tools.specs(), embedder=None)
    catalog.save(str(tmp_path / "cat"))
    model = Scripted(["It is sunny."])
    agent = Agent(model, tools, catalog=tmp_path / "cat", top_k=1)
    trace = await agent.arun("What is the weather forecast in Oslo?", trace_path=tmp_path / "t")
    system = model.calls[0][0].content
    assert "get_weather" in system and "translate" not in system
    assert trace.meta["retrieved"][0]["tool"] == "get_weather"
    assert Trace.load(tmp_path / "t").meta["retrieved"] == trace.meta["retrieved"]
