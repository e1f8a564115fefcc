"""The executor layer: budgets, concurrent tool runs, repeat detection and trace recording,
shared by every strategy."""

from toolweave.runtime.budget import Budget, BudgetExceeded
from toolweave.runtime.context import RunContext
from toolweave.runtime.recorder import TraceRecorder
from toolweave.runtime.repeats import RepeatGuard

__all__ = ["Budget", "BudgetExceeded", "RepeatGuard", "RunContext", "TraceRecorder"]
