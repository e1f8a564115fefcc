"""Agent strategies over one shared runtime, and the `Agent` entry point."""

from toolweave.agents.agent import STRATEGIES, Agent
from toolweave.agents.react import ReactStrategy

__all__ = ["STRATEGIES", "Agent", "ReactStrategy"]
