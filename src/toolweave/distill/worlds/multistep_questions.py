"""Questions whose calls depend on earlier results: ``chain`` (2-4 calls, each needing the last
result), ``diamond`` (independent branches joined by a call or a comparison) and
``arithmetic`` (lookups, then the calculator)."""

from __future__ import annotations

from toolweave.distill.worlds.asker import Asker, Builder, DrawAgain, listed
from toolweave.distill.worlds.planned import Call, Planned, calc, money_answers

# -- chain ---------------------------------------------------------------------------------

def _chain_g1(a: Asker) -> Planned:
    item = a.pick(a.w.items)
    group = a.w.items[item][a.group_key]
    q = a.phrase(("What is the {phrase} of the {gnoun} that {ref} belongs to?",
                  "Find the {gnoun} of {ref}, then tell me its {phrase}."),
                 phrase=a.d.g1.phrase, gnoun=a.d.group.noun, ref=a.item_ref(item))
    return Planned(world=a.w.id, shape="chain", question=q,
                   answers=[a.value(a.d.g1, a.w.groups[group][a.d.g1.field])],
                   stages=[[a.call("item_info", item)], [a.call("group_g1", group)]])


def _chain_region(a: Asker) -> Planned:
    item = a.pick(a.w.items)
    group = a.w.items[item][a.group_key]
    q = a.phrase(("Which {rnoun} is the {gnoun} of {ref} part of?",
                  "{ref} belongs to a {gnoun}; which {rnoun} is that {gnoun} in?"),
                 rnoun=a.d.region.noun, gnoun=a.d.group.noun, ref=a.item_ref(item))
    return Planned(world=a.w.id, shape="chain", question=q,
                   answers=[a.w.groups[group][a.region_key]],
                   stages=[[a.call("item_info", item)], [a.call("group_info", group)]])


def _chain_r1(a: Asker) -> Planned:
    item = a.pick(a.w.items)
    group = a.w.items[item][a.group_key]
    region = a.w.groups[group][a.region_key]
    q = a.phrase(("What is the {phrase} of the {rnoun} that {ref}'s {gnoun} is part of?",),
                 phrase=a.d.r1.phrase, rnoun=a.d.region.noun, gnoun=a.d.group.noun,
                 ref=a.item_ref(item))
    return Planned(world=a.w.id, shape="chain", question=q,
                   answers=[a.value(a.d.r1, a.w.regions[region][a.d.r1.field])],
                   stages=[[a.call("item_info", item)], [a.call("group_info", group)],
                           [a.call("region_r1", region)]])


def _chain_record_n1(a: Asker) -> Planned:
    rec = a.pick(a.w.records)
    item = a.w.records[rec][a.item_key]
    q = a.phrase(("What is the {phrase} of the {noun} in {rnoun} {id}?",
                  "{rnoun} {id} is for a {noun}: what is that {noun}'s {phrase}?"),
                 phrase=a.d.n1.phrase, noun=a.d.item.noun, rnoun=a.d.record.noun, id=rec)
    return Planned(world=a.w.id, shape="chain", question=q,
                   answers=[a.value(a.d.n1, a.w.items[item][a.d.n1.field])],
                   stages=[[a.call("record", rec)], [a.call("item_n1", item)]])


def _chain_record_g1(a: Asker) -> Planned:
    rec = a.pick(a.w.records)
    item = a.w.records[rec][a.item_key]
    group = a.w.items[item][a.group_key]
    q = a.phrase(("What is the {phrase} of the {gnoun} of the {noun} in {rnoun} {id}?",),
                 phrase=a.d.g1.phrase, gnoun=a.d.group.noun, noun=a.d.item.noun,
                 rnoun=a.d.record.noun, id=rec)
    return Planned(world=a.w.id, shape="chain", question=q,
                   answers=[a.value(a.d.g1, a.w.groups[group][a.d.g1.field])],
                   stages=[[a.call("record", rec)], [a.call("item_info", item)],
                           [a.call("group_g1", group)]])


def _chain_record_r1(a: Asker) -> Planned:
    rec = a.pick(a.w.records)
    item = a.w.records[rec][a.item_key]
    group = a.w.items[item][a.group_key]
    region = a.w.groups[group][a.region_key]
    q = a.phrase(("{rnoun} {id} names a {noun}. What is the {phrase} of the {region} that "
                  "the {noun}'s {gnoun} is part of?",),
                 phrase=a.d.r1.phrase, gnoun=a.d.group.noun, noun=a.d.item.noun,
                 region=a.d.region.noun, rnoun=a.d.record.noun, id=rec)
    return Planned(world=a.w.id, shape="chain", question=q,
                   answers=[a.value(a.d.r1, a.w.regions[region][a.d.r1.field])],
                   stages=[[a.call("record", rec)], [a.call("item_info", item)],
                           [a.call("group_info", group)], [a.call("region_r1", region)]])


# -- diamond -------------------------------------------------------------------------------

def _two_groups(a: Asker) -> tuple[str, str, str, str]:
    x, y = a.pick(a.w.items, 2)
    gx, gy = a.w.items[x][a.group_key], a.w.items[y][a.group_key]
    if gx == gy:
        raise DrawAgain
    return x, y, gx, gy


def _diamond_whose(a: Asker) -> Planned:
    x, y, gx, gy = _two_groups(a)
    winner = x if a.w.groups[gx][a.d.g1.field] > a.w.groups[gy][a.d.g1.field] else y
    q = a.phrase(("Whose {gnoun} has the higher {phrase}, {x}'s or {y}'s?",),
                 gnoun=a.d.group.noun, phrase=a.d.g1.phrase, x=a.item_ref(x), y=a.item_ref(y))
    return Planned(world=a.w.id, shape="diamond", question=q, answers=[winner],
                   stages=[[a.call("item_info", x), a.call("item_info", y)],
                           [a.call("group_g1", gx), a.call("group_g1", gy)]])


def _diamond_same_region(a: Asker) -> Planned:
    x, y, gx, gy = _two_groups(a)
    same = a.w.groups[gx][a.region_key] == a.w.groups[gy][a.region_key]
    q = a.phrase(("Are the {gplural} of {x} and {y} in the same {rnoun}? Answer yes or no.",),
                 gplural=a.d.group.plural, x=a.item_ref(x), y=a.item_ref(y),
                 rnoun=a.d.region.noun)
    return Planned(world=a.w.id, shape="diamond", question=q, answers=["yes" if same else "no"],
                   stages=[[a.call("item_info", x), a.call("item_info", y)],
                           [a.call("group_info", gx), a.call("group_info", gy)]])


def _diamond_difference(a: Asker) -> Planned:
    num = a.d.n1
    x, y = sorted(a.pick(a.w.items, 2), key=lambda i: -a.w.items[i][num.field])
    vx, vy = a.w.items[x][num.field], a.w.items[y][num.field]
    call, result = calc(f"{num.value_text(vx)} - {num.value_text(vy)}")
    q = a.phrase(("How much higher is the {phrase} of {x} than that of {y}?",
                  "By how much does the {phrase} of {x} exceed that of {y}?"),
                 phrase=num.phrase, x=a.item_ref(x), y=a.item_ref(y))
    return Planned(world=a.w.id, shape="diamond", question=q,
                   answers=money_answers(result) if num.money else [result],
                   stages=[[a.call("item_n1", x), a.call("item_n1", y)], [call]])


def _diamond_record_vs_item(a: Asker) -> Planned:
    num = a.d.n1
    rec = a.pick(a.w.records)
    item = a.w.records[rec][a.item_key]
    other = a.r.choice([i for i in a.w.items if i != item])
    winner = max((item, other), key=lambda i: a.w.items[i][num.field])
    q = a.phrase(("Which {noun} has the higher {phrase}: the one in {rnoun} {id}, or {y}? "
                  "Give its name.",),
                 noun=a.d.item.noun, phrase=num.phrase, rnoun=a.d.record.noun, id=rec,
                 y=a.item_ref(other))
    return Planned(world=a.w.id, shape="diamond", question=q, answers=[winner],
                   stages=[[a.call("record", rec), a.call("item_n1", other)],
                           [a.call("item_n1", item)]])


# -- arithmetic ----------------------------------------------------------------------------

def _arith(a: Asker, question: str, lookups: list[list[Call]], expression: str,
           money: bool) -> Planned:
    call, result = calc(expression)
    return Planned(world=a.w.id, shape="arithmetic", question=question,
                   answers=money_answers(result) if money else [result], stages=[*lookups, [call]])


def _arith_times(a: Asker) -> Planned:
    num, item, n = a.d.n1, a.pick(a.w.items), a.r.randint(2, 9)
    q = a.phrase(("What is the {phrase} of {ref} multiplied by {n}?",
                  "Multiply the {phrase} of {ref} by {n}."), phrase=num.phrase,
                 ref=a.item_ref(item), n=n)
    return _arith(a, q, [[a.call("item_n1", item)]],
                  f"{n} * {num.value_text(a.w.items[item][num.field])}", num.money)


def _arith_sum(a: Asker) -> Planned:
    num = a.d.n1
    x, y = a.pick(a.w.items, 2)
    q = a.phrase(("What is the {phrase} of {x} plus the {phrase} of {y}?",
                  "Add up the {phrase} of {x} and of {y}."), phrase=num.phrase,
                 x=a.item_ref(x), y=a.item_ref(y))
    return _arith(a, q, [[a.call("item_n1", x), a.call("item_n1", y)]],
                  f"{num.value_text(a.w.items[x][num.field])} + "
                  f"{num.value_text(a.w.items[y][num.field])}", num.money)


def _arith_average(a: Asker) -> Planned:
    num = a.d.n2
    items = a.pick(a.w.items, a.r.randint(3, 4))
    q = a.phrase(("What is the average {phrase} of {listed}?",), phrase=num.phrase,
                 listed=listed([a.item_ref(i) for i in items]))
    total = " + ".join(num.value_text(a.w.items[i][num.field]) for i in items)
    return _arith(a, q, [[a.call("item_n2", i) for i in items]],
                  f"({total}) / {len(items)}", False)


def _arith_record_total(a: Asker) -> Planned:
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


def _arith_group_total(a: Asker) -> Planned:
    num = a.d.n2
    group = a.pick(a.w.groups)
    members = a.members(group)
    if not 2 <= len(members) <= 4:
        raise DrawAgain
    q = a.phrase(("What is the total {phrase} of all the {plural} in {group}?",),
                 phrase=num.phrase, plural=a.d.item.plural, group=a.w.ref("group", group))
    return _arith(a, q, [[a.call("group_items", group)],
                         [a.call("item_n2", i) for i in members]],
                  " + ".join(num.value_text(a.w.items[i][num.field]) for i in members), False)


def _arith_group_difference(a: Asker) -> Planned:
    num = a.d.g1
    x, y = sorted(a.pick(a.w.groups, 2), key=lambda g: -a.w.groups[g][num.field])
    q = a.phrase(("How much larger is the {phrase} of {x} than that of {y}?",),
                 phrase=num.phrase, x=x, y=y)
    return _arith(a, q, [[a.call("group_g1", x), a.call("group_g1", y)]],
                  f"{num.value_text(a.w.groups[x][num.field])} - "
                  f"{num.value_text(a.w.groups[y][num.field])}", num.money)


CHAIN_KINDS: tuple[Builder, ...] = (
    _chain_g1, _chain_record_n1, _chain_r1, _chain_region, _chain_record_g1, _chain_record_r1)
DIAMOND_KINDS: tuple[Builder, ...] = (
    _diamond_whose, _diamond_difference, _diamond_record_vs_item, _diamond_same_region)
ARITHMETIC_KINDS: tuple[Builder, ...] = (
    _arith_times, _arith_sum, _arith_record_total, _arith_average, _arith_group_total,
    _arith_group_difference)
