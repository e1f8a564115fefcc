"""Run budgets: steps, tokens and wall-clock seconds."""

from __future__ import annotations

import time

from pydantic import BaseModel, Field

from toolweave.types import Completion


class BudgetExceeded(Exception):
    """Raised inside a strategy when a budget runs out; ``reason`` is the trace's stop reason."""

    def __init__(self, reason: str, detail: str):
        super().__init__(detail)
        self.reason = reason


class Budget(BaseModel):
    """Limits of one run.

    ``max_tokens`` counts the tokens the model actually processed: prompt tokens *evaluated*
    (not those served from the prefix cache) plus generated tokens, since that is what costs
    time on a small local model.
    """

    max_steps: int = Field(8, ge=1)
    max_tokens: int = Field(32_000, ge=1)
    max_seconds: float = Field(300.0, gt=0)
    step_max_tokens: int = Field(384, ge=1)

    steps_taken: int = 0
    tokens_used: int = 0
    started_at: float = Field(default_factory=time.monotonic)

    def start(self) -> None:
        self.steps_taken, self.tokens_used, self.started_at = 0, 0, time.monotonic()

    def charge(self, completion: Completion) -> None:
        self.tokens_used += (completion.usage.prompt_tokens_evaluated
                             + completion.usage.completion_tokens)

    def seconds_left(self) -> float:
        return self.max_seconds - (time.monotonic() - self.started_at)

    def check(self) -> None:
        """Raise `BudgetExceeded` when no further model step may start."""
        if self.steps_taken >= self.max_steps:
            raise BudgetExceeded("max_steps", f"used all {self.max_steps} steps")
        if self.tokens_used >= self.max_tokens:
            raise BudgetExceeded("max_tokens", f"used {self.tokens_used} of {self.max_tokens} tokens")
        if time.monotonic() - self.started_at >= self.max_seconds:  # no time left
            raise BudgetExceeded("timeout", f"ran out of {self.max_seconds:g} s")
