"""Turning whatever a tool returned into the text a model reads, and keeping it short."""

from __future__ import annotations

import json
from typing import Any

import pydantic_core
from pydantic import BaseModel

DEFAULT_MAX_OUTPUT_CHARS = 8000


def to_text(result: Any) -> str:
    """Strings as they are; models, dicts and lists as compact JSON; anything else via str()."""
    if isinstance(result, str):
        return result
    if result is None:
        # An empty observation confuses small models; say plainly that nothing came back.
        return "(no output)"
    if isinstance(result, (bytes, bytearray)):
        return bytes(result).decode("utf-8", errors="replace")
    if isinstance(result, (BaseModel, dict, list, tuple)):
        # pydantic_core serialises nested models, dates, sets …; str() covers the rest.
        return pydantic_core.to_json(result, fallback=str).decode("utf-8")
    return str(result)


# the fields of a result that reports a failure and nothing else
_ERROR_FIELDS = frozenset({"error", "message", "code", "details", "status"})


def reported_error(text: str) -> bool:
    """Whether ``text`` is a result that only reports an error: a JSON object with a non-empty
    ``error`` field and no data besides an error's own (``message``, ``code``…). Many APIs
    answer a failure with ``{"error": "mv: no such file"}`` instead of raising; counted as a
    success, it would hide the failure from the agent's guards."""
    if not text.startswith("{") or '"error"' not in text:
        return False
    try:
        value = json.loads(text)
    except ValueError:
        return False
    return (isinstance(value, dict) and bool(value.get("error"))
            and value.keys() <= _ERROR_FIELDS)


def cap(text: str, max_chars: int | None) -> tuple[str, int]:
    """Keep the first ``max_chars`` characters; return (text with a note, characters cut)."""
    if max_chars is None or len(text) <= max_chars:
        return text, 0
    cut = len(text) - max_chars
    return f"{text[:max_chars]}\n… [cut {cut:,} of {len(text):,} chars]", cut
