"""What a question says a named thing is not: the kind of thing it belongs to.

"Chateau Poushpel belongs to a cellar; which estate is that cellar in?", "the number of seats of
the screen that Noundkush Rising belongs to", "A Thexcyx Romance's stage", "which branch is
Maxgro Estate in?", "how many trains are in Kordrim Central?": each names a thing and, beside
it, a kind it is *not* — the cellar it belongs to, its screen, its stage, its branch, what is
in it. A small model calls the cellar tool with the wine, since the question says "cellar".
So a named value is not offered to a parameter whose own name or description is that kind
(the tool's name is not read: ``get_office(employee)`` answers "Alice's office" and takes her).
"""

from __future__ import annotations

import re
from functools import lru_cache

_WORD = r"([a-z][a-z-]*?)"
# The patterns around a named value (``{name}``) that name a kind it belongs to, the kind
# captured; each is read on one line of the question.
_BELONGS = (
    # X belongs to a cellar / X is part of the stage / X is in a gallery
    r"{name}['’]?\s+(?:belongs?|belonged)\s+to\s+(?:a|an|the|some)\s+" + _WORD + r"\b",
    r"{name}\s+is\s+(?:part\s+of|in|inside|within)\s+(?:a|an|the|some)\s+" + _WORD + r"\b",
    # X's stage
    r"{name}['’]s\s+" + _WORD + r"\b",
    # the screen that X belongs to / the stage which X is part of
    _WORD + r"\s+(?:that|which)\s+(?:the\s+)?{name}\s+(?:belongs|is|was)\b",
    # the club of X (not "the price of X": a measure of X, not a thing it belongs to)
    r"\bthe\s+" + _WORD + r"\s+of\s+(?:the\s+)?{name}(?![\w'’])",
    # which branch is X in / what team does X belong to
    r"\b(?:which|what)\s+" + _WORD + r"\s+(?:is|are|was|does|do|did)\s+(?:the\s+)?{name}\b",
    # the stages of A Heisho Comedy and X (a list's later item)
    r"\bthe\s+" + _WORD + r"\s+of\s+[^,;?]*?\s(?:and|or)\s+(?:the\s+)?{name}(?![\w'’])",
    # how many wines does X have
    r"\bhow\s+many\s+" + _WORD + r"s?\s+(?:does|do|did)\s+(?:the\s+)?{name}\s+have\b",
    # how many trains are in X
    r"\bhow\s+many\s+" + _WORD + r"s?\s+(?:are|is|were)\s+(?:there\s+)?(?:in|at|on)\s+"
    r"(?:the\s+)?{name}(?![\w'’])",
)
# "Whose farm has more tractors, Steitock Meadow's or Nushce Meadow's?": each X's is no farm
_WHOSE = re.compile(r"\bwhose\s+([a-z][a-z-]*)\b", re.IGNORECASE)
# Words that measure or describe a thing rather than name a kind of thing it belongs to
_NOT_KINDS = frozenset("""number count total sum average mean price cost value size age
length height weight capacity rate name names list one ones a an the this that it its own
first last best other or and but nor is are was were has have had in on at to of for with by
from as""".split())


@lru_cache(maxsize=1024)
def not_kinds(line: str, value: str) -> frozenset[str]:
    """The kinds ``line`` says ``value`` belongs to, and so is not (casefolded, without a
    plural s): "Chateau Poushpel belongs to a cellar" → {"cellar"}."""
    name = re.escape(value)
    found: set[str] = set()
    for pattern in _BELONGS:
        for match in re.finditer(pattern.replace("{name}", name), line, re.IGNORECASE):
            found.add(match.group(1).casefold())
    if re.search(rf"{name}['’]s?(?!\w)", line) and (whose := _WHOSE.search(line)):
        found.add(whose.group(1).casefold())
    return frozenset(w.removesuffix("s") for w in found if w not in _NOT_KINDS)
