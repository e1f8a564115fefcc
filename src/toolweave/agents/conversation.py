"""`Conversation`: an agent session that keeps its history from one question to the next.

    chat = agent.session("runs/chat.jsonl")        # the file is optional; reloaded if it exists
    chat.ask("Move report.pdf into a new folder temp")
    chat.ask("Now show me the first line of it")    # sees the last turn's calls and answer

Each question is one run of the agent's strategy (one `Trace`), given the earlier turns as
messages between its system prompt and the new question (`RunContext.opening`). The earlier
turns are rendered the same way every time (the tool format's own call and result messages),
so a model with a prefix cache evaluates only the new question. The tools are the session's
own: a tool set made per session from a stateful object (`tools_from_object`) carries what one
turn changed into the next.

The history that is sent is held to ``max_history_chars``: the oldest tool results are cut to
a stand-in first, then the oldest turns are left out whole; the system prompt and the new
question never are. Each trim is recorded in that turn's trace (``meta["trimmed"]``); the
session keeps every turn in full.

With a file, each finished turn is one JSON line, flushed and fsync'ed as it ends: a session
killed mid-turn reloads with every finished turn (a torn last line is skipped). Each trace
names its conversation and the trace before it (``meta["conversation"]``).
"""

from __future__ import annotations

import asyncio
import json
import os
import time
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field, ValidationError

from toolweave.formats.base import ToolFormat
from toolweave.runtime.executor import observation_text
from toolweave.runtime.recorder import Listener
from toolweave.tools.registry import ToolRegistry
from toolweave.tools.tool import Tool
from toolweave.types import Message, Text, ToolCall, Trace

if TYPE_CHECKING:
    from toolweave.agents.agent import Agent

SESSION_VERSION = 1
DEFAULT_MAX_HISTORY_CHARS = 12_000  # about 3,500 tokens: room for tools and the new turn
TRIMMED_RESULT = "(an earlier result, left out to fit the context)"


class TurnStep(BaseModel):
    """One step of an earlier turn that made calls: what the model wrote, what came back."""

    thought: Text = ""
    calls: list[ToolCall] = Field(default_factory=list)
    results: list[Text] = Field(default_factory=list)


class Turn(BaseModel):
    """One finished question of a conversation, as the history keeps it."""

    question: Text
    answer: Text | None = None
    stop_reason: str = ""
    trace_id: str = ""
    steps: list[TurnStep] = Field(default_factory=list)

    @classmethod
    def of(cls, trace: Trace) -> Turn:
        """The turn a finished run adds to its conversation: its calls (repeats the guard
        answered from memory included, as the model saw them) and its answer."""
        steps = [TurnStep(thought=s.thought if s.kind == "act" else "", calls=s.calls,
                          results=[observation_text(o) for o in s.observations])
                 for s in trace.steps if s.calls]
        return cls(question=trace.question, answer=trace.answer, stop_reason=trace.stop_reason,
                   trace_id=trace.id, steps=steps)

    def messages(self, fmt: ToolFormat, *, trim_results: bool = False) -> list[Message]:
        """The turn as chat messages in ``fmt``: the question, each step's calls and results
        (cut to a stand-in with ``trim_results``), the answer."""
        out = [Message(role="user", content=self.question)]
        for step in self.steps:
            results = [TRIMMED_RESULT] * len(step.results) if trim_results else step.results
            out.append(fmt.assistant_message(step.thought, step.calls))
            out += fmt.results_messages(step.calls, results)
        if self.answer:
            out.append(Message(role="assistant", content=self.answer))
        return out


class SessionFileError(ValueError):
    """A session file that cannot be read: another version, or a damaged line."""


class Conversation:
    """A session with ``agent``: `ask` answers a question in the light of the earlier ones.

    ``path``: a JSONL session file (reloaded when it exists, appended to after each turn);
    ``tools``: the session's own tool set, else the agent's; ``max_history_chars``: the most
    history sent with a question (the trim policy is in the module docstring).
    """

    def __init__(self, agent: Agent, path: str | Path | None = None, *,
                 tools: ToolRegistry | Iterable[Tool | Callable[..., Any]] | None = None,
                 max_history_chars: int = DEFAULT_MAX_HISTORY_CHARS):
        if max_history_chars < 0:
            raise ValueError("max_history_chars must be 0 or more")
        self.agent = agent
        self.tools = agent.tools if tools is None else (
            tools if isinstance(tools, ToolRegistry) else ToolRegistry(tools))
        self.max_history_chars = max_history_chars
        self.path = Path(path) if path is not None else None
        self.id = uuid.uuid4().hex[:12]
        self.turns: list[Turn] = []
        if self.path is not None and self.path.exists() and self.path.stat().st_size:
            self.id, self.turns = read_session(self.path)

    def history(self) -> tuple[list[Message], dict[str, int]]:
        """The earlier turns as messages, trimmed to ``max_history_chars``, and what was
        trimmed (``{"results": turns whose results were cut, "turns": turns left out}``)."""
        fmt = self.agent.format_for(self.tools)
        rendered = [t.messages(fmt) for t in self.turns]
        sizes = [_chars(turn) for turn in rendered]
        total, trimmed = sum(sizes), {"results": 0, "turns": 0}
        for i, turn in enumerate(self.turns):  # the oldest results first
            if total <= self.max_history_chars:
                break
            if any(s.results for s in turn.steps):
                rendered[i] = turn.messages(fmt, trim_results=True)
                total += _chars(rendered[i]) - sizes[i]
                sizes[i] = _chars(rendered[i])
                trimmed["results"] += 1
        while rendered and total > self.max_history_chars:  # then whole turns
            rendered.pop(0)
            total -= sizes.pop(0)
            trimmed["turns"] += 1
        return [m for turn in rendered for m in turn], {k: v for k, v in trimmed.items() if v}

    async def aask(self, question: str, *, trace_path: str | Path | None = None,
                   listeners: Iterable[Listener] = (), run_id: str | None = None,
                   meta: dict[str, Any] | None = None) -> Trace:
        """Answer ``question`` with the conversation so far; the turn is kept (and saved)
        whatever way the run ended, so the next question sees it. ``run_id`` and ``meta`` as
        for `Agent.arun`."""
        history, trimmed = self.history()
        meta = {**(meta or {}), "conversation": {
            "id": self.id, "turn": len(self.turns),
            "previous": self.turns[-1].trace_id if self.turns else None}}
        if trimmed:
            meta["trimmed"] = trimmed
        trace = await self.agent.arun(question, trace_path=trace_path, listeners=listeners,
                                      history=history, tools=self.tools, meta=meta,
                                      run_id=run_id)
        turn = Turn.of(trace)
        self.turns.append(turn)
        if self.path is not None:
            self._save(turn)
        return trace

    def ask(self, question: str, **kwargs: Any) -> Trace:
        """Synchronous `aask`, for scripts and notebooks without an event loop."""
        return asyncio.run(self.aask(question, **kwargs))

    def _save(self, turn: Turn) -> None:
        assert self.path is not None
        self.path.parent.mkdir(parents=True, exist_ok=True)
        new = not self.path.exists() or self.path.stat().st_size == 0
        with self.path.open("a", encoding="utf-8") as f:
            if new:
                f.write(json.dumps({"session": SESSION_VERSION, "id": self.id,
                                    "created_at": time.time()}) + "\n")
            f.write(json.dumps({"turn": turn.model_dump(mode="json")}) + "\n")
            f.flush()
            os.fsync(f.fileno())


def read_session(path: str | Path) -> tuple[str, list[Turn]]:
    """A session file's id and turns. A torn last line (a session killed while writing) is
    left out; another version or a damaged earlier line is a `SessionFileError`."""
    lines = Path(path).read_text(encoding="utf-8", errors="replace").splitlines()
    if not lines:
        raise SessionFileError(f"{path}: an empty session file")
    try:
        header = json.loads(lines[0])
    except json.JSONDecodeError as exc:
        raise SessionFileError(f"{path}: line 1 is not a session header: {exc}") from exc
    version = header.get("session") if isinstance(header, dict) else None
    if version != SESSION_VERSION:
        raise SessionFileError(
            f"{path}: session format {version!r}; this toolweave reads version "
            f"{SESSION_VERSION} (start a new session file)")
    turns = []
    for n, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        try:
            turns.append(Turn.model_validate(json.loads(line)["turn"]))
        except (json.JSONDecodeError, KeyError, TypeError, ValidationError) as exc:
            if n == len(lines):
                break  # the last turn was being written when the session was killed
            raise SessionFileError(f"{path}: line {n} is not a turn: {exc}") from exc
    return str(header.get("id") or uuid.uuid4().hex[:12]), turns


def _chars(messages: list[Message]) -> int:
    return sum(len(m.content) for m in messages)
