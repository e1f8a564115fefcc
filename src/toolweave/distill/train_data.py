"""The training rows `train_student` consumes: TRL's conversational prompt-completion format.

One JSON object per line::

    {"prompt": [{"role": "system", "content": ...}, {"role": "user", "content": ...}],
     "completion": [{"role": "assistant", "content": ...}],
     "task_id": ..., "category": ..., "tools": [...], "style": "rationale" | "action"}

Only ``prompt`` and ``completion`` reach the trainer: TRL passes a ``tools`` column to the chat
template, which would render tool docs a second time (they are already in the system prompt).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from toolweave.errors import TrainingDataError

_ROLES = {"system", "user", "assistant", "tool"}


def train_file(data: str | Path) -> Path:
    """``DIR/train.jsonl`` for a dataset folder, or the .jsonl file itself."""
    path = Path(data).expanduser()
    if path.is_dir():
        path = path / "train.jsonl"
    if not path.is_file():
        raise TrainingDataError(
            f"no training data at {path}: give a folder written by `toolweave distill build` "
            "(with train.jsonl) or a .jsonl file")
    return path


def load_rows(path: str | Path) -> list[dict[str, Any]]:
    """The file's rows reduced to ``{"prompt", "completion"}``; any bad row raises
    `TrainingDataError` naming the file, line and what is wrong."""
    path = Path(path)
    rows: list[dict[str, Any]] = []
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            where = f"{path}:{number}"
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise TrainingDataError(f"{where}: not JSON ({exc.msg})") from exc
            rows.append(check_row(row, where))
    if not rows:
        raise TrainingDataError(f"{path} has no training rows")
    return rows


def check_row(row: Any, where: str = "row") -> dict[str, Any]:
    """One row, validated and reduced to its prompt and completion."""
    if not isinstance(row, dict):
        raise TrainingDataError(f"{where}: a row must be a JSON object, got {type(row).__name__}")
    for key in ("prompt", "completion"):
        if key not in row:
            raise TrainingDataError(
                f"{where}: missing {key!r} (rows are TRL conversational prompt-completion: "
                '{"prompt": [messages], "completion": [assistant message]})')
    prompt = _messages(row["prompt"], f"{where}: prompt")
    completion = _messages(row["completion"], f"{where}: completion")
    if prompt[-1]["role"] == "assistant":
        raise TrainingDataError(f"{where}: prompt must not end with an assistant message")
    if any(m["role"] != "assistant" for m in completion):
        raise TrainingDataError(f"{where}: completion must hold only assistant messages")
    if not any(m["content"].strip() for m in completion):
        raise TrainingDataError(f"{where}: completion is empty")
    return {"prompt": prompt, "completion": completion}


def _messages(value: Any, where: str) -> list[dict[str, str]]:
    if not isinstance(value, list) or not value:
        raise TrainingDataError(f"{where} must be a non-empty list of messages")
    out = []
    for i, message in enumerate(value):
        if not isinstance(message, dict):
            raise TrainingDataError(f"{where}[{i}] must be an object with role and content")
        role, content = message.get("role"), message.get("content")
        if role not in _ROLES:
            raise TrainingDataError(f"{where}[{i}]: unknown role {role!r}")
        if not isinstance(content, str):
            raise TrainingDataError(f"{where}[{i}]: content must be a string")
        out.append({"role": role, "content": content})
    return out
