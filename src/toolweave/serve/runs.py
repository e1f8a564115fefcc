"""`RunManager`: starts agent runs as asyncio tasks on the server's loop, records their trace
events (the recorder's listener events) in the store as they happen, and lets any number of
readers follow a run live.

A run's events are the `TraceRecorder`'s own: the manager is one more listener, so what the
CLI's live view, a trace file and the server see is the same stream.
"""

from __future__ import annotations

import asyncio
import hashlib
import tempfile
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from toolweave.agents.agent import Agent
from toolweave.agents.settings import Effort, Strategy, Verbosity
from toolweave.errors import ResumeError, RunFinished
from toolweave.serve.catalog import AgentCatalog, UnavailableToolSetError, UnknownAgentError
from toolweave.serve.store import RunRecord, RunStore
from toolweave.trace_file import event_line
from toolweave.types import Message, Trace, new_id

# the recorder's events that make up a trace (the rest, e.g. step_start, are live-only)
PERSISTED = frozenset({"start", "step", "call_started", "meta", "resume", "end"})

Listener = Callable[[dict[str, Any]], None]


class RunRequest(BaseModel):
    """What starts a run: a question for an agent of the config, optionally on another of its
    models or tool sets, with budgets and strategy overriding the agent's settings."""

    model_config = ConfigDict(extra="forbid")

    question: str = Field(min_length=1)
    agent: str | None = Field(None, description="An agent of the config (default: its default)")
    model: str | None = Field(None, description="A model name of the config, not the agent's")
    toolset: str | None = Field(None, description="A tool set of the config, not the agent's")
    session: str | None = Field(None, pattern=r"^[A-Za-z0-9_.-]{1,64}$", description=(
        "A conversation to continue: the run sees the session's earlier runs (created on "
        "first use; one run at a time per session)"))
    strategy: Strategy | None = None
    reasoning: Effort | None = None
    verbosity: Verbosity | None = None
    tool_choice: Literal["auto", "first"] | None = None
    max_steps: int | None = Field(None, ge=1, le=64)
    max_tokens: int | None = Field(None, ge=1, le=1_000_000)
    max_seconds: float | None = Field(None, gt=0, le=3600)

    def overrides(self) -> dict[str, Any]:
        """The `RunSettings` fields this request sets."""
        return self.model_dump(exclude_none=True, exclude={"question", "agent", "model",
                                                           "toolset", "session"})


class InvalidSettingsError(ValueError):
    """A run's settings do not validate (pydantic's errors in ``errors``)."""

    def __init__(self, errors: list[dict]):
        super().__init__("invalid run settings")
        self.errors = errors


class TooManyRunsError(RuntimeError):
    """A key already has as many runs going as the config allows."""


class UnknownRunError(LookupError):
    """No run has this id."""


@dataclass
class ActiveRun:
    """A run in progress: its task and every event so far (followers read from the list and
    wait on ``wake``, which is replaced after every event)."""

    record: RunRecord
    task: asyncio.Task | None = None
    events: list[dict[str, Any]] = field(default_factory=list)
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    done: bool = False
    stopping: str | None = None  # why the server cancels it: "cancelled" | "interrupted"


def key_id(key: str | None) -> str:
    """A stable, non-secret name for an API key (its digest's first 12 hex digits)."""
    return hashlib.sha256(key.encode()).hexdigest()[:12] if key else ""


class RunManager:
    """Owns the runs of one server: starts, follows, cancels and lists them."""

    def __init__(self, catalog: AgentCatalog, store: RunStore, *, max_active_per_key: int = 16,
                 listeners: list[Callable[[], Listener]] = (), sessions: Path | None = None):
        self.catalog, self.store = catalog, store
        self.sessions = sessions  # a folder of session files (`Conversation`); None: no sessions
        self._session_locks: dict[str, asyncio.Lock] = {}
        self.max_active_per_key = max_active_per_key
        self.listener_factories = list(listeners)  # one more listener per run (e.g. spans)
        self._active: dict[str, ActiveRun] = {}

    def recover(self, resume: bool = True) -> list[str]:
        """At start-up: runs a previous process left unfinished are marked ``interrupted``
        (their traces keep every finished step); with ``resume``, the interrupted runs started
        through ``POST /v1/runs`` outside a session are continued from their traces
        (`_resume`), unless an earlier try found that they cannot be. Returns the ids of the
        runs the previous process left going."""
        unfinished = self.store.mark_unfinished("interrupted")
        interrupted = self.store.list("interrupted", limit=100_000) if resume else []
        for record in reversed(interrupted):  # oldest first
            run_id = record.id
            request = {k: v for k, v in record.request.items() if k != "source"}
            if (record.error or "").startswith("cannot resume"):
                continue
            if record.request.get("source") != "runs" or request.get("session"):
                continue  # a chat's caller and a session's turn order are gone with it
            events = self.store.events(run_id)
            if not any(e.get("event") == "start" for e in events):
                continue  # it never started: nothing to continue
            try:
                parsed = RunRequest.model_validate(request)
                _, model, toolset = self.catalog.resolve(record.agent, parsed.model,
                                                         parsed.toolset)
            except (ValidationError, UnknownAgentError) as exc:
                self.store.update(run_id, error=f"cannot resume: {exc}")
                continue
            except UnavailableToolSetError as exc:  # not for good: a restart may resume it
                self.store.update(run_id, error=f"not resumed: {exc}")
                continue
            active = self._active[run_id] = ActiveRun(record, events=events)
            active.task = asyncio.create_task(self._resume(active, parsed, model, toolset),
                                              name=f"toolweave-resume-{run_id}")
        return unfinished

    def start(self, request: RunRequest, *, key: str | None = None,
              history: list[Message] | None = None, source: str = "runs") -> RunRecord:
        """Create run and start it in the background; returns its record (status queued).
        Unknown names are `UnknownAgentError`, bad settings `InvalidSettingsError`, a
        key over its limit `TooManyRunsError` — all before anything is stored."""
        agent, model, toolset = self.catalog.resolve(request.agent, request.model,
                                                     request.toolset)
        if request.session is not None and self.sessions is None:
            raise UnknownAgentError("this server keeps no sessions")
        try:  # validated now, not in the task
            self.catalog.settings(agent, request.overrides())
        except ValidationError as exc:
            raise InvalidSettingsError(exc.errors()) from exc
        owner = key_id(key)
        if sum(1 for a in self._active.values()
               if a.record.key_id == owner) >= self.max_active_per_key:
            raise TooManyRunsError(
                f"this key already has {self.max_active_per_key} runs going; wait for one to "
                "finish or cancel one")
        record = RunRecord(id=new_id("run"), agent=agent, question=request.question,
                           key_id=owner, request={**request.model_dump(exclude_none=True),
                                                  "source": source})
        self.store.create(record)
        active = self._active[record.id] = ActiveRun(record)
        active.task = asyncio.create_task(
            self._execute(active, request, model, toolset, history or []),
            name=f"toolweave-run-{record.id}")
        return record

    def get(self, run_id: str) -> RunRecord:
        record = self.store.get(run_id)
        if record is None:
            raise UnknownRunError(f"no run {run_id!r}")
        return record

    def list(self, status: str | None = None, limit: int = 100) -> list[RunRecord]:
        return self.store.list(status, limit)

    def cancel(self, run_id: str) -> RunRecord:
        """Cancel a run that is going; a finished run is returned as it is."""
        record = self.get(run_id)
        active = self._active.get(run_id)
        if active is not None and active.task is not None and not active.task.done():
            active.stopping = "cancelled"
            active.task.cancel()
        return record

    async def wait(self, run_id: str, timeout_s: float | None = None) -> RunRecord:
        """The run's record once it has finished, or as it is after ``timeout_s``."""
        record = self.get(run_id)
        active = self._active.get(run_id)
        if active is not None and active.task is not None:
            # asyncio.wait neither cancels the run on timeout nor raises its errors (the record
            # says how it ended), while a cancelled caller still gets its CancelledError
            await asyncio.wait({active.task}, timeout=timeout_s)
            record = self.get(run_id)
        return record

    async def follow(self, run_id: str) -> AsyncIterator[dict[str, Any]]:
        """The run's events from its first one, live until it ends; a finished run's
        stored events."""
        self.get(run_id)
        active = self._active.get(run_id)
        if active is None:
            for event in self.store.events(run_id):
                yield event
            return
        sent = 0
        while True:
            wake = active.wake  # taken before reading: an event after this sets it
            while sent < len(active.events):
                yield active.events[sent]
                sent += 1
            if active.done:
                return
            await wake.wait()

    async def shutdown(self) -> None:
        """Stop every run going (the server is stopping): they are marked ``interrupted``."""
        tasks = []
        for active in list(self._active.values()):
            if active.task is not None and not active.task.done():
                active.stopping = "interrupted"
                active.task.cancel()
                tasks.append(active.task)
        await asyncio.gather(*tasks, return_exceptions=True)

    def active_count(self) -> int:
        return len(self._active)

    async def _execute(self, active: ActiveRun, request: RunRequest, model: str,
                       toolset: str, history: list[Message]) -> None:
        async def run(agent: Agent, listeners: list[Listener]) -> Trace:
            meta = {"agent": active.record.agent}
            if request.session is None:
                self.store.update(active.record.id, status="running")
                return await agent.arun(request.question, listeners=listeners,
                                        run_id=active.record.id, history=history, meta=meta)
            # a session's runs take turns: each sees the one before it in full
            async with self._session_locks.setdefault(request.session, asyncio.Lock()):
                self.store.update(active.record.id, status="running")
                conversation = agent.session(self.sessions / f"{request.session}.jsonl")
                return await conversation.aask(request.question, listeners=listeners,
                                               run_id=active.record.id, meta=meta)

        await self._drive(active, request, model, toolset, run)

    async def _resume(self, active: ActiveRun, request: RunRequest, model: str,
                      toolset: str) -> None:
        """Continue a run an earlier process left unfinished, from its stored events, with
        `Agent.aresume`: finished steps are replayed, no finished tool call runs again."""
        run_id = active.record.id

        async def run(agent: Agent, listeners: list[Listener]) -> Trace:
            # aresume reads (and appends to) a trace file: the stored events, written out
            with tempfile.TemporaryDirectory(prefix="toolweave-resume-") as folder:
                path = Path(folder) / f"{run_id}.jsonl"
                path.write_text("".join(event_line(run_id, e) for e in active.events),
                                encoding="utf-8")
                self.store.update(run_id, status="running")
                try:
                    return await agent.aresume(path, run=run_id, listeners=listeners)
                except RunFinished as exc:  # it had ended; the kill came before its status
                    return exc.trace

        await self._drive(active, request, model, toolset, run)

    async def _drive(self, active: ActiveRun, request: RunRequest, model: str, toolset: str,
                     run: Callable[[Agent, list[Listener]], Awaitable[Trace]]) -> None:
        """Run ``run`` with the request's agent, keeping the run's record up to date."""
        run_id = active.record.id
        listeners = [self._recording(active)] + [make() for make in self.listener_factories]
        try:
            agent = await self.catalog.agent(active.record.agent, request.overrides(),
                                             model=model, toolset=toolset)
            trace = await run(agent, listeners)
            self.store.update(run_id, status="completed", answer=trace.answer,
                              stop_reason=trace.stop_reason)
        except asyncio.CancelledError:
            status = active.stopping or "cancelled"
            self.store.update(run_id, status=status, stop_reason="cancelled")
            if active.stopping is None:
                raise  # cancelled from outside the manager: let the canceller see it
        except ResumeError as exc:  # its trace cannot be continued here: it stays interrupted
            self.store.update(run_id, status="interrupted", error=f"cannot resume: {exc}")
        except Exception as exc:  # noqa: BLE001 - a run's failure is its record, not the server's
            self.store.update(run_id, status="failed", error=f"{type(exc).__name__}: {exc}")
        finally:
            active.done = True
            self._active.pop(run_id, None)
            self._wake(active)

    def _recording(self, active: ActiveRun) -> Listener:
        loop = asyncio.get_running_loop()
        loop_thread = threading.get_ident()

        def record(event: dict[str, Any]) -> None:
            if threading.get_ident() != loop_thread:  # a tool's worker thread: hand over
                loop.call_soon_threadsafe(record, event)
                return
            if event.get("event") in PERSISTED:
                self.store.append_event(active.record.id, event)
            active.events.append(event)
            self._wake(active)

        return record

    @staticmethod
    def _wake(active: ActiveRun) -> None:
        wake, active.wake = active.wake, asyncio.Event()
        wake.set()
