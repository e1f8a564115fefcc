"""Names for the synthetic worlds: invented words and people, and the lookups that match a name
the way a forgiving service would (case and spacing ignored) or say how to correct it.

Every world invents its names from its own small "language" (a subset of syllables), so its
people and places sound alike and differ from another world's, and no model knows them.
"""

from __future__ import annotations

import difflib
import random
import re
from collections.abc import Iterable

_ONSETS = ["b", "br", "c", "d", "dr", "f", "g", "gr", "h", "k", "kl", "l", "m", "n", "p",
           "pr", "r", "s", "sk", "st", "t", "tr", "v", "w", "z", "th", "sh", "ch"]
_VOWELS = ["a", "e", "i", "o", "u", "ae", "ei", "ou", "ia", "y"]
_CODAS = ["", "", "n", "r", "l", "s", "m", "nd", "rk", "th", "x", "ck", "sh"]
_SURNAME_ENDS = ["son", "ova", "ez", "ini", "berg", "ard", "ley", "ski", "ou", "ani", "holt",
                 "mere", "quist", "ado"]


class Language:
    """The syllables one world builds its names from, drawn from ``rng``."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.onsets = rng.sample(_ONSETS, 12)
        self.vowels = rng.sample(_VOWELS, 6)
        self.codas = rng.sample(_CODAS, 7)
        self.ends = rng.sample(_SURNAME_ENDS, 5)

    def word(self, min_len: int = 5, max_len: int = 9) -> str:
        """An invented, capitalized word of ``min_len``-``max_len`` letters."""
        while True:
            text = "".join(self.rng.choice(self.onsets) + self.rng.choice(self.vowels)
                           + self.rng.choice(self.codas)
                           for _ in range(self.rng.choice((2, 2, 3))))
            if min_len <= len(text) <= max_len and not re.search(r"(.)\1\1", text):
                return text.capitalize()

    def person(self) -> str:
        """A first and last name."""
        last = self.word(4, 7)
        return f"{self.word(5, 7)} {last}{self.rng.choice(self.ends)}"

    def name(self, template: str) -> str:
        """A name from a template: "person", or text where ``{word}`` is an invented word and
        ``{a|b|c}`` picks one option."""
        if template == "person":
            return self.person()
        text = re.sub(r"\{([^{}]*\|[^{}]*)\}", lambda m: self.rng.choice(m.group(1).split("|")),
                      template)
        while "{word}" in text:
            text = text.replace("{word}", self.word(), 1)
        return text


def fold(text: str) -> str:
    """``text`` as names are compared: case folded, whitespace collapsed."""
    return " ".join(str(text).split()).casefold()


def suggestion(value: str, choices: Iterable[str]) -> str | None:
    """The choice closest to ``value`` (difflib, case ignored), or None when none is close."""
    folded = {fold(c): c for c in choices}
    close = difflib.get_close_matches(fold(value), list(folded), n=1, cutoff=0.6)
    return folded[close[0]] if close else None


def unknown(kind: str, value: str, choices: Iterable[str]) -> ValueError:
    """The error for a name the world does not have, with the nearest name or the list."""
    choices = list(choices)
    near = suggestion(value, choices)
    if near is not None:
        return ValueError(f"unknown {kind} {value!r}; did you mean {near!r}?")
    return ValueError(f"unknown {kind} {value!r}; known: {', '.join(choices)}")


def resolve(kind: str, value: str, choices: Iterable[str]) -> str:
    """The entry of ``choices`` that ``value`` names, ignoring case and spacing."""
    choices = list(choices)
    found = {fold(c): c for c in choices}.get(fold(value))
    if found is None:
        raise unknown(kind, value, choices)
    return found


def typo(rng: random.Random, name: str, names: Iterable[str], taken: Iterable[str] = ()) -> str:
    """A misspelling of one word of ``name`` that is no name itself (of ``names`` or
    ``taken``) and whose closest name in ``names`` is ``name``, so a tool's "did you mean"
    points back at it."""
    names = list(names)
    taken = {fold(n) for n in [*names, *taken]}
    words = name.split()
    long_words = [k for k, w in enumerate(words) if len(w) >= 5]
    for _ in range(300):
        i = rng.choice(long_words)
        w = words[i]
        j = rng.randint(1, len(w) - 2)
        kind = rng.choice(["drop", "double", "swap"])
        new = (w[:j] + w[j + 1:] if kind == "drop" else w[:j] + w[j] + w[j:] if kind == "double"
               else w[:j] + w[j + 1] + w[j] + w[j + 2:])
        candidate = " ".join([*words[:i], new, *words[i + 1:]])
        if fold(candidate) not in taken and suggestion(candidate, names) == name:
            return candidate
    raise ValueError(f"no usable misspelling of {name!r}")


def snake(text: str) -> str:
    """``text`` as part of an identifier: lower case, words joined by ``_``."""
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


_A_BEFORE_VOWEL = re.compile(r"\b([Aa]) (?=(?:[aeio]|u(?!ni|se|su))[a-z])")


def articles(text: str) -> str:
    """``text`` with "a" made "an" before a lower-case vowel sound ("an enclosure", "a unit");
    capitalized words (invented names) are left alone."""
    return _A_BEFORE_VOWEL.sub(r"\1n ", text)
