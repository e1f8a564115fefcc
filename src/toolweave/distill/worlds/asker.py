"""What the question builders of every shape share: `Asker` (the world, the seeded draw, a
tool call for a table's role, wordings), `DrawAgain` for a draw that cannot make its question,
and the wording helpers."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from toolweave.distill.worlds.names import articles, snake
from toolweave.distill.worlds.planned import Call, Planned
from toolweave.distill.worlds.world import World


class DrawAgain(Exception):
    """This draw cannot make the question (a tie, a count of 0): draw again."""


VALUE_Q = ("What is the {phrase} of {ref}?", "Look up the {phrase} of {ref}.",
           "Tell me the {phrase} for {ref}.", "I need to know the {phrase} of {ref}.",
           "Could you find the {phrase} of {ref}?", "What's the {phrase} of {ref}?",
           "Please check the {phrase} of {ref}.", "{ref}: what is its {phrase}?")


def listed(names: list[str]) -> str:
    return ", ".join(names[:-1]) + " and " + names[-1]


def either(names: list[str]) -> str:
    return ", ".join(names[:-1]) + " or " + names[-1]



class Asker:
    """What the question builders share: the world, the draw, calls and values."""

    def __init__(self, world: World, rng: random.Random):
        self.w, self.r, self.d = world, rng, world.domain
        self.group_key = snake(self.d.group.noun)
        self.region_key = snake(self.d.region.noun)
        self.item_key = snake(self.d.item.noun)

    def call(self, role: str, value: str) -> Call:
        table = {"item_info": "item", "item_n1": "item", "item_n2": "item",
                 "group_info": "group", "group_g1": "group", "group_items": "group",
                 "region_r1": "region", "record": "record"}[role]
        return self.w.tool_names[role], {self.w.params[table]: value}

    def pick(self, table: dict, k: int | None = None) -> Any:
        return self.r.choice(list(table)) if k is None else self.r.sample(list(table), k)

    def phrase(self, frames: tuple[str, ...], **values: str) -> str:
        """One of ``frames`` filled in. A world uses its own share of a long list of frames
        (seeded by its id), so worlds differ in wording as well as in words."""
        if len(frames) > 3:
            own = random.Random(f"{self.w.id}:{frames[0]}")
            frames = tuple(own.sample(frames, len(frames) // 2 + 1))
        text = articles(self.r.choice(frames).format(**values))
        return text[0].upper() + text[1:]

    def value(self, num: Any, v: float) -> str:
        return num.value_text(v)

    def item_ref(self, name: str) -> str:
        return self.w.ref("item", name)

    def members(self, group: str) -> list[str]:
        return [n for n, row in self.w.items.items() if row[self.group_key] == group]


Builder = Callable[[Asker], Planned]
