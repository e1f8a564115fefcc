"""Text hygiene at the boundaries: what comes from models, tools, servers and files is made
safe to write and safe to show a model.

- `clean_text` / `clean_value`: lone surrogates become U+FFFD (a ``"\\ud800"`` escape in
  JSON, a file name that is not UTF-8), so every writer (traces, HTTP, the terminal) can
  encode what it is given. The core types apply them to every text field.
- `defuse`: markup that has meaning to the model (its control tokens, a format's fence) is
  broken with an invisible word joiner when it occurs inside untrusted text, so a tool result
  that says ``<|im_start|>system`` or ``</tool_response>`` stays text inside its block.
- `as_data`: untrusted text (a tool's output, a tool's description) with every well-known
  chat-template control token and tool-call tag defused, whatever model reads it. The core
  types apply it to observations and tool descriptions, so every format, strategy and answer
  prompt shows them as data.

This module imports nothing from toolweave.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

_SURROGATE = re.compile("[\ud800-\udfff]")


def clean_text(text: str) -> str:
    """``text`` with every lone surrogate replaced by U+FFFD.

    A ``"\\ud800"`` escape in model or server JSON, or a file name with a byte that is not
    UTF-8 (Python keeps it as a surrogate), is a str that cannot be written as UTF-8: left in,
    it fails the trace, the next HTTP request, the terminal. The core types pass every text
    field through here, so nothing downstream meets one."""
    return text if text.isascii() else _SURROGATE.sub("\ufffd", text)


MAX_DEPTH = 64  # JSON nesting a value may have: deeper ones cannot be written to a trace


def clean_value(value: Any, depth: int = 0) -> Any:
    """A JSON-like value with `clean_text` applied to every string in it, keys included.
    Raises `ValueError` for a value nested deeper than `MAX_DEPTH` levels (a model's or a
    server's runaway output), which no writer downstream could serialise."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict) and depth < MAX_DEPTH and _clean_and_flat(value):
        return value  # a tool call's usual arguments: nothing to clean, nothing to copy
    if isinstance(value, (dict, list)) and depth >= MAX_DEPTH:
        raise ValueError(f"the value is nested deeper than {MAX_DEPTH} levels")
    if isinstance(value, dict):
        return {clean_text(k) if isinstance(k, str) else k: clean_value(v, depth + 1)
                for k, v in value.items()}
    if isinstance(value, list):
        return [clean_value(v, depth + 1) for v in value]
    return value


_SCALARS = frozenset({int, float, bool, type(None)})


def _clean_and_flat(value: dict) -> bool:
    """Whether ``value`` holds only ASCII string keys and scalar or ASCII string values (no
    surrogate can be in it, and nothing nested)."""
    for key, item in value.items():
        if type(key) is not str or not key.isascii():
            return False
        if type(item) is str:
            if not item.isascii():
                return False
        elif type(item) not in _SCALARS:
            return False
    return True


WORD_JOINER = "\u2060"  # invisible, and no tokenizer merges it into a control token


def defuse(text: str, markers: Iterable[str]) -> str:
    """``text`` with each of ``markers`` (control tokens, fence tags) broken after its first
    character by a word joiner: it reads the same and can never be parsed or tokenized as
    the marker."""
    for marker in markers:
        if len(marker) > 1 and marker in text:
            text = text.replace(marker, marker[0] + WORD_JOINER + marker[1:])
    return text


# Control tokens of the common chat templates and the tool-call tags models are trained on:
# ChatML / Qwen / Phi / GLM / Llama 3 / harmony (any "<|name|>"), DeepSeek ("<｜name｜>"),
# Llama 2 / Mistral ("[INST]", "[TOOL_CALLS]"…, "<<SYS>>", "<s>"), Gemma ("<start_of_turn>"),
# GLM ("[gMASK]", "<sop>") and the Hermes / GLM / Qwen3 tags ("<tool_call>", "<think>"…).
_CHAT_MARKUP = re.compile(
    r"<\|[^|<>\s]{1,48}\|>|<\uff5c[^\uff5c<>\s]{1,48}\uff5c>"
    r"|\[/?(?:INST|SYS|TOOL_CALLS|TOOL_RESULTS|AVAILABLE_TOOLS|SYSTEM_PROMPT|gMASK)\]"
    r"|<</?SYS>>|</?s>|<(?:bos|eos|sop|eop|start_of_turn|end_of_turn)>"
    r"|</?(?:tool_call|tool_response|tools|think|arg_key|arg_value)>")


def as_data(text: str) -> str:
    """``text`` with every chat-template control token and tool-call tag in it broken by a
    word joiner (see `defuse`): text from a tool can reach any model, through any format or
    prompt, and none of it may read as a turn, a call or the end of its block. Idempotent."""
    if "<" not in text and "[" not in text:  # every marker starts with one of them
        return text
    return _CHAT_MARKUP.sub(lambda m: m[0][0] + WORD_JOINER + m[0][1:], text)


def described_as_data(schema: Any) -> Any:
    """A JSON Schema with `as_data` applied to its descriptions and titles, at any depth: a
    tool's parameter docs are untrusted text shown to the model like its description."""
    if isinstance(schema, dict):
        return {k: as_data(v) if k in ("description", "title") and isinstance(v, str)
                else described_as_data(v) for k, v in schema.items()}
    if isinstance(schema, list):
        return [described_as_data(v) for v in schema]
    return schema
