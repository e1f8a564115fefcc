"""What the user said: a turn's calls held against the question they answer.

A small model fills every parameter a tool has. Asked "what movies are playing in Mumbai?"
it calls ``get_movies(city="Mumbai", cinema_hall="PVR Logix", movie_language="Hindi")``:
the optional filters are invented, and they narrow the result wrongly. And once it has
written one call it writes variations of it (another cinema, another interval) until its
token cap. Neither is a judgement the runtime needs the model for:

- an optional argument the user never gave — free text or a number that is not the
  parameter's default and shares no word or number with the question — is left out (the
  tool's default applies); enums and booleans are the model's choice among given options;
- a further call to a tool already called in the turn stands only when it differs from each
  earlier one in a value the question says or in a required argument ("weather in Boston
  and in Oslo": two calls; the same call for cinemas nobody named: one).

Codes ("CA", "AAPL") stand for names the question says in full, which only knowledge can
check: they count as said.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from toolweave.runtime.grounding import STOPWORDS
from toolweave.types import ToolCall, ToolSpec

_TOKEN = re.compile(r"\w+")
_CODE = re.compile(r"[A-Z][A-Z0-9]{1,4}")  # a state, currency, ticker or zone code
_NUMBER = re.compile(r"(?<![\d.])(-?\d+(?:,\d{3})*(?:\.\d+)?)\s*(%?)")


class Question:
    """The words and numbers of a question, to test values against."""

    def __init__(self, text: str):
        self.folded = text.casefold()
        self.words = frozenset(_TOKEN.findall(self.folded))
        self.numbers = _numbers(text)

    def says(self, value: Any) -> bool:
        """Whether the question gives ``value``: a number it writes, a string with a word of
        it (a word outside the Latin script is looked for as a substring: such text is not
        split by spaces), or a list or object holding one such value."""
        if isinstance(value, bool) or value is None:
            return False
        if isinstance(value, (int, float)):
            return float(value) in self.numbers
        if isinstance(value, dict):
            return any(self.says(v) for v in value.values())
        if isinstance(value, (list, tuple)):
            return any(self.says(v) for v in value)
        if _CODE.fullmatch(str(value)):
            return True  # a code stands for a said name ("CA", "AAPL"): not judged here
        words = [w for w in _TOKEN.findall(str(value).casefold()) if w not in STOPWORDS]
        return any(w in self.words if w.isascii() else w in self.folded for w in words)


def _numbers(text: str) -> set[float]:
    """Every number ``text`` writes, also inside words of other scripts ("22도", "第3"),
    thousands separators dropped; a percentage also as a fraction (20 % is 0.2)."""
    found: set[float] = set()
    for digits, percent in _NUMBER.findall(text):
        try:
            number = float(digits.replace(",", ""))
        except ValueError:
            continue
        found.add(number)
        if percent:
            found.add(number / 100)
    return found


def said_arguments(parameters: dict[str, Any], arguments: dict[str, Any], question: Question
                   ) -> dict[str, Any]:
    """``arguments`` (of a tool whose JSON schema is ``parameters``) without the optional
    ones the user never gave: free text, numbers and lists whose value is not the
    parameter's default and that the question does not say; an object argument is judged
    field by field."""
    props = parameters.get("properties", {})
    required = set(parameters.get("required", ()))
    kept: dict[str, Any] = {}
    for name, value in arguments.items():
        schema = props.get(name)
        if not isinstance(schema, dict):
            kept[name] = value
        elif isinstance(value, dict) and isinstance(schema.get("properties"), dict):
            kept[name] = said_arguments(schema, value, question)
        elif (name in required or _is_choice(schema, value)
              or ("default" in schema and value == schema["default"])
              or question.says(value)):
            kept[name] = value
    return kept


def _is_choice(schema: dict, value: Any) -> bool:
    """An enum, a boolean or an object: the model picks among given options, or writes
    structure this check cannot judge."""
    return ("enum" in schema or isinstance(value, (bool, dict))
            or schema.get("type") in ("boolean", "object"))


def calls_asked(calls: Sequence[ToolCall], specs: Iterable[ToolSpec], question: str
                ) -> list[ToolCall]:
    """``calls`` without the arguments and the repeated calls the user never asked for (see
    the module docstring); calls of unknown tools pass unchanged (they fail as such)."""
    said = Question(question)
    by_name = {s.name: s for s in specs}
    kept: list[ToolCall] = []
    for call in calls:
        spec = by_name.get(call.name)
        if spec is not None:
            arguments = said_arguments(spec.parameters, call.arguments, said)
            if arguments != call.arguments:
                call = call.model_copy(update={"arguments": arguments})
        required = set(spec.parameters.get("required", ())) if spec is not None else set()
        earlier = [k for k in kept if k.name == call.name]
        if all(_differs_in_what_is_asked(call, k, said, required) for k in earlier):
            kept.append(call)
    return kept


def _differs_in_what_is_asked(call: ToolCall, other: ToolCall, question: Question,
                              required: set[str]) -> bool:
    """Whether ``call`` asks something ``other`` does not: it differs in a value the question
    says, or in a required plain value (the symbol of another company the question names)."""
    return any(question.says(value) or (key in required and not isinstance(value, dict))
               for key, value in call.arguments.items() if other.arguments.get(key) != value)
