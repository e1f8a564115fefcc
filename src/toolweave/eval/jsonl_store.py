"""Results kept on disk as JSON lines, appended and flushed one record at a time.

An eval's out dir is its checkpoint: every finished task is one line, so a run that is stopped
resumes where it was, and a finished run can be re-scored without the model. ``run.json`` next
to it pins the configuration, so one out dir never mixes two configurations.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

Record = TypeVar("Record", bound=BaseModel)


class JsonlStore(Generic[Record]):
    """A JSON-lines file of pydantic records, keyed by ``key(record)`` (the last line wins)."""

    def __init__(self, path: str | Path, record: type[Record],
                 key: Callable[[Record], Any] = lambda r: r.id):
        self.path = Path(path)
        self.record = record
        self.key = key

    def load(self) -> dict[Any, Record]:
        """Records written so far, by key (a torn last line of a killed run is skipped)."""
        found: dict[Any, Record] = {}
        if not self.path.exists():
            return found
        for line in self.path.read_text(encoding="utf-8").splitlines():
            try:
                item = self.record.model_validate_json(line)
            except ValueError:
                continue
            found[self.key(item)] = item
        return found

    def append(self, item: Record) -> None:
        """Write one record and flush it, so a crash loses at most the task in flight."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as f:
            f.write(item.model_dump_json() + "\n")
            f.flush()


def check_run_config(path: str | Path, config: dict) -> None:
    """Refuse to mix configurations in one out dir (their results would be scored as one);
    the first run writes ``config`` to ``path``."""
    path = Path(path)
    if path.exists():
        saved = json.loads(path.read_text(encoding="utf-8"))
        if saved != config:
            raise ValueError(f"{path.parent} holds a run of {saved}, not {config}: "
                             "use another --out")
    else:
        path.write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
