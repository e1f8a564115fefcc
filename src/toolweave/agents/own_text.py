"""Questions about the question's own text: how many words or letters a name has, which of
two names comes first in alphabetical order, a word spelt backwards.

No tool knows more about the text than the question does. A small model asked "How many words
are in the name 'Kaeprei Wargronani'?" calls every tool that knows Kaeprei Wargronani, then
counts whatever number the results hold ("1410.73 words"); asked with no tools at hand, the
0.5B model still says "20 words", and puts "Liamseith Pharma" before "Ciackdros Pharma". The
runtime works such an answer out from the text (`worked_out`), as it counts and calculates
over results, and the answer turn begins with it.
"""

from __future__ import annotations

import re

from toolweave.agents.worked import Worked
from toolweave.runtime.grounding import question_values

_OWN_TEXT = re.compile(
    r"\bhow many (?:letters|words|characters|syllables|vowels|consonants)\b"
    r"|\balphabetical(?:ly)?\b|\bbackwards\b|\bin reverse\b|\bpalindromes?\b|\banagrams?\b",
    re.IGNORECASE)
_HOW_MANY = re.compile(r"\bhow many (letters|words|characters|vowels)\b", re.IGNORECASE)
_QUOTED = re.compile(r"""(?<!\w)['‘"“]([^'’"”\n]+)['’"”](?!\w)""")
_OPTIONS = re.compile(r",\s*(?:or\s+)?|\s+or\s+", re.IGNORECASE)
_LAST = re.compile(r"\b(?:last|latest)\b", re.IGNORECASE)


def asks_about_its_text(question: str) -> bool:
    """Whether ``question`` asks about the letters or words of what it writes out."""
    return _OWN_TEXT.search(question) is not None


def worked_out(question: str) -> Worked | None:
    """The answer to a question about its own text, worked out from the text: a count of
    words, letters, characters or vowels; the option that comes first (or last) in
    alphabetical order; a text backwards. None when the question is of another kind or its
    text cannot be read."""
    if (count := _HOW_MANY.search(question)) and (text := _subject(question)):
        unit = count[1].casefold()
        n = {"words": len(text.split()), "letters": sum(c.isalpha() for c in text),
             "characters": len(text),
             "vowels": sum(c in "aeiouAEIOU" for c in text)}[unit]
        return Worked("text", f"{unit} in '{text}': {n}", str(n))
    if re.search(r"\balphabetical", question, re.IGNORECASE):
        options = _options(question)
        if len(options) >= 2:
            pick = (max if _LAST.search(question) else min)(options, key=str.casefold)
            order = ", ".join(sorted(options, key=str.casefold))
            return Worked("text", f"in alphabetical order: {order}", pick)
    if re.search(r"\bbackwards\b|\bin reverse\b", question, re.IGNORECASE) \
            and (text := _subject(question)):
        return Worked("text", f"'{text}' backwards: {text[::-1]}", text[::-1])
    return None


def _subject(question: str) -> str:
    """The text a question is about: what it quotes, else the name it writes."""
    if quoted := _QUOTED.findall(question):
        return quoted[0].strip()
    names = question_values(question)
    return names[0] if names else ""


def _options(question: str) -> list[str]:
    """The options of "which comes first: A or B?" as the question writes them."""
    tail = question.rsplit(":", 1)[-1] if ":" in question else question
    parts = [p.strip(" ?.!'\"’‘“”") for p in _OPTIONS.split(tail)]
    return [p for p in parts if p and len(p.split()) <= 6]
