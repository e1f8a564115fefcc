"""Questions about the question's own text: how many words or letters a name has, which of
two names comes first in alphabetical order, a word spelt backwards.

No tool knows more about the text than the question does. A small model asked "How many words
are in the name 'Kaeprei Wargronani'?" calls every tool that knows Kaeprei Wargronani, then
counts whatever number the results hold ("1410.73 words"). Asked with no tools at hand, it
answers from the text.
"""

from __future__ import annotations

import re

_OWN_TEXT = re.compile(
    r"\bhow many (?:letters|words|characters|syllables|vowels|consonants)\b"
    r"|\balphabetical(?:ly)?\b|\bbackwards\b|\bin reverse\b|\bpalindromes?\b|\banagrams?\b",
    re.IGNORECASE)


def asks_about_its_text(question: str) -> bool:
    """Whether ``question`` asks about the letters or words of what it writes out."""
    return _OWN_TEXT.search(question) is not None
