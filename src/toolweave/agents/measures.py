"""What a comparison measures: "closer" is a distance, "warmer" a temperature, "cheaper" a
price.

Asked "which is closer to Jorvale: Esterlund or Brennholm?", a small model looks up the
weather of each city and picks the lower temperature. The comparative word says what must be
compared, and the tools' docs say what each one measures: when the tool the model fanned out
does not measure it and another does, the run is not done yet.
"""

from __future__ import annotations

import re

from toolweave.types import ToolSpec

# comparative stems → words a tool's docs use for that measure
_MEASURES: tuple[tuple[re.Pattern[str], tuple[str, ...]], ...] = (
    (re.compile(r"\b(?:clos|near|far|furth)(?:e|er|est)?\b", re.IGNORECASE),
     ("distance", "km", "kilometre", "kilometer", "mile")),
    (re.compile(r"\b(?:warm|cold|hott?|cool)(?:er|est)\b", re.IGNORECASE),
     ("temperature", "°c", "°f", "degrees")),
    (re.compile(r"\b(?:cheap(?:er|est)|(?:more|most|less|least) expensive|pricier|priciest"
                r"|costs? (?:more|less|the most|the least))\b", re.IGNORECASE),
     ("price", "cost", "fare", "usd", "eur")),
)


def measure_words(question: str) -> tuple[str, ...]:
    """The words a tool's docs use for what ``question`` compares; empty when it compares
    nothing this module knows."""
    for pattern, words in _MEASURES:
        if pattern.search(question):
            return words
    return ()


def measures(spec: ToolSpec, words: tuple[str, ...]) -> bool:
    """Whether the tool's docs speak of one of ``words``."""
    docs = f"{spec.name} {spec.description}".casefold().replace("_", " ")
    return any(re.search(rf"(?<!\w){re.escape(w)}", docs) for w in words)
