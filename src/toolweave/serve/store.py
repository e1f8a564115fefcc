"""The run store: every run's record and its trace events, behind one small interface
(`RunStore`); `SQLiteRunStore` is the embedded default.

A run's trace is kept as the recorder's own events (``start``, ``step``, ``meta``, ``end``),
appended as they happen and committed one by one, so a server killed with ``kill -9`` keeps
every finished step; `toolweave.trace_file.fold_events` turns them back into a `Trace`.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any, Literal, Protocol

from pydantic import BaseModel, Field

from toolweave.trace_file import fold_events
from toolweave.types import Trace

RunStatus = Literal["queued", "running", "completed", "failed", "cancelled", "interrupted"]


class RunRecord(BaseModel):
    """One run as the server tracks it. ``status`` is the server's view (``interrupted``: the
    server stopped while the run went); ``stop_reason`` is why the agent stopped."""

    id: str
    agent: str
    question: str
    status: RunStatus = "queued"
    created_at: float = Field(default_factory=time.time)
    updated_at: float = Field(default_factory=time.time)
    key_id: str = ""  # which API key started it (a digest, never the key)
    request: dict[str, Any] = Field(default_factory=dict)
    answer: str | None = None
    stop_reason: str = ""
    error: str | None = None


class RunStore(Protocol):
    """Where runs and their trace events live. Methods are synchronous and quick (an embedded
    database); the server calls them from its event loop."""

    def create(self, record: RunRecord) -> None: ...
    def update(self, run_id: str, **fields: Any) -> None: ...
    def get(self, run_id: str) -> RunRecord | None: ...
    def list(self, status: str | None = None, limit: int = 100) -> list[RunRecord]: ...
    def append_event(self, run_id: str, event: dict[str, Any]) -> None: ...
    def events(self, run_id: str) -> list[dict[str, Any]]: ...
    def mark_unfinished(self, status: RunStatus) -> list[str]: ...
    def close(self) -> None: ...


def trace_of(store: RunStore, run_id: str) -> Trace | None:
    """The trace of run ``run_id`` as far as it got, from its stored events."""
    run = fold_events(store.events(run_id), run_id)
    return None if run is None else run.trace


_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id TEXT PRIMARY KEY, agent TEXT NOT NULL, question TEXT NOT NULL, status TEXT NOT NULL,
    created_at REAL NOT NULL, updated_at REAL NOT NULL, key_id TEXT NOT NULL,
    request TEXT NOT NULL, answer TEXT, stop_reason TEXT NOT NULL, error TEXT);
CREATE INDEX IF NOT EXISTS runs_by_status ON runs (status, created_at);
CREATE TABLE IF NOT EXISTS events (
    run_id TEXT NOT NULL, seq INTEGER NOT NULL, body TEXT NOT NULL, PRIMARY KEY (run_id, seq));
"""
_COLUMNS = tuple(RunRecord.model_fields)


class SQLiteRunStore:
    """`RunStore` in one SQLite file (WAL: readers never wait for the writer; each commit
    survives the process being killed)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        if str(path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._lock = threading.Lock()  # one connection; tool threads may record too
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)
        self._next_seq: dict[str, int] = {}

    def create(self, record: RunRecord) -> None:
        row = record.model_dump()
        row["request"] = json.dumps(row["request"])
        with self._lock:
            self._db.execute(
                f"INSERT INTO runs ({', '.join(_COLUMNS)}) "
                f"VALUES ({', '.join('?' for _ in _COLUMNS)})", [row[c] for c in _COLUMNS])

    def update(self, run_id: str, **fields: Any) -> None:
        unknown = set(fields) - set(_COLUMNS) - {"updated_at"}
        if unknown:
            raise ValueError(f"not run fields: {sorted(unknown)}")
        fields = {**fields, "updated_at": time.time()}
        sets = ", ".join(f"{name} = ?" for name in fields)
        with self._lock:
            self._db.execute(f"UPDATE runs SET {sets} WHERE id = ?", [*fields.values(), run_id])

    def get(self, run_id: str) -> RunRecord | None:
        with self._lock:
            row = self._db.execute(f"SELECT {', '.join(_COLUMNS)} FROM runs WHERE id = ?",
                                   (run_id,)).fetchone()
        return None if row is None else _record(row)

    def list(self, status: str | None = None, limit: int = 100) -> list[RunRecord]:
        query = f"SELECT {', '.join(_COLUMNS)} FROM runs"
        args: list[Any] = []
        if status is not None:
            query += " WHERE status = ?"
            args.append(status)
        query += " ORDER BY created_at DESC LIMIT ?"
        with self._lock:
            rows = self._db.execute(query, [*args, limit]).fetchall()
        return [_record(row) for row in rows]

    def append_event(self, run_id: str, event: dict[str, Any]) -> None:
        body = json.dumps(event, ensure_ascii=False, default=str)
        with self._lock:
            seq = self._next_seq.get(run_id)
            if seq is None:
                seq = self._db.execute("SELECT COALESCE(MAX(seq) + 1, 0) FROM events "
                                       "WHERE run_id = ?", (run_id,)).fetchone()[0]
            self._db.execute("INSERT INTO events (run_id, seq, body) VALUES (?, ?, ?)",
                             (run_id, seq, body))
            self._next_seq[run_id] = seq + 1
            if event.get("event") == "end":
                self._next_seq.pop(run_id, None)

    def events(self, run_id: str) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._db.execute("SELECT body FROM events WHERE run_id = ? ORDER BY seq",
                                    (run_id,)).fetchall()
        return [json.loads(body) for (body,) in rows]

    def mark_unfinished(self, status: RunStatus) -> list[str]:
        """Give every run still ``queued`` or ``running`` the status ``status`` (at start-up:
        the process that ran them is gone); returns their ids."""
        with self._lock:
            ids = [r for (r,) in self._db.execute(
                "SELECT id FROM runs WHERE status IN ('queued', 'running')").fetchall()]
            self._db.execute("UPDATE runs SET status = ?, updated_at = ? "
                             "WHERE status IN ('queued', 'running')", (status, time.time()))
        return ids

    def close(self) -> None:
        with self._lock:
            self._db.close()


def _record(row: tuple) -> RunRecord:
    values = dict(zip(_COLUMNS, row, strict=True))
    values["request"] = json.loads(values["request"])
    return RunRecord.model_validate(values)
