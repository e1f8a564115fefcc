"""`RunSettings`: how an agent runs, typed and validated once, for the Python API, the CLI and
`eval suite` alike."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from toolweave.runtime.policy import DEFAULT_MAX_CALLS_PER_TURN

Strategy = Literal["react", "preact", "dag", "auto"]
FormatName = Literal["hermes", "openai", "glm-xml", "plaintext"]
ToolChoice = Literal["auto", "first"]
Effort = Literal["auto", "minimal", "low", "medium", "high"]
Verbosity = Literal["low", "medium", "high"]


class RunSettings(BaseModel):
    """Everything about a run but the model, the tools and the question.

    ``format`` is the tool-call wire format; ``constrained`` decodes every turn under its
    grammar where the backend can; ``tool_choice="first"`` makes the first turn call a tool;
    ``reasoning`` is the effort asked of the model (each backend maps it: ``/think``,
    ``reasoning_effort``); ``grounded`` limits string arguments to spans of the question and
    values the results gave; ``verbosity`` adds an instruction on the answer's length; ``top_k``
    is how many tools a catalog retrieves per question. ``allowed_tools`` is the run's allow-list
(None: every tool): the run sees only these tools, and the runtime refuses a call to any other;
``max_calls_per_turn`` caps the calls one turn may run, grammar or not (`runtime.policy`).
A bad value is a `ValueError` (pydantic's
    `ValidationError`) that names the field and the allowed values.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    strategy: Strategy = "react"
    format: FormatName = "hermes"
    tool_choice: ToolChoice = "auto"
    reasoning: Effort = "auto"
    constrained: bool = True
    grounded: bool = True
    max_steps: int = Field(8, ge=1)
    max_tokens: int = Field(32_000, ge=1)
    max_seconds: float = Field(300.0, gt=0)
    step_max_tokens: int = Field(384, ge=1)
    instructions: str = ""
    top_k: int = Field(5, ge=1)
    verbosity: Verbosity | None = None
    route_with_model: bool = False
    allowed_tools: tuple[str, ...] | None = None
    max_calls_per_turn: int | None = Field(DEFAULT_MAX_CALLS_PER_TURN, ge=1)
