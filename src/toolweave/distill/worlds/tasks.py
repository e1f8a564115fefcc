"""Questions over a `World`, of every shape, with answers computed from its tables and the
ideal run that answers each (stages of calls; the calls of one stage are independent).

Shapes, as in the agent benchmark (bench/agent_suite_gen.py): ``single`` (one lookup),
``fanout`` (2-8 independent lookups), ``chain`` (2-4 calls, each needing the last result),
``diamond`` (independent branches joined by a call or a comparison), ``arithmetic`` (lookups,
then the calculator), ``notool`` (answered from the question alone) and ``recovery`` (the
natural first call fails with an error that says how to correct it). Each shape has several
kinds of question, each with several wordings.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from toolweave.distill.worlds.names import articles, snake, typo
from toolweave.distill.worlds.world import World
from toolweave.tools.builtins.calculator import evaluate, format_number

SHAPES = ("single", "fanout", "chain", "diamond", "arithmetic", "notool", "recovery")
Call = tuple[str, dict[str, Any]]


@dataclass
class Planned:
    """A question, its acceptable answers and its ideal run: stages of calls, each stage
    needing only earlier stages' results."""

    world: str
    shape: str
    question: str
    answers: list[str]
    stages: list[list[Call]] = field(default_factory=list)
    id: str = ""

    @property
    def min_calls(self) -> int:
        """The fewest calls a right run makes (a recovery's failing first call included)."""
        return sum(len(stage) for stage in self.stages)

    def reference(self) -> dict[str, Any]:
        """The task's ideal run as JSON data (for ``references.jsonl``)."""
        return {"id": self.id, "world": self.world, "shape": self.shape,
                "question": self.question, "answers": self.answers,
                "stages": [[{"name": n, "arguments": a} for n, a in stage]
                           for stage in self.stages]}


class _Again(Exception):
    """This draw cannot make the question (a tie, a count of 0): draw again."""


VALUE_Q = ("What is the {phrase} of {ref}?", "Look up the {phrase} of {ref}.",
           "Tell me the {phrase} for {ref}.", "I need to know the {phrase} of {ref}.",
           "Could you find the {phrase} of {ref}?", "What's the {phrase} of {ref}?",
           "Please check the {phrase} of {ref}.", "{ref}: what is its {phrase}?")
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


def _listed(names: list[str]) -> str:
    return ", ".join(names[:-1]) + " and " + names[-1]


def _either(names: list[str]) -> str:
    return ", ".join(names[:-1]) + " or " + names[-1]


def calc(expression: str) -> tuple[Call, str]:
    """A calculator call and its result exactly as the built-in calculator prints it."""
    return ("calculator", {"expression": expression}), format_number(evaluate(expression))


def money_answers(result: str) -> list[str]:
    """The calculator's output and the usual two-decimal form, when they differ."""
    natural = f"{float(result):.2f}"
    return [result] if natural == result else [result, natural]


class _Asker:
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


Builder = Callable[[_Asker], Planned]


# -- single --------------------------------------------------------------------------------

def _single_number(which: str) -> Builder:
    def build(a: _Asker) -> Planned:
        num = getattr(a.d, which)
        item = a.pick(a.w.items)
        return Planned(a.w.id, "single", a.phrase(VALUE_Q, phrase=num.phrase,
                                                  ref=a.item_ref(item)),
                       [a.value(num, a.w.items[item][num.field])],
                       [[a.call(f"item_{which}", item)]])
    return build


def _single_kind(a: _Asker) -> Planned:
    item = a.pick(a.w.items)
    q = a.phrase(("What is the {kind} of {ref}?", "Which {kind} does {ref} have?"),
                 kind=a.d.kind.phrase, ref=a.item_ref(item))
    return Planned(a.w.id, "single", q, [a.w.items[item][a.d.kind.field]],
                   [[a.call("item_info", item)]])


def _single_group(a: _Asker) -> Planned:
    item = a.pick(a.w.items)
    q = a.phrase(("Which {gnoun} is {ref} in?", "What {gnoun} does {ref} belong to?"),
                 gnoun=a.d.group.noun, ref=a.item_ref(item))
    return Planned(a.w.id, "single", q, [a.w.items[item][a.group_key]],
                   [[a.call("item_info", item)]])


def _single_g1(a: _Asker) -> Planned:
    group = a.pick(a.w.groups)
    return Planned(a.w.id, "single", a.phrase(VALUE_Q, phrase=a.d.g1.phrase,
                                              ref=a.w.ref("group", group)),
                   [a.value(a.d.g1, a.w.groups[group][a.d.g1.field])],
                   [[a.call("group_g1", group)]])


def _single_r1(a: _Asker) -> Planned:
    region = a.pick(a.w.regions)
    return Planned(a.w.id, "single", a.phrase(VALUE_Q, phrase=a.d.r1.phrase,
                                              ref=a.w.ref("region", region)),
                   [a.value(a.d.r1, a.w.regions[region][a.d.r1.field])],
                   [[a.call("region_r1", region)]])


def _single_state(a: _Asker) -> Planned:
    rec, state = a.pick(a.w.records), a.d.record.state
    q = a.phrase(("What is the {phrase} of {rnoun} {id}?", "What {phrase} does {rnoun} {id} "
                  "have?"), phrase=state.phrase, rnoun=a.d.record.noun, id=rec)
    return Planned(a.w.id, "single", q, [a.w.records[rec][state.field]],
                   [[a.call("record", rec)]])


def _single_count(a: _Asker) -> Planned:
    group = a.pick(a.w.groups)
    q = a.phrase(("How many {plural} does {group} have?", "How many {plural} are in {group}?"),
                 plural=a.d.item.plural, group=a.w.ref("group", group))
    return Planned(a.w.id, "single", q, [str(len(a.members(group)))],
                   [[a.call("group_items", group)]])


# -- fanout --------------------------------------------------------------------------------

def _fanout_extreme(which: str) -> Builder:
    def build(a: _Asker) -> Planned:
        num = getattr(a.d, which)
        items = a.pick(a.w.items, a.r.randint(2, 4))
        high = a.r.random() < 0.5
        best = (max if high else min)(items, key=lambda i: a.w.items[i][num.field])
        q = a.phrase(("Which has the {hl} {phrase}: {either}?",
                      "Of {listed}, which has the {hl} {phrase}?"),
                     hl="highest" if high else "lowest", phrase=num.phrase,
                     either=_either([a.item_ref(i) for i in items]),
                     listed=_listed([a.item_ref(i) for i in items]))
        return Planned(a.w.id, "fanout", q, [best],
                       [[a.call(f"item_{which}", i) for i in items]])
    return build


def _fanout_states(a: _Asker) -> Planned:
    state = a.d.record.state
    records = sorted(a.pick(a.w.records, a.r.randint(5, 8)))
    wanted = a.r.choice(state.values)
    n = sum(a.w.records[x][state.field] == wanted for x in records)
    if not 1 <= n < len(records):
        raise _Again
    q = a.phrase(("How many of the {rnoun} records {listed} have the {phrase} '{v}'?",
                  "Among {listed}, how many {rnoun} records are '{v}'?"),
                 rnoun=a.d.record.noun, listed=_listed(records), phrase=state.phrase, v=wanted)
    return Planned(a.w.id, "fanout", q, [str(n)], [[a.call("record", x) for x in records]])


def _fanout_kinds(a: _Asker) -> Planned:
    kind = a.d.kind
    items = a.pick(a.w.items, a.r.randint(3, 6))
    wanted = a.r.choice(kind.values)
    n = sum(a.w.items[i][kind.field] == wanted for i in items)
    if not 1 <= n < len(items):
        raise _Again
    q = a.phrase(("How many of {listed} have the {phrase} '{v}'?",
                  "Count how many of these have {phrase} '{v}': {listed}."),
                 listed=_listed([a.item_ref(i) for i in items]), phrase=kind.phrase, v=wanted)
    return Planned(a.w.id, "fanout", q, [str(n)], [[a.call("item_info", i) for i in items]])


def _fanout_groups(a: _Asker) -> Planned:
    groups = a.pick(a.w.groups, a.r.randint(2, 3))
    best = max(groups, key=lambda g: a.w.groups[g][a.d.g1.field])
    q = a.phrase(("Which {gnoun} has the highest {phrase}: {either}?",
                  "Among {listed}, which has the highest {phrase}?"),
                 gnoun=a.d.group.noun, phrase=a.d.g1.phrase, either=_either(groups),
                 listed=_listed(groups))
    return Planned(a.w.id, "fanout", q, [best], [[a.call("group_g1", g) for g in groups]])


def _fanout_below(a: _Asker) -> Planned:
    num = a.d.n2
    items = a.pick(a.w.items, a.r.randint(3, 5))
    values = sorted(a.w.items[i][num.field] for i in items)
    cut = a.r.randrange(1, len(values))
    if values[cut] - values[cut - 1] < 2:
        raise _Again
    threshold = (values[cut] + values[cut - 1]) // 2 + (1 if num.money else 0)
    n = sum(v < threshold for v in values)
    if not 1 <= n < len(values):
        raise _Again
    q = a.phrase(("How many of {listed} have {phrase} below {t} {unit}?",
                  "Of {listed}, how many have {phrase} under {t} {unit}?"),
                 listed=_listed([a.item_ref(i) for i in items]), phrase=num.phrase,
                 t=threshold, unit=num.unit)
    return Planned(a.w.id, "fanout", q, [str(n)], [[a.call("item_n2", i) for i in items]])


def _fanout_regions(a: _Asker) -> Planned:
    x, y = a.pick(a.w.regions, 2)
    best = max((x, y), key=lambda g: a.w.regions[g][a.d.r1.field])
    q = a.phrase(("Which has the higher {phrase}: {x} or {y}?",
                  "Does {x} or {y} have the larger {phrase}?"), phrase=a.d.r1.phrase, x=x, y=y)
    return Planned(a.w.id, "fanout", q, [best],
                   [[a.call("region_r1", x), a.call("region_r1", y)]])


# -- chain ---------------------------------------------------------------------------------

def _chain_g1(a: _Asker) -> Planned:
    item = a.pick(a.w.items)
    group = a.w.items[item][a.group_key]
    q = a.phrase(("What is the {phrase} of the {gnoun} that {ref} belongs to?",
                  "Find the {gnoun} of {ref}, then tell me its {phrase}."),
                 phrase=a.d.g1.phrase, gnoun=a.d.group.noun, ref=a.item_ref(item))
    return Planned(a.w.id, "chain", q, [a.value(a.d.g1, a.w.groups[group][a.d.g1.field])],
                   [[a.call("item_info", item)], [a.call("group_g1", group)]])


def _chain_region(a: _Asker) -> Planned:
    item = a.pick(a.w.items)
    group = a.w.items[item][a.group_key]
    q = a.phrase(("Which {rnoun} is the {gnoun} of {ref} part of?",
                  "{ref} belongs to a {gnoun}; which {rnoun} is that {gnoun} in?"),
                 rnoun=a.d.region.noun, gnoun=a.d.group.noun, ref=a.item_ref(item))
    return Planned(a.w.id, "chain", q, [a.w.groups[group][a.region_key]],
                   [[a.call("item_info", item)], [a.call("group_info", group)]])


def _chain_r1(a: _Asker) -> Planned:
    item = a.pick(a.w.items)
    group = a.w.items[item][a.group_key]
    region = a.w.groups[group][a.region_key]
    q = a.phrase(("What is the {phrase} of the {rnoun} that {ref}'s {gnoun} is part of?",),
                 phrase=a.d.r1.phrase, rnoun=a.d.region.noun, gnoun=a.d.group.noun,
                 ref=a.item_ref(item))
    return Planned(a.w.id, "chain", q, [a.value(a.d.r1, a.w.regions[region][a.d.r1.field])],
                   [[a.call("item_info", item)], [a.call("group_info", group)],
                    [a.call("region_r1", region)]])


def _chain_record_n1(a: _Asker) -> Planned:
    rec = a.pick(a.w.records)
    item = a.w.records[rec][a.item_key]
    q = a.phrase(("What is the {phrase} of the {noun} in {rnoun} {id}?",
                  "{rnoun} {id} is for a {noun}: what is that {noun}'s {phrase}?"),
                 phrase=a.d.n1.phrase, noun=a.d.item.noun, rnoun=a.d.record.noun, id=rec)
    return Planned(a.w.id, "chain", q, [a.value(a.d.n1, a.w.items[item][a.d.n1.field])],
                   [[a.call("record", rec)], [a.call("item_n1", item)]])


def _chain_record_g1(a: _Asker) -> Planned:
    rec = a.pick(a.w.records)
    item = a.w.records[rec][a.item_key]
    group = a.w.items[item][a.group_key]
    q = a.phrase(("What is the {phrase} of the {gnoun} of the {noun} in {rnoun} {id}?",),
                 phrase=a.d.g1.phrase, gnoun=a.d.group.noun, noun=a.d.item.noun,
                 rnoun=a.d.record.noun, id=rec)
    return Planned(a.w.id, "chain", q, [a.value(a.d.g1, a.w.groups[group][a.d.g1.field])],
                   [[a.call("record", rec)], [a.call("item_info", item)],
                    [a.call("group_g1", group)]])


def _chain_record_r1(a: _Asker) -> Planned:
    rec = a.pick(a.w.records)
    item = a.w.records[rec][a.item_key]
    group = a.w.items[item][a.group_key]
    region = a.w.groups[group][a.region_key]
    q = a.phrase(("{rnoun} {id} names a {noun}. What is the {phrase} of the {region} that "
                  "the {noun}'s {gnoun} is part of?",),
                 phrase=a.d.r1.phrase, gnoun=a.d.group.noun, noun=a.d.item.noun,
                 region=a.d.region.noun, rnoun=a.d.record.noun, id=rec)
    return Planned(a.w.id, "chain", q, [a.value(a.d.r1, a.w.regions[region][a.d.r1.field])],
                   [[a.call("record", rec)], [a.call("item_info", item)],
                    [a.call("group_info", group)], [a.call("region_r1", region)]])


# -- diamond -------------------------------------------------------------------------------

def _two_groups(a: _Asker) -> tuple[str, str, str, str]:
    x, y = a.pick(a.w.items, 2)
    gx, gy = a.w.items[x][a.group_key], a.w.items[y][a.group_key]
    if gx == gy:
        raise _Again
    return x, y, gx, gy


def _diamond_whose(a: _Asker) -> Planned:
    x, y, gx, gy = _two_groups(a)
    winner = x if a.w.groups[gx][a.d.g1.field] > a.w.groups[gy][a.d.g1.field] else y
    q = a.phrase(("Whose {gnoun} has the higher {phrase}, {x}'s or {y}'s?",),
                 gnoun=a.d.group.noun, phrase=a.d.g1.phrase, x=a.item_ref(x), y=a.item_ref(y))
    return Planned(a.w.id, "diamond", q, [winner],
                   [[a.call("item_info", x), a.call("item_info", y)],
                    [a.call("group_g1", gx), a.call("group_g1", gy)]])


def _diamond_same_region(a: _Asker) -> Planned:
    x, y, gx, gy = _two_groups(a)
    same = a.w.groups[gx][a.region_key] == a.w.groups[gy][a.region_key]
    q = a.phrase(("Are the {gplural} of {x} and {y} in the same {rnoun}? Answer yes or no.",),
                 gplural=a.d.group.plural, x=a.item_ref(x), y=a.item_ref(y),
                 rnoun=a.d.region.noun)
    return Planned(a.w.id, "diamond", q, ["yes" if same else "no"],
                   [[a.call("item_info", x), a.call("item_info", y)],
                    [a.call("group_info", gx), a.call("group_info", gy)]])


def _diamond_difference(a: _Asker) -> Planned:
    num = a.d.n1
    x, y = sorted(a.pick(a.w.items, 2), key=lambda i: -a.w.items[i][num.field])
    vx, vy = a.w.items[x][num.field], a.w.items[y][num.field]
    call, result = calc(f"{num.value_text(vx)} - {num.value_text(vy)}")
    q = a.phrase(("How much higher is the {phrase} of {x} than that of {y}?",
                  "By how much does the {phrase} of {x} exceed that of {y}?"),
                 phrase=num.phrase, x=a.item_ref(x), y=a.item_ref(y))
    return Planned(a.w.id, "diamond", q, money_answers(result) if num.money else [result],
                   [[a.call("item_n1", x), a.call("item_n1", y)], [call]])


def _diamond_record_vs_item(a: _Asker) -> Planned:
    num = a.d.n1
    rec = a.pick(a.w.records)
    item = a.w.records[rec][a.item_key]
    other = a.r.choice([i for i in a.w.items if i != item])
    winner = max((item, other), key=lambda i: a.w.items[i][num.field])
    q = a.phrase(("Which {noun} has the higher {phrase}: the one in {rnoun} {id}, or {y}? "
                  "Give its name.",),
                 noun=a.d.item.noun, phrase=num.phrase, rnoun=a.d.record.noun, id=rec,
                 y=a.item_ref(other))
    return Planned(a.w.id, "diamond", q, [winner],
                   [[a.call("record", rec), a.call("item_n1", other)],
                    [a.call("item_n1", item)]])


# -- arithmetic ----------------------------------------------------------------------------

def _arith(a: _Asker, question: str, lookups: list[list[Call]], expression: str,
           money: bool) -> Planned:
    call, result = calc(expression)
    return Planned(a.w.id, "arithmetic", question,
                   money_answers(result) if money else [result], [*lookups, [call]])


def _arith_times(a: _Asker) -> Planned:
    num, item, n = a.d.n1, a.pick(a.w.items), a.r.randint(2, 9)
    q = a.phrase(("What is the {phrase} of {ref} multiplied by {n}?",
                  "Multiply the {phrase} of {ref} by {n}."), phrase=num.phrase,
                 ref=a.item_ref(item), n=n)
    return _arith(a, q, [[a.call("item_n1", item)]],
                  f"{n} * {num.value_text(a.w.items[item][num.field])}", num.money)


def _arith_sum(a: _Asker) -> Planned:
    num = a.d.n1
    x, y = a.pick(a.w.items, 2)
    q = a.phrase(("What is the {phrase} of {x} plus the {phrase} of {y}?",
                  "Add up the {phrase} of {x} and of {y}."), phrase=num.phrase,
                 x=a.item_ref(x), y=a.item_ref(y))
    return _arith(a, q, [[a.call("item_n1", x), a.call("item_n1", y)]],
                  f"{num.value_text(a.w.items[x][num.field])} + "
                  f"{num.value_text(a.w.items[y][num.field])}", num.money)


def _arith_average(a: _Asker) -> Planned:
    num = a.d.n2
    items = a.pick(a.w.items, a.r.randint(3, 4))
    q = a.phrase(("What is the average {phrase} of {listed}?",), phrase=num.phrase,
                  listed=_listed([a.item_ref(i) for i in items]))
    total = " + ".join(num.value_text(a.w.items[i][num.field]) for i in items)
    return _arith(a, q, [[a.call("item_n2", i) for i in items]],
                  f"({total}) / {len(items)}", False)


def _arith_record_total(a: _Asker) -> Planned:
    num, qty = a.d.n1, a.d.record.qty
    rec = a.pick(a.w.records)
    row = a.w.records[rec]
    item = row[a.item_key]
    q = a.phrase(("Multiply the {qty} of {rnoun} {id} by the {phrase} of its {noun}.",
                  "What is the {qty} of {rnoun} {id} times the {phrase} of its {noun}?"),
                 qty=qty.phrase, rnoun=a.d.record.noun, id=rec, phrase=num.phrase,
                 noun=a.d.item.noun)
    return _arith(a, q, [[a.call("record", rec)], [a.call("item_n1", item)]],
                  f"{row[qty.field]} * {num.value_text(a.w.items[item][num.field])}", num.money)


def _arith_group_total(a: _Asker) -> Planned:
    num = a.d.n2
    group = a.pick(a.w.groups)
    members = a.members(group)
    if not 2 <= len(members) <= 4:
        raise _Again
    q = a.phrase(("What is the total {phrase} of all the {plural} in {group}?",),
                 phrase=num.phrase, plural=a.d.item.plural, group=a.w.ref("group", group))
    return _arith(a, q, [[a.call("group_items", group)],
                         [a.call("item_n2", i) for i in members]],
                  " + ".join(num.value_text(a.w.items[i][num.field]) for i in members), False)


def _arith_group_difference(a: _Asker) -> Planned:
    num = a.d.g1
    x, y = sorted(a.pick(a.w.groups, 2), key=lambda g: -a.w.groups[g][num.field])
    q = a.phrase(("How much larger is the {phrase} of {x} than that of {y}?",),
                 phrase=num.phrase, x=x, y=y)
    return _arith(a, q, [[a.call("group_g1", x), a.call("group_g1", y)]],
                  f"{num.value_text(a.w.groups[x][num.field])} - "
                  f"{num.value_text(a.w.groups[y][num.field])}", num.money)


# -- notool --------------------------------------------------------------------------------

def _notool_general(a: _Asker) -> Planned:
    question, answers = a.r.choice(NO_TOOL)
    return Planned(a.w.id, "notool", question, list(answers))


def _notool_words(a: _Asker) -> Planned:
    name = a.pick(a.w.items)
    n = len(name.split())
    return Planned(a.w.id, "notool", f"How many words are in the name '{name}'?",
                   [str(n), ["zero", "one", "two", "three", "four", "five"][n]])


def _notool_alphabet(a: _Asker) -> Planned:
    x, y = a.pick(a.w.groups, 2)
    if x.casefold() == y.casefold():
        raise _Again
    q = a.phrase(("Which comes first in alphabetical order: {x} or {y}?",), x=x, y=y)
    return Planned(a.w.id, "notool", q, [min(x, y, key=str.casefold)])


# -- recovery ------------------------------------------------------------------------------

def _recovery_item(which: str) -> Builder:
    def build(a: _Asker) -> Planned:
        num = getattr(a.d, which)
        item = a.pick(a.w.items)
        bad = typo(a.r, item, a.w.items, a.w.entity_names())
        return Planned(a.w.id, "recovery", a.phrase(VALUE_Q, phrase=num.phrase,
                                                    ref=a.item_ref(bad)),
                       [a.value(num, a.w.items[item][num.field])],
                       [[a.call(f"item_{which}", bad)], [a.call(f"item_{which}", item)]])
    return build


def _recovery_group(a: _Asker) -> Planned:
    group = a.pick(a.w.groups)
    bad = typo(a.r, group, a.w.groups, a.w.entity_names())
    return Planned(a.w.id, "recovery", a.phrase(VALUE_Q, phrase=a.d.g1.phrase, ref=bad),
                   [a.value(a.d.g1, a.w.groups[group][a.d.g1.field])],
                   [[a.call("group_g1", bad)], [a.call("group_g1", group)]])


def _recovery_region(a: _Asker) -> Planned:
    region = a.pick(a.w.regions)
    bad = typo(a.r, region, a.w.regions, a.w.entity_names())
    return Planned(a.w.id, "recovery", a.phrase(VALUE_Q, phrase=a.d.r1.phrase, ref=bad),
                   [a.value(a.d.r1, a.w.regions[region][a.d.r1.field])],
                   [[a.call("region_r1", bad)], [a.call("region_r1", region)]])


def _recovery_record_number(a: _Asker) -> Planned:
    rec, state = a.pick(a.w.records), a.d.record.state
    digits = rec.split("-", 1)[1]
    wrong = a.r.choice([digits, f"#{digits}", f"REF-{digits}", f"No. {digits}"])
    q = a.phrase(("What is the {phrase} of {rnoun} number {id}?",
                  "What {phrase} is {rnoun} {id} in?"),
                 phrase=state.phrase, rnoun=a.d.record.noun, id=wrong)
    return Planned(a.w.id, "recovery", q, [a.w.records[rec][state.field]],
                   [[a.call("record", wrong)], [a.call("record", rec)]])


def _recovery_chain(a: _Asker) -> Planned:
    item = a.pick(a.w.items)
    group = a.w.items[item][a.group_key]
    bad = typo(a.r, item, a.w.items, a.w.entity_names())
    q = a.phrase(("What is the {phrase} of the {gnoun} that {ref} belongs to?",),
                 phrase=a.d.g1.phrase, gnoun=a.d.group.noun, ref=a.item_ref(bad))
    return Planned(a.w.id, "recovery", q, [a.value(a.d.g1, a.w.groups[group][a.d.g1.field])],
                   [[a.call("item_info", bad)], [a.call("item_info", item)],
                    [a.call("group_g1", group)]])


def _recovery_wrong_kind(a: _Asker) -> Planned:
    """A record's id where the tool wants an item: the error says which tool reads the id."""
    num = a.d.n1
    rec = a.pick(a.w.records)
    item = a.w.records[rec][a.item_key]
    q = a.phrase(VALUE_Q, phrase=num.phrase, ref=rec)
    return Planned(a.w.id, "recovery", q, [a.value(num, a.w.items[item][num.field])],
                   [[a.call("item_n1", rec)], [a.call("record", rec)],
                    [a.call("item_n1", item)]])


KINDS: dict[str, tuple[Builder, ...]] = {
    "single": (_single_number("n1"), _single_number("n2"), _single_kind, _single_group,
               _single_g1, _single_r1, _single_state, _single_count),
    "fanout": (_fanout_extreme("n1"), _fanout_states, _fanout_kinds, _fanout_groups,
               _fanout_below, _fanout_extreme("n2"), _fanout_regions),
    "chain": (_chain_g1, _chain_record_n1, _chain_r1, _chain_region, _chain_record_g1,
              _chain_record_r1),
    "diamond": (_diamond_whose, _diamond_difference, _diamond_record_vs_item,
                _diamond_same_region),
    "arithmetic": (_arith_times, _arith_sum, _arith_record_total, _arith_average,
                   _arith_group_total, _arith_group_difference),
    "notool": (_notool_general, _notool_words, _notool_general, _notool_alphabet),
    "recovery": (_recovery_item("n1"), _recovery_record_number, _recovery_group,
                 _recovery_chain, _recovery_item("n2"), _recovery_wrong_kind, _recovery_region),
}


def world_tasks(world: World, seed: int = 0, per_shape: int = 3) -> list[Planned]:
    """``per_shape`` questions of every shape over ``world``, deterministic from ``seed``,
    interleaved by shape; ids are ``<world>-<shape>-NN``. Kinds of question rotate within a
    shape from a seeded start, so a small ``per_shape`` still varies across worlds."""
    if per_shape < 1:
        raise ValueError(f"per_shape must be at least 1, not {per_shape}")
    rng = random.Random(f"toolweave-tasks:{seed}:{world.seed}:{world.id}")
    asker = _Asker(world, rng)
    seen: set[str] = set()
    by_shape: dict[str, list[Planned]] = {}
    for shape in SHAPES:
        kinds = KINDS[shape]
        start = rng.randrange(len(kinds))
        out = by_shape[shape] = []
        for k in range(per_shape):
            for attempt in range(200):
                # after a full round of one kind failing, try the next kinds too
                kind = kinds[(start + k + attempt // 50) % len(kinds)]
                try:
                    task = kind(asker)
                except _Again:
                    continue
                if task.question not in seen:
                    break
            else:
                raise ValueError(f"{world.id}: cannot make {per_shape} different {shape} "
                                 "questions; ask for fewer per shape")
            seen.add(task.question)
            task.id = f"{world.id}-{shape}-{k + 1:02d}"
            out.append(task)
    return [by_shape[shape][k] for k in range(per_shape) for shape in SHAPES]
