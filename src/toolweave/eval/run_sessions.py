"""``sessions.jsonl``: the wall-clock time of every invocation that added to an out dir.

Per-task model time (`Prediction.wall_s`) sums to more than the elapsed time when tasks overlap
on Ray workers, and a resumed run's elapsed time is spread over several invocations. Each
invocation that predicts something appends one `RunSession`, so the wall time of the whole
out dir is their sum, known exactly when the sessions account for every prediction.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel

from toolweave.eval.jsonl_store import JsonlStore


class RunSession(BaseModel):
    """One invocation: when it started, how long it ran, what it added, and where it ran."""

    started_at: str  # ISO 8601, UTC
    wall_s: float
    new_predictions: int
    where: str  # "serial", or "ray: N workers × T threads"


class SessionLog(JsonlStore[RunSession]):
    """The sessions of one out dir, oldest first."""

    def __init__(self, out_dir: str | Path):
        super().__init__(Path(out_dir) / "sessions.jsonl", RunSession, key=lambda s: s.started_at)

    def add(self, started: datetime, wall_s: float, new_predictions: int, where: str) -> None:
        """Append a session that added ``new_predictions`` (one that added nothing is not kept)."""
        if new_predictions > 0:
            self.append(RunSession(started_at=started.astimezone(UTC).isoformat(),
                                   wall_s=round(wall_s, 3), new_predictions=new_predictions,
                                   where=where))

    def wall_s(self, predictions: int) -> float | None:
        """Total wall time of the out dir's ``predictions``, or None when some were made
        before sessions were recorded (or by a session that was killed)."""
        sessions = list(self.load().values())
        if sum(s.new_predictions for s in sessions) != predictions:
            return None
        return sum(s.wall_s for s in sessions)
