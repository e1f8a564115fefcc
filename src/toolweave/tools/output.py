"""Turning whatever a tool returned into the text a model reads, and keeping it short."""

from __future__ import annotations

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


def cap(text: str, max_chars: int | None) -> tuple[str, int]:
    """Keep the first ``max_chars`` characters; return (text with a note, characters cut)."""
    if max_chars is None or len(text) <= max_chars:
        return text, 0
    cut = len(text) - max_chars
    return f"{text[:max_chars]}\n… [cut {cut:,} of {len(text):,} chars]", cut
