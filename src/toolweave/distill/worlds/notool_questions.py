"""``notool`` questions: answered from the question alone, from general knowledge or from the
world's names as plain text."""

from __future__ import annotations

from toolweave.distill.worlds.asker import Asker, Builder, DrawAgain
from toolweave.distill.worlds.planned import Planned

NO_TOOL = (
    ("What is the capital of France?", ["Paris"]),
    ("How many days are there in a week?", ["7", "seven"]),
    ("At how many degrees Celsius does water freeze?", ["0", "zero"]),
    ("What is the opposite of 'up'?", ["down"]),
    ("How many sides does a triangle have?", ["3", "three"]),
    ("Spell the word 'dog' backwards.", ["god"]),
    ("What is the plural of 'child'?", ["children"]),
    ("What colour is a clear daytime sky?", ["blue"]),
    ("How many months are there in a year?", ["12", "twelve"]),
    ("Which season comes after winter?", ["spring"]),
    ("Translate the French word 'merci' into English.", ["thank you", "thanks"]),
    ("What is the past tense of 'swim'?", ["swam"]),
    ("Reply with just the word YES.", ["yes"]),
    ("How many hours are there in a day?", ["24", "twenty-four"]),
)


# -- notool --------------------------------------------------------------------------------

def _notool_general(a: Asker) -> Planned:
    question, answers = a.r.choice(NO_TOOL)
    return Planned(world=a.w.id, shape="notool", question=question, answers=list(answers))


def _notool_words(a: Asker) -> Planned:
    name = a.pick(a.w.items)
    n = len(name.split())
    return Planned(world=a.w.id, shape="notool",
                   question=f"How many words are in the name '{name}'?",
                   answers=[str(n), ["zero", "one", "two", "three", "four", "five"][n]])


def _notool_alphabet(a: Asker) -> Planned:
    x, y = a.pick(a.w.groups, 2)
    if x.casefold() == y.casefold():
        raise DrawAgain
    q = a.phrase(("Which comes first in alphabetical order: {x} or {y}?",), x=x, y=y)
    return Planned(world=a.w.id, shape="notool", question=q, answers=[min(x, y, key=str.casefold)])


# general knowledge is listed twice, so half of a world's notool draws are not about it
NOTOOL_KINDS: tuple[Builder, ...] = (
    _notool_general, _notool_words, _notool_general, _notool_alphabet)
