"""Sameness: "are the artists of A and B in the same imprint?" is answered by comparing.

With both artists' records in its results (``"imprint": "Fuxwus Records"`` twice), the 0.5B
model answers "No.", or goes on calling tools until the step cap. The runtime can compare
instead: the question names the kind of thing that must be the same ("imprint"), the records
name it in a field (or a tool that gets that kind answers in plain text), and the answer
turn begins with "Yes" or "No" and reads the values compared.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from toolweave.agents.leads import YES_NO
from toolweave.agents.worked import Worked
from toolweave.runtime.grounding import STOPWORDS, record_fields
from toolweave.runtime.hops import topic_words
from toolweave.runtime.said import stem
from toolweave.types import Observation, ToolCall, ToolSpec

# "the same imprint", "the same home port", "different teams"
_SAME = re.compile(r"\b(?P<how>same|different)\s+(?P<kind>[a-z][a-z-]*(?:\s+[a-z][a-z-]*)?)",
                   re.IGNORECASE)


def asks_same(question: str) -> tuple[str, bool] | None:
    """(the kind's word, whether the question asks "the same" rather than "different") for a
    yes-or-no question whether things share a kind of thing; None for any other question."""
    if not YES_NO.match(question):
        return None
    match = _SAME.search(question)
    if match is None:
        return None
    words = [w for w in match["kind"].casefold().split() if w not in STOPWORDS]
    if not words:
        return None
    return stem(words[-1]), match["how"].casefold() == "same"


def compared_values(kind: str, made: Iterable[tuple[ToolCall, Observation]],
                    specs: dict[str, ToolSpec]) -> list[tuple[str, str]]:
    """(what it is of, the value) for each successful call whose record names a ``kind``
    in a field, or whose tool gets that kind and answered in plain text; one per call."""
    found: dict[str, tuple[str, str]] = {}
    for call, obs in made:
        if not obs.ok:
            continue
        about = ", ".join(v for v in call.arguments.values() if isinstance(v, str))
        fields = record_fields(obs.content.strip())
        if fields is None:
            spec = specs.get(call.name)
            if spec is not None and kind in topic_words(spec) and obs.content.strip():
                found[call.name + about] = (about, obs.content.strip())
            continue
        for keys, leaf, is_text in fields:
            if is_text and kind in {stem(k) for k in keys}:
                found[call.name + about] = (about, leaf)
                break
    return list(found.values())


def sameness(question: str, made: Iterable[tuple[ToolCall, Observation]],
             specs: dict[str, ToolSpec]) -> Worked | None:
    """Whether the things the question asks about share the kind it names, read off two or
    more values the run found of that kind, as a line the answer turn reads and a "Yes" or
    "No" it begins with; None when the question asks no such thing or fewer than two values
    were found."""
    asked = asks_same(question)
    if asked is None:
        return None
    kind, same = asked
    values = compared_values(kind, made, specs)
    if len(values) < 2:
        return None
    alike = len({v.strip().casefold() for _, v in values}) == 1
    line = "; ".join(f"{kind} of {about}: {value}" if about else f"{kind}: {value}"
                     for about, value in values)
    verdict = "the same" if alike else "not the same"
    return Worked("comparison", f"{line} ({verdict})", "Yes" if alike == same else "No")
