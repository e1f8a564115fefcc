"""The DAG strategy (TURA stage 2 / LLMCompiler): plan a graph of tool calls, run it
concurrently, join.

`strategy` is the loop (decompose, plan, execute, join, replan, fall back to ReAct); `plan` is
the plan's text format (its grammars, the streaming parser, validation, ``$k`` references);
`scheduler` runs a plan's tasks as their dependencies finish.
"""

from toolweave.agents.dag.strategy import DagStrategy

__all__ = ["DagStrategy"]
