"""Questions answered by lookups alone: ``single`` (one lookup) and ``fanout`` (2-8
independent lookups whose answer needs them all)."""

from __future__ import annotations

from toolweave.distill.worlds.asker import VALUE_Q, Asker, Builder, DrawAgain, either, listed
from toolweave.distill.worlds.planned import Planned

# -- single --------------------------------------------------------------------------------

def _single_number(which: str) -> Builder:
    def build(a: Asker) -> Planned:
        num = getattr(a.d, which)
        item = a.pick(a.w.items)
        q = a.phrase(VALUE_Q, phrase=num.phrase, ref=a.item_ref(item))
        return Planned(world=a.w.id, shape="single", question=q,
                       answers=[a.value(num, a.w.items[item][num.field])],
                       stages=[[a.call(f"item_{which}", item)]])
    return build


def _single_kind(a: Asker) -> Planned:
    item = a.pick(a.w.items)
    q = a.phrase(("What is the {kind} of {ref}?", "Which {kind} does {ref} have?"),
                 kind=a.d.kind.phrase, ref=a.item_ref(item))
    return Planned(world=a.w.id, shape="single", question=q,
                   answers=[a.w.items[item][a.d.kind.field]], stages=[[a.call("item_info", item)]])


def _single_group(a: Asker) -> Planned:
    item = a.pick(a.w.items)
    q = a.phrase(("Which {gnoun} is {ref} in?", "What {gnoun} does {ref} belong to?"),
                 gnoun=a.d.group.noun, ref=a.item_ref(item))
    return Planned(world=a.w.id, shape="single", question=q, answers=[a.w.items[item][a.group_key]],
                   stages=[[a.call("item_info", item)]])


def _single_g1(a: Asker) -> Planned:
    group = a.pick(a.w.groups)
    q = a.phrase(VALUE_Q, phrase=a.d.g1.phrase, ref=a.w.ref("group", group))
    return Planned(world=a.w.id, shape="single", question=q,
                   answers=[a.value(a.d.g1, a.w.groups[group][a.d.g1.field])],
                   stages=[[a.call("group_g1", group)]])


def _single_r1(a: Asker) -> Planned:
    region = a.pick(a.w.regions)
    q = a.phrase(VALUE_Q, phrase=a.d.r1.phrase, ref=a.w.ref("region", region))
    return Planned(world=a.w.id, shape="single", question=q,
                   answers=[a.value(a.d.r1, a.w.regions[region][a.d.r1.field])],
                   stages=[[a.call("region_r1", region)]])


def _single_state(a: Asker) -> Planned:
    rec, state = a.pick(a.w.records), a.d.record.state
    q = a.phrase(("What is the {phrase} of {rnoun} {id}?", "What {phrase} does {rnoun} {id} "
                  "have?"), phrase=state.phrase, rnoun=a.d.record.noun, id=rec)
    return Planned(world=a.w.id, shape="single", question=q,
                   answers=[a.w.records[rec][state.field]], stages=[[a.call("record", rec)]])


def _single_count(a: Asker) -> Planned:
    group = a.pick(a.w.groups)
    q = a.phrase(("How many {plural} does {group} have?", "How many {plural} are in {group}?"),
                 plural=a.d.item.plural, group=a.w.ref("group", group))
    return Planned(world=a.w.id, shape="single", question=q, answers=[str(len(a.members(group)))],
                   stages=[[a.call("group_items", group)]])


# -- fanout --------------------------------------------------------------------------------

def _fanout_extreme(which: str) -> Builder:
    def build(a: Asker) -> Planned:
        num = getattr(a.d, which)
        items = a.pick(a.w.items, a.r.randint(2, 4))
        high = a.r.random() < 0.5
        best = (max if high else min)(items, key=lambda i: a.w.items[i][num.field])
        q = a.phrase(("Which has the {hl} {phrase}: {either}?",
                      "Of {listed}, which has the {hl} {phrase}?"),
                     hl="highest" if high else "lowest", phrase=num.phrase,
                     either=either([a.item_ref(i) for i in items]),
                     listed=listed([a.item_ref(i) for i in items]))
        return Planned(world=a.w.id, shape="fanout", question=q, answers=[best],
                       stages=[[a.call(f"item_{which}", i) for i in items]])
    return build


def _fanout_states(a: Asker) -> Planned:
    state = a.d.record.state
    records = sorted(a.pick(a.w.records, a.r.randint(5, 8)))
    wanted = a.r.choice(state.values)
    n = sum(a.w.records[x][state.field] == wanted for x in records)
    if not 1 <= n < len(records):
        raise DrawAgain
    q = a.phrase(("How many of the {rnoun} records {listed} have the {phrase} '{v}'?",
                  "Among {listed}, how many {rnoun} records are '{v}'?"),
                 rnoun=a.d.record.noun, listed=listed(records), phrase=state.phrase, v=wanted)
    return Planned(world=a.w.id, shape="fanout", question=q, answers=[str(n)],
                   stages=[[a.call("record", x) for x in records]])


def _fanout_kinds(a: Asker) -> Planned:
    kind = a.d.kind
    items = a.pick(a.w.items, a.r.randint(3, 6))
    wanted = a.r.choice(kind.values)
    n = sum(a.w.items[i][kind.field] == wanted for i in items)
    if not 1 <= n < len(items):
        raise DrawAgain
    q = a.phrase(("How many of {listed} have the {phrase} '{v}'?",
                  "Count how many of these have {phrase} '{v}': {listed}."),
                 listed=listed([a.item_ref(i) for i in items]), phrase=kind.phrase, v=wanted)
    return Planned(world=a.w.id, shape="fanout", question=q, answers=[str(n)],
                   stages=[[a.call("item_info", i) for i in items]])


def _fanout_groups(a: Asker) -> Planned:
    groups = a.pick(a.w.groups, a.r.randint(2, 3))
    best = max(groups, key=lambda g: a.w.groups[g][a.d.g1.field])
    q = a.phrase(("Which {gnoun} has the highest {phrase}: {either}?",
                  "Among {listed}, which has the highest {phrase}?"),
                 gnoun=a.d.group.noun, phrase=a.d.g1.phrase, either=either(groups),
                 listed=listed(groups))
    return Planned(world=a.w.id, shape="fanout", question=q, answers=[best],
                   stages=[[a.call("group_g1", g) for g in groups]])


def _fanout_below(a: Asker) -> Planned:
    num = a.d.n2
    items = a.pick(a.w.items, a.r.randint(3, 5))
    values = sorted(a.w.items[i][num.field] for i in items)
    cut = a.r.randrange(1, len(values))
    if values[cut] - values[cut - 1] < 2:
        raise DrawAgain
    threshold = (values[cut] + values[cut - 1]) // 2 + (1 if num.money else 0)
    n = sum(v < threshold for v in values)
    if not 1 <= n < len(values):
        raise DrawAgain
    q = a.phrase(("How many of {listed} have {phrase} below {t} {unit}?",
                  "Of {listed}, how many have {phrase} under {t} {unit}?"),
                 listed=listed([a.item_ref(i) for i in items]), phrase=num.phrase,
                 t=threshold, unit=num.unit)
    return Planned(world=a.w.id, shape="fanout", question=q, answers=[str(n)],
                   stages=[[a.call("item_n2", i) for i in items]])


def _fanout_regions(a: Asker) -> Planned:
    x, y = a.pick(a.w.regions, 2)
    best = max((x, y), key=lambda g: a.w.regions[g][a.d.r1.field])
    q = a.phrase(("Which has the higher {phrase}: {x} or {y}?",
                  "Does {x} or {y} have the larger {phrase}?"), phrase=a.d.r1.phrase, x=x, y=y)
    return Planned(world=a.w.id, shape="fanout", question=q, answers=[best],
                   stages=[[a.call("region_r1", x), a.call("region_r1", y)]])


SINGLE_KINDS: tuple[Builder, ...] = (
    _single_number("n1"), _single_number("n2"), _single_kind, _single_group, _single_g1,
    _single_r1, _single_state, _single_count)
FANOUT_KINDS: tuple[Builder, ...] = (
    _fanout_extreme("n1"), _fanout_states, _fanout_kinds, _fanout_groups, _fanout_below,
    _fanout_extreme("n2"), _fanout_regions)
