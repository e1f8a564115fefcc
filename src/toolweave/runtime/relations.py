"""What a question asks of a name: "Leila Haddad's office city" asks the office city of Leila
Haddad, so the first call is the lookup whose docs speak of office cities — not the flight
search with Leila Haddad as a city.

A small model starts such a chain at its end and reads the error ("unknown city 'Leila
Haddad'") as a reason to try the next tool with the same name. When a value a tool rejected
is the owner of a possessive in the question, the tools that describe what is possessed are
the move it missed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from toolweave.runtime.grounding import STOPWORDS, rejected_arguments
from toolweave.types import Observation, ToolCall, ToolSpec

MAX_ASKED_WORDS = 3
_WORD = re.compile(r"[^\W_]+")


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
