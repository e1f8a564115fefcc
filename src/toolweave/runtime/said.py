"""What the user said: a turn's calls held against the question they answer.

A small model fills every parameter a tool has. Asked "what movies are playing in Mumbai?"
it calls ``get_movies(city="Mumbai", cinema_hall="PVR Logix", movie_language="Hindi")``:
the optional filters are invented, and they narrow the result wrongly. And once it has
written one call it writes variations of it (another cinema, another interval) until its
token cap. Neither is a judgement the runtime needs the model for:

- an optional argument the user never gave is left out, so the tool's default applies:
  free text or a list that shares no word or number with the question (and is not the
  parameter's default); a number, an option (an enum value) or a flag that differs from the
  default the schema declares, when the question says neither the value nor, for a flag,
  what the parameter is about ("include_wind" in a question that never says wind). Without
  a declared default the choice is the model's (a number may be an id the question names
  another way), and so is an option written as a code ("es-ES" for "in Spanish");
- a further call to a tool already called in the turn stands only when it differs from each
  earlier one in a value the question says or in a required argument ("weather in Boston
  and in Oslo": two calls; the same call for cinemas nobody named: one).

Codes ("CA", "AAPL") stand for names the question says in full, which only knowledge can
check: as free text they count as said.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from toolweave.runtime.grounding import STOPWORDS
from toolweave.types import ToolCall, ToolSpec

_TOKEN = re.compile(r"[^\W_]+")
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
        return self.says_words(str(value))

    def says_words(self, text: str, ignore: frozenset[str] = STOPWORDS) -> bool:
        """Whether the question has a word of ``text`` that is not in ``ignore`` (function
        words); ``AIR_DRY`` and ``airDry`` are the words air and dry. Text with no word (a
        separator, punctuation) cannot be judged: it counts as said."""
        spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", text).casefold()
        words = _TOKEN.findall(spaced)
        if not words:
            return True
        return any(w in self.words if w.isascii() else w in self.folded
                   for w in words if w not in ignore)


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
    ones the user never gave (see the module docstring); an object argument is judged field
    by field."""
    props = parameters.get("properties", {})
    required = set(parameters.get("required", ()))
    kept: dict[str, Any] = {}
    for name, value in arguments.items():
        schema = props.get(name)
        if isinstance(value, dict) and isinstance(schema, dict) \
                and isinstance(schema.get("properties"), dict):
            kept[name] = said_arguments(schema, value, question)
        elif (name in required or not isinstance(schema, dict)
              or _given(name, schema, value, question)):
            kept[name] = value
    return kept


_ARTICLES = frozenset({"a", "an", "the"})
# words that say how a flag acts, not what it is about ("include_wind": wind)
_FLAG_WORDS = frozenset({"include", "includes", "enable", "enabled", "use", "is", "has",
                         "show", "allow", "with", "flag", "mode"})


def _is_code(option: str) -> bool:
    """An option written as a code ("es-ES", "zh-CN", "mp3"): every word of it is short. It
    stands for a name ("Spanish") only knowledge links it to, so it is not judged."""
    words = _TOKEN.findall(option)
    return bool(words) and all(len(w) <= 3 for w in words)


def _given(name: str, schema: dict, value: Any, question: Question) -> bool:
    """Whether the optional argument ``name`` = ``value`` is one the user gave."""
    if "default" in schema and value == schema["default"]:
        return True
    if isinstance(value, bool) or schema.get("type") == "boolean":
        about = " ".join(w for w in re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name)
                         .casefold().replace("_", " ").split() if w not in _FLAG_WORDS)
        return "default" not in schema or question.says_words(about)
    if "enum" in schema:  # an option's every word counts: "POWER_ON" for "turned on"
        return ("default" not in schema or _is_code(str(value))
                or question.says_words(str(value), _ARTICLES))
    if isinstance(value, dict) or schema.get("type") == "object":
        return True  # structure this check cannot judge
    if isinstance(value, (int, float)) and schema.get("default") is None:
        return True  # a number without a default to fall back to: an id, a count, a limit
    return question.says(value)


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
