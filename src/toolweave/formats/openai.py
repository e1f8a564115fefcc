"""OpenAI-native tool calls: the backend takes the tools and returns structured calls.

Nothing goes into the prompt and no grammar is needed: the server (or the chat template of an
in-process model) renders the tools and parses the calls. Servers that do not parse a model's
calls hand them back as text, usually in the Hermes ``<tool_call>`` form, so text is read with
the Hermes parser as a fallback.
"""

from __future__ import annotations

from collections.abc import Sequence

from toolweave.formats.base import MAX_CALLS, ParsedTurn, check_results, guarded_parse
from toolweave.formats.hermes import parse_hermes
from toolweave.types import Completion, Constraint, Message, ToolCall, ToolSpec


class OpenAIFormat:
    """Tools passed natively (``tools=``); results as ``role="tool"`` messages."""

    name = "openai"
    native = True

    def __init__(self, tools: Sequence[ToolSpec] = ()):
        self.tools = {t.name: t for t in tools}

    def bind(self, tools: Sequence[ToolSpec]) -> OpenAIFormat:
        return OpenAIFormat(tools)

    def render(self, tools: Sequence[ToolSpec]) -> str:
        """Nothing: the tools travel in the request, not the prompt."""
        return ""

    def grammar(self, tools: Sequence[ToolSpec], require_call: bool = False,
                max_calls: int = MAX_CALLS) -> Constraint | None:
        """None: the backend constrains (or parses) its own calls."""
        return None

    def parse(self, text: str) -> ParsedTurn:
        """Calls a server left in the text (Hermes form). Never raises."""
        return self._parse_text(text, truncated=False)

    def parse_completion(self, completion: Completion) -> ParsedTurn:
        """The backend's structured calls; the text's Hermes blocks when it returned none."""
        if completion.tool_calls:
            return ParsedTurn(text=completion.text.strip(), calls=list(completion.tool_calls))
        return self._parse_text(completion.text, truncated=completion.finish_reason == "length")

    def _parse_text(self, text: str, truncated: bool) -> ParsedTurn:
        return guarded_parse(parse_hermes, text, truncated)

    def assistant_message(self, text: str, calls: Sequence[ToolCall]) -> Message:
        """The calls ride in ``tool_calls``, where the backend's template expects them."""
        return Message(role="assistant", content=text, tool_calls=list(calls))

    def results_messages(self, calls: Sequence[ToolCall],
                         results: Sequence[str]) -> list[Message]:
        """One ``role="tool"`` message per call, answering it by ``tool_call_id``."""
        check_results(calls, results)
        return [Message(role="tool", content=r, tool_call_id=c.id, name=c.name)
                for c, r in zip(calls, results, strict=True)]
