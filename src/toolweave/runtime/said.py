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
        self.words = frozenset(stem(w) for w in _TOKEN.findall(self.folded))
        self.numbers = _numbers(text)
        letters = [c for c in text if c.isalpha()]
        # a question in another script ("我想知道上海的天气…摄氏度") cannot be held against
        # the schema's English words: its words are not judged
        self.latin = not letters or sum(c.isascii() for c in letters) >= len(letters) / 2

    def says(self, value: Any, ignore: frozenset[str] = STOPWORDS) -> bool:
        """Whether the question gives ``value``: a number it writes, a string with a word of
        it that is not in ``ignore`` (a word outside the Latin script is looked for as a
        substring: such text is not split by spaces), or a list or object holding one such
        value. Words are not judged against a question mostly in another script than the
        Latin one."""
        if isinstance(value, bool) or value is None:
            return False
        if isinstance(value, (int, float)):
            return float(value) in self.numbers
        if isinstance(value, dict):
            return any(self.says(v, ignore) for v in value.values())
        if isinstance(value, (list, tuple)):
            return any(self.says(v, ignore) for v in value)
        if _CODE.fullmatch(str(value)):
            return True  # a code stands for a said name ("CA", "AAPL"): not judged here
        return self.says_words(str(value), ignore)

    def says_words(self, text: str, ignore: frozenset[str] = STOPWORDS) -> bool:
        """Whether the question has a word of ``text`` that is not in ``ignore`` (function
        words); ``AIR_DRY`` and ``airDry`` are the words air and dry. Text with no word (a
        separator, punctuation) cannot be judged: it counts as said."""
        spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", text).casefold()
        words = _TOKEN.findall(spaced)
        if not words or not self.latin:
            return True
        return any(stem(w) in self.words if w.isascii() else w in self.folded
                   for w in words if w not in ignore and stem(w) not in ignore)


def stem(word: str) -> str:
    """A word without its plural ending: "pieces" and "piece" are one word here."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


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


def _says(question: Question, words: str) -> bool:
    """Whether the question says one of ``words``; nothing to say is not said."""
    return bool(_TOKEN.findall(words)) and question.says_words(words)


def _about(name: str) -> str:
    """What a parameter is about, in words: ``include_wind`` → "wind"."""
    words = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name).casefold().replace("_", " ").split()
    return " ".join(w for w in words if w not in _FLAG_WORDS)


def _gloss(option: str, description: str) -> str:
    """What a parameter's description says an option stands for: "'imperial' for
    Fahrenheit" glosses imperial as Fahrenheit (up to the next comma or stop)."""
    match = re.search(rf"['\"`]?{re.escape(option)}['\"`]?\s+(?:for|means|is|=)\s+([^,.;)]+)",
                      description, re.IGNORECASE)
    return match.group(1) if match else ""


def _given(name: str, schema: dict, value: Any, question: Question) -> bool:
    """Whether the optional argument ``name`` = ``value`` is one the user gave."""
    if "default" in schema and value == schema["default"]:
        return True
    if isinstance(value, bool) or schema.get("type") == "boolean":
        return "default" not in schema or _says(question, _about(name))
    if "enum" in schema:  # an option's every word counts: "POWER_ON" for "turned on"
        return ("default" not in schema or _is_code(str(value))
                or question.says_words(str(value), _ARTICLES)
                or _says(question, _about(name))  # "no sweetness": sweetness_level
                or _says(question, _gloss(str(value), schema.get("description", ""))))
    if isinstance(value, dict) or schema.get("type") == "object":
        return True  # structure this check cannot judge
    if isinstance(value, (int, float)) and schema.get("default") is None:
        return True  # a number without a default to fall back to: an id, a count, a limit
    # the parameter's own name is no evidence: "Mission 1" for ``mission`` says nothing new
    return question.says(value, STOPWORDS | {stem(w) for w in _about(name).split()})


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
