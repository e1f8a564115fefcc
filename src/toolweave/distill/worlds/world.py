"""`World`: one synthetic tool world, its tables filled from a domain and a seed, and the
names, parameters and docs its tools get; `generate_worlds` makes many, deterministically.

A world's tables (see `spec`): 12 items, 5 groups, 3 regions and 12 records. Values of one
numeric field all differ, names are invented (`names.Language`) and unique in the world, and
every group holds an item and every region a group, so each question shape can be asked.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from toolweave.distill.worlds.names import Language, fold, snake
from toolweave.distill.worlds.spec import Cat, Domain, Num, load_domains

N_ITEMS, N_GROUPS, N_REGIONS, N_RECORDS = 12, 5, 3, 12

# Tool-name styles: {noun} is the table's noun, {field} a numeric field, {plural} the items'
# plural, {gnoun} the groups' noun. A world takes one; worlds of one generation never share a
# tool name, so several worlds fit in one suite.
NAME_STYLES: tuple[dict[str, str], ...] = (
    {"info": "get_{noun}", "field": "get_{noun}_{field}", "list": "list_{gnoun}_{plural}"},
    {"info": "lookup_{noun}", "field": "lookup_{noun}_{field}",
     "list": "lookup_{plural}_in_{gnoun}"},
    {"info": "{noun}_details", "field": "{noun}_{field}", "list": "{gnoun}_{plural}"},
    {"info": "fetch_{noun}", "field": "fetch_{field}_of_{noun}",
     "list": "fetch_{plural}_of_{gnoun}"},
    {"info": "find_{noun}", "field": "{field}_for_{noun}", "list": "find_{plural}_by_{gnoun}"},
    {"info": "describe_{noun}", "field": "read_{noun}_{field}",
     "list": "{plural}_under_{gnoun}"},
    {"info": "query_{noun}", "field": "query_{noun}_{field}", "list": "query_{plural}_in_{gnoun}"},
    {"info": "{noun}_record", "field": "{noun}_{field}_value", "list": "all_{plural}_of_{gnoun}"},
)
# Descriptions, one set per world: {noun}, {phrase}, {unit}, {kind}, {gnoun}, {plural}, {rnoun},
# {item}, {qty}, {state}, {link}.
DOC_STYLES: tuple[dict[str, str], ...] = (
    {"info": "A {noun}'s entry: its {kind} and the {gnoun} it belongs to.",
     "group_info": "A {noun}'s entry: the {link} it belongs to.",
     "field": "The {phrase} of a {noun}, in {unit}.",
     "list": "The {plural} that belong to a {gnoun}.",
     "record": "A {rnoun}: the {item} it is for, its {qty} and its {state}.",
     "param": 'the {noun}\'s name, e.g. "{example}".',
     "record_param": "the {rnoun}'s id."},
    {"info": "Look up one {noun}; returns its {kind} and its {gnoun}.",
     "group_info": "Look up one {noun}; returns the {link} it is part of.",
     "field": "Get the {phrase} of one {noun} ({unit}).",
     "list": "List every {noun} in a given {gnoun}.",
     "record": "Look up a {rnoun} by id; returns its {item}, {qty} and {state}.",
     "param": "name of the {noun}",
     "record_param": 'the {rnoun} id, e.g. "{example}".'},
    {"info": "Details of a {noun} ({kind}, {gnoun}).",
     "group_info": "Details of a {noun}: which {link} it is in.",
     "field": "Returns a {noun}'s {phrase}, measured in {unit}.",
     "list": "Which {plural} a {gnoun} has.",
     "record": "Details of a {rnoun}: {item}, {qty}, {state}.",
     "param": "the full name of the {noun}",
     "record_param": "identifier of the {rnoun}"},
)


@dataclass
class World:
    """One world: its domain, tables, and the names and docs of its tools.

    Tables map a name (or a record id) to a dict of field values. ``tool_names`` and
    ``params`` map a tool's role (``item_info``, ``item_n1``, ``item_n2``, ``group_info``,
    ``group_g1``, ``region_r1``, ``record``, ``group_items``) to its name and its parameter."""

    id: str
    seed: int
    index: int
    domain: Domain
    style: int
    doc_style: int
    items: dict[str, dict[str, Any]] = field(default_factory=dict)
    groups: dict[str, dict[str, Any]] = field(default_factory=dict)
    regions: dict[str, dict[str, Any]] = field(default_factory=dict)
    records: dict[str, dict[str, Any]] = field(default_factory=dict)
    tool_names: dict[str, str] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)

    @property
    def attr(self) -> str:
        """The attribute of `toolweave.distill.worlds.catalog` that holds its tools."""
        return f"seed{self.seed}_w{self.index:02d}"

    @property
    def tools_spec(self) -> str:
        """How a suite file names its tools (``python: <this>``)."""
        return f"toolweave.distill.worlds.catalog:{self.attr}"

    def entity_names(self) -> list[str]:
        """Every name in the world (items, groups, regions), records' ids left out."""
        return [*self.items, *self.groups, *self.regions]

    def ref(self, table: str, name: str) -> str:
        """How a question refers to an entry of ``table`` ("item", "group", "region")."""
        return getattr(self.domain, table).ref.format(name=name)

    def tools(self) -> list:
        """Its toolweave `Tool`s, built anew on each call (the catalog keeps one set per world)."""
        from toolweave.distill.worlds.engine import world_tools

        return world_tools(self)


def _values(rng: random.Random, num: Num, count: int) -> list[float]:
    lo, hi = num.range
    if num.money:
        return [c / 100 for c in rng.sample(range(lo * 100, hi * 100 + 1), count)]
    return rng.sample(range(lo, hi + 1), count)


def _categories(rng: random.Random, cat: Cat, count: int) -> list[str]:
    while True:
        out = [rng.choice(cat.values) for _ in range(count)]
        if len(set(out)) >= min(3, len(cat.values)):
            return out


def _names(lang: Language, template: str, count: int, taken: set[str]) -> list[str]:
    out: list[str] = []
    while len(out) < count:
        name = lang.name(template)
        if fold(name) not in taken:
            taken.add(fold(name))
            out.append(name)
    return out


def _spread(rng: random.Random, owners: list[str], count: int) -> list[str]:
    """``count`` owners, every owner at least once, the rest at random, shuffled."""
    out = list(owners) + [rng.choice(owners) for _ in range(count - len(owners))]
    rng.shuffle(out)
    return out


def build_world(domain: Domain, seed: int, index: int, style: int) -> World:
    """The world ``index`` of generation ``seed`` in ``domain`` with tool-name ``style``."""
    rng = random.Random(f"toolweave-world:{seed}:{index}:{domain.key}")
    d = domain
    world = World(id=f"w{index:02d}_{d.key}", seed=seed, index=index, domain=d, style=style,
                  doc_style=rng.randrange(len(DOC_STYLES)))
    lang, taken = Language(rng), set()
    regions = _names(lang, d.region.names, N_REGIONS, taken)
    groups = _names(lang, d.group.names, N_GROUPS, taken)
    items = _names(lang, d.item.names, N_ITEMS, taken)
    region_of = _spread(rng, regions, N_GROUPS)
    group_of = _spread(rng, groups, N_ITEMS)
    for name, value in zip(regions, _values(rng, d.r1, N_REGIONS), strict=True):
        world.regions[name] = {d.r1.field: value}
    for name, region, value in zip(groups, region_of, _values(rng, d.g1, N_GROUPS), strict=True):
        world.groups[name] = {snake(d.region.noun): region, d.g1.field: value}
    kinds = _categories(rng, d.kind, N_ITEMS)
    for name, group, kind, v1, v2 in zip(items, group_of, kinds, _values(rng, d.n1, N_ITEMS),
                                         _values(rng, d.n2, N_ITEMS), strict=True):
        world.items[name] = {d.kind.field: kind, snake(d.group.noun): group, d.n1.field: v1,
                             d.n2.field: v2}
    numbers = sorted(rng.sample(range(10000, 99999), N_RECORDS))
    states = _categories(rng, d.record.state, N_RECORDS)
    lo, hi = d.record.qty.range
    for number, item, state in zip(numbers, rng.sample(items, N_RECORDS), states, strict=True):
        world.records[f"{d.record.prefix}-{number}"] = {
            snake(d.item.noun): item, d.record.qty.field: rng.randint(lo, hi),
            d.record.state.field: state}
    _name_tools(world, rng)
    return world


def _name_tools(world: World, rng: random.Random) -> None:
    d, pattern = world.domain, NAME_STYLES[world.style]
    noun, gnoun, rnoun = snake(d.item.noun), snake(d.group.noun), snake(d.region.noun)
    plural = snake(d.item.plural)
    world.tool_names = {
        "item_info": pattern["info"].format(noun=noun),
        "item_n1": pattern["field"].format(noun=noun, field=d.n1.field),
        "item_n2": pattern["field"].format(noun=noun, field=d.n2.field),
        "group_info": pattern["info"].format(noun=gnoun),
        "group_g1": pattern["field"].format(noun=gnoun, field=d.g1.field),
        "region_r1": pattern["field"].format(noun=rnoun, field=d.r1.field),
        "record": pattern["info"].format(noun=snake(d.record.noun)),
        "group_items": pattern["list"].format(plural=plural, gnoun=gnoun),
    }
    world.params = {"item": rng.choice(d.item.params), "group": rng.choice(d.group.params),
                    "region": rng.choice(d.region.params), "record": rng.choice(d.record.params)}


def _clashes(world: World, used: set[str]) -> bool:
    names = list(world.tool_names.values())
    return len(set(names)) < len(names) or bool(used & set(names)) or "calculator" in names


@cache
def generate_worlds(seed: int, n: int) -> tuple[World, ...]:
    """``n`` worlds (up to about 80), deterministic from ``seed``: world ``i`` is the same
    whatever ``n`` is.

    Domains are taken in a seeded order, each once before any repeats; a world whose tool
    names would clash with an earlier world's (or among themselves) takes the next style."""
    if n < 1:
        raise ValueError(f"ask for at least one world, not {n}")
    domains = list(load_domains())
    random.Random(f"toolweave-worlds:{seed}").shuffle(domains)
    out: list[World] = []
    used: set[str] = set()
    for index in range(n):
        domain = domains[index % len(domains)]
        first = random.Random(f"toolweave-style:{seed}:{index}").randrange(len(NAME_STYLES))
        for k in range(len(NAME_STYLES)):
            world = build_world(domain, seed, index, (first + k) % len(NAME_STYLES))
            if not _clashes(world, used):
                break
        else:
            raise ValueError(f"world {index} ({domain.key}): every tool-name style clashes "
                             "with an earlier world; ask for fewer worlds")
        used |= set(world.tool_names.values())
        out.append(world)
    return tuple(out)
