"""The run API: start, read, follow (SSE), cancel and list runs."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel
from sse_starlette.sse import EventSourceResponse

from toolweave.serve.auth import bearer_key
from toolweave.serve.errors import API_ERRORS
from toolweave.serve.runs import RunManager, RunRequest
from toolweave.serve.store import RunRecord, RunStatus, trace_of
from toolweave.types import Trace

router = APIRouter(prefix="/v1", tags=["runs"], dependencies=[Depends(bearer_key)],
                   responses=API_ERRORS)


class RunView(RunRecord):
    """A run's record, with its trace as far as it got."""

    trace: Trace | None = None


class RunList(BaseModel):
    runs: list[RunRecord]


def manager(request: Request) -> RunManager:
    return request.app.state.runs


Runs = Annotated[RunManager, Depends(manager)]
Key = Annotated[str | None, Depends(bearer_key)]


@router.post("/runs", status_code=202, response_model=RunRecord,
             summary="Start a run; returns its id at once")
async def start_run(body: RunRequest, runs: Runs,
                    key: Key) -> RunRecord:
    return runs.start(body, key=key)


@router.get("/runs", response_model=RunList, summary="List runs, newest first")
async def list_runs(runs: Runs, status: RunStatus | None = None,
                    limit: int = Query(100, ge=1, le=1000)) -> RunList:
    return RunList(runs=runs.list(status, limit))


@router.get("/runs/{run_id}", response_model=RunView,
            summary="A run: status, answer and trace")
async def get_run(run_id: str, runs: Runs, wait: float = Query(0.0, ge=0, le=60, description=(
                      "seconds to wait for the run to finish before answering"))) -> RunView:
    record = await runs.wait(run_id, wait) if wait else runs.get(run_id)
    return RunView(**record.model_dump(), trace=trace_of(runs.store, run_id))


@router.post("/runs/{run_id}/cancel", response_model=RunView, summary="Cancel a run")
async def cancel_run(run_id: str, runs: Runs) -> RunView:
    runs.cancel(run_id)
    record = await runs.wait(run_id, 5.0)
    return RunView(**record.model_dump(), trace=trace_of(runs.store, run_id))


@router.get("/runs/{run_id}/events", summary="The run's trace events as server-sent events",
            response_class=EventSourceResponse,
            responses={200: {"content": {"text/event-stream": {}}}})
async def run_events(run_id: str, runs: Runs) -> EventSourceResponse:
    runs.get(run_id)  # 404 before the stream starts

    async def stream() -> Any:
        seq = 0
        async for event in runs.follow(run_id):
            yield {"id": str(seq), "event": event.get("event", "message"),
                   "data": json.dumps(event, ensure_ascii=False, default=str)}
            seq += 1
        yield {"event": "done", "data": json.dumps({"run": run_id,
                                                    "status": runs.get(run_id).status})}

    return EventSourceResponse(stream(), ping=15)
