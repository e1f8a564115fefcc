"""What a question asks of a name: "Leila Haddad's office city" asks the office city of Leila
Haddad, so the first call is the lookup whose docs speak of office cities — not the flight
search with Leila Haddad as a city. And whether it asks the tools anything at all: "which day
comes after Monday?" shares no word with the docs of a weather or stock tool.

A small model starts such a chain at its end and reads the error ("unknown city 'Leila
Haddad'") as a reason to try the next tool with the same name. When a value a tool rejected
is the owner of a possessive in the question, the tools that describe what is possessed are
the move it missed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from toolweave.runtime.grounding import STOPWORDS, rejected_arguments
from toolweave.runtime.said import stem
from toolweave.types import Observation, ToolCall, ToolSpec

MAX_ASKED_WORDS = 3
_WORD = re.compile(r"[^\W_]+")
# counted things are said as numbers too ("in one word", "one-way"): no sign of a topic
_PROPER_NAME = re.compile(r"[A-Z][\w'’-]*(?:\s+[A-Z][\w'’-]*)+")
_NUMBER_WORDS = frozenset({"zero", "one", "two", "three", "four", "five", "six", "seven", "eight",
                           "nine", "ten"})


def asked_of(question: str, value: str) -> list[str]:
    """The words the question asks of ``value`` through a possessive ("Leila Haddad's
    office city" → office, city), up to the first function word; [] when it asks none."""
    match = re.search(re.escape(value.strip()) + r"['’]s\s+([^.,;:?!]+)", question,
                      re.IGNORECASE)
    if not match:
        return []
    words = []
    for word in _WORD.findall(re.sub(r"['’]s\b", "", match.group(1)).casefold()):
        if word in STOPWORDS or len(words) == MAX_ASKED_WORDS:
            break
        words.append(word)
    return words


def tools_about(specs: Iterable[ToolSpec], words: Iterable[str]) -> list[str]:
    """The tools whose description has every one of ``words`` (as words)."""
    wanted = set(words)
    if not wanted:
        return []
    return [s.name for s in specs
            if wanted <= set(_WORD.findall(s.description.casefold()))]


def rejected_values(made: Iterable[tuple[ToolCall, Observation]]) -> list[str]:
    """The string arguments that failed calls' errors quote back ("unknown city 'Leila
    Haddad'"): the values a tool rejected, in order, once each."""
    return list(dict.fromkeys(v for call, obs in made for _, v in rejected_arguments(call, obs)))


def tool_words(specs: Iterable[ToolSpec]) -> frozenset[str]:
    """The words the tools are about: of their names, descriptions, parameter names and
    descriptions and enum values, plurals stemmed, function words left out."""
    words: set[str] = set()
    for spec in specs:
        texts = [spec.name, spec.description]
        for name, schema in spec.parameters.get("properties", {}).items():
            texts += [name, str(schema.get("description", ""))]
            texts += [str(v) for v in schema.get("enum", ())]
        for text in texts:
            spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", text)
            words.update(stem(w) for w in _WORD.findall(spaced.casefold()))
    return frozenset(words - STOPWORDS)


def about_tools(question: str, words: frozenset[str]) -> bool:
    """Whether ``question`` has a word of ``words`` (`tool_words`) besides function and number
    words."""
    return any(stem(w) in words for w in _WORD.findall(question.casefold())
               if w not in STOPWORDS and w not in _NUMBER_WORDS and not w.isdigit())


def is_proper_name(value: str) -> bool:
    """Whether ``value`` is written as a name of two or more capitalised words ("Cobalt
    Headphones", "Alice Moreau"): a thing of the tools' world, which one tool may not know
    and another may — unlike "Monday" or "spider"."""
    return bool(_PROPER_NAME.fullmatch(value.strip()))
