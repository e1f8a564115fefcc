"""Tool-call wire formats: tools → prompt text and grammar, model text → calls.

``get_format(name)`` returns one of `FORMATS`:

- ``hermes``: Qwen/Hermes ``<tool_call>{"name": ..., "arguments": {...}}</tool_call>``
- ``openai``: native ``tools=`` / ``tool_calls`` (nothing in the prompt)
- ``glm-xml``: GLM-4.5 ``<tool_call>name<arg_key>k</arg_key><arg_value>v</arg_value></tool_call>``
- ``plaintext``: ``CALL name`` / raw input or ``key: value`` lines / ``END`` (custom tools)

Pass ``tools`` to get a format bound to them: glm-xml and plaintext then decode values per each
tool's schema (and plaintext knows which tools take raw input).
"""

from __future__ import annotations

from collections.abc import Sequence

from toolweave.formats.base import ParsedTurn, ParseError, ToolFormat
from toolweave.formats.glm_xml import GlmXmlFormat
from toolweave.formats.hermes import HermesFormat
from toolweave.formats.openai import OpenAIFormat
from toolweave.formats.plaintext import PlaintextFormat
from toolweave.types import ToolSpec

FORMATS: dict[str, ToolFormat] = {
    "hermes": HermesFormat(),
    "openai": OpenAIFormat(),
    "glm-xml": GlmXmlFormat(),
    "plaintext": PlaintextFormat(),
}


def get_format(name: str, tools: Sequence[ToolSpec] | None = None) -> ToolFormat:
    """The format called ``name``, bound to ``tools`` when given."""
    try:
        fmt = FORMATS[name]
    except KeyError:
        raise ValueError(f"unknown tool format {name!r}; known formats: "
                         + ", ".join(FORMATS)) from None
    return fmt.bind(tools) if tools is not None else fmt


__all__ = ["FORMATS", "GlmXmlFormat", "HermesFormat", "OpenAIFormat", "ParseError",
           "ParsedTurn", "PlaintextFormat", "ToolFormat", "get_format"]
