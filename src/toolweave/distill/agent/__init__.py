"""Distilling the agent's executor (issue 17): a teacher's multi-step runs over `eval suite`
tasks (the synthetic worlds' train split) → kept trajectories → one SFT row per model turn.

    collect_agent(suite, "teacher", out)          # toolweave distill collect-agent
    build_agent_dataset([out], data_dir)          # toolweave distill build-agent

`collect` runs the real Agent and records each turn's prompt; `usage` says which tool results
a run used (no wasted step); `trajectories` reads a collect folder back and judges each run;
`build` writes the rows, split by world, in the format `distill train` consumes.
"""

from toolweave.distill.agent.build import AgentBuildSummary, build_agent_dataset
from toolweave.distill.agent.collect import PromptRecorder, collect_agent

__all__ = ["AgentBuildSummary", "PromptRecorder", "build_agent_dataset", "collect_agent"]
