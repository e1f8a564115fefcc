"""What a tool looks like to the retrievers: its searchable text, its tokens and its content hash."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from toolweave.types import ToolSpec

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_WORD = re.compile(r"[A-Za-z0-9]+")
# A small English stop list: BM25 would down-weight these anyway, but dropping them keeps
# short queries ("what is the weather in …") from matching every tool on filler words.
STOPWORDS = frozenset(
    ["a", "an", "and", "are", "as", "at", "be", "but", "by", "can", "could", "do", "does", "for", "from", "get", "given", "how", "i", "if", "in", "into", "is", "it", "s", "t", "its", "me", "my", "of", "on", "or", "please", "should", "so", "some", "than", "that", "the", "their", "them", "then", "there", "these", "this", "to", "was", "what", "when", "where", "which", "who", "will", "with", "would", "you", "your"]
)


def split_name(name: str) -> str:
    """``getWeatherForecast`` / ``get_weather.forecast`` → ``get weather forecast``."""
    return " ".join(_CAMEL.sub(" ", part) for part in _WORD.findall(name)).lower()


def _stem(word: str) -> str:
    # A light suffix stripper (no PyStemmer dependency): enough to match "forecasts"/"forecast",
    # "booking"/"book", "created"/"create".
    for suffix, keep in (("ies", "y"), ("ing", ""), ("ed", ""), ("es", ""), ("s", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3 and not word.endswith("ss"):
            return word[: -len(suffix)] + keep
    return word


# Names what `tokens` does; saved with a BM25 index. Change it whenever `tokens` changes, so
# that catalogs saved before are re-indexed instead of searched with mismatched tokens.
TOKENIZER = "split-lower-stop-stem/1"


def tokens(text: str) -> list[str]:
    """BM25 tokens: camel/snake-split, lower-cased, stop words dropped, lightly stemmed."""
    words = split_name(text).split()
    return [_stem(w) for w in words if w not in STOPWORDS]


def _param_lines(schema: Any, prefix: str = "", depth: int = 0) -> list[str]:
    if not isinstance(schema, dict) or depth > 3:
        return []
    lines = []
    props = schema.get("properties")
    if isinstance(props, dict):
        for pname, pschema in props.items():
            desc = pschema.get("description", "") if isinstance(pschema, dict) else ""
            lines.append(f"{split_name(prefix + pname)}: {desc}".strip())
            lines += _param_lines(pschema, f"{prefix}{pname} ", depth + 1)
    if isinstance(schema.get("items"), dict):
        lines += _param_lines(schema["items"], prefix, depth + 1)
    return lines


def tool_text(spec: ToolSpec) -> str:
    """The searchable document of a tool: split name, description, parameter names/descriptions."""
    parts = [split_name(spec.name), spec.description.strip()]
    parts += _param_lines(spec.parameters)
    return "\n".join(p for p in parts if p)


def content_hash(spec: ToolSpec, queries: list[str] = ()) -> str:
    """A digest of everything that is indexed for a tool; a changed tool gets a new one."""
    payload = json.dumps([spec.model_dump(mode="json"), list(queries)], sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def text_hash(text: str) -> str:
    """Key of one embedded text in the embedding cache."""
    return hashlib.sha256(text.encode()).hexdigest()[:16]
