"""``recovery`` questions: the natural first call fails (a misspelt name, a record number in
the wrong form, a record's id where an item's is wanted) with an error that says how to
correct it."""

from __future__ import annotations

from toolweave.distill.worlds.asker import VALUE_Q, Asker, Builder
from toolweave.distill.worlds.names import typo
from toolweave.distill.worlds.planned import Planned

# -- recovery ------------------------------------------------------------------------------

def _recovery_item(which: str) -> Builder:
    def build(a: Asker) -> Planned:
        num = getattr(a.d, which)
        item = a.pick(a.w.items)
        bad = typo(a.r, item, a.w.items, a.w.entity_names())
        q = a.phrase(VALUE_Q, phrase=num.phrase, ref=a.item_ref(bad))
        return Planned(world=a.w.id, shape="recovery", question=q,
                       answers=[a.value(num, a.w.items[item][num.field])],
                       stages=[[a.call(f"item_{which}", bad)], [a.call(f"item_{which}", item)]])
    return build


def _recovery_group(a: Asker) -> Planned:
    group = a.pick(a.w.groups)
    bad = typo(a.r, group, a.w.groups, a.w.entity_names())
    return Planned(world=a.w.id, shape="recovery",
                   question=a.phrase(VALUE_Q, phrase=a.d.g1.phrase, ref=bad),
                   answers=[a.value(a.d.g1, a.w.groups[group][a.d.g1.field])],
                   stages=[[a.call("group_g1", bad)], [a.call("group_g1", group)]])


def _recovery_region(a: Asker) -> Planned:
    region = a.pick(a.w.regions)
    bad = typo(a.r, region, a.w.regions, a.w.entity_names())
    return Planned(world=a.w.id, shape="recovery",
                   question=a.phrase(VALUE_Q, phrase=a.d.r1.phrase, ref=bad),
                   answers=[a.value(a.d.r1, a.w.regions[region][a.d.r1.field])],
                   stages=[[a.call("region_r1", bad)], [a.call("region_r1", region)]])


def _recovery_record_number(a: Asker) -> Planned:
    rec, state = a.pick(a.w.records), a.d.record.state
    digits = rec.split("-", 1)[1]
    wrong = a.r.choice([digits, f"#{digits}", f"REF-{digits}", f"No. {digits}"])
    q = a.phrase(("What is the {phrase} of {rnoun} number {id}?",
                  "What {phrase} is {rnoun} {id} in?"),
                 phrase=state.phrase, rnoun=a.d.record.noun, id=wrong)
    return Planned(world=a.w.id, shape="recovery", question=q,
                   answers=[a.w.records[rec][state.field]],
                   stages=[[a.call("record", wrong)], [a.call("record", rec)]])


def _recovery_chain(a: Asker) -> Planned:
    item = a.pick(a.w.items)
    group = a.w.items[item][a.group_key]
    bad = typo(a.r, item, a.w.items, a.w.entity_names())
    q = a.phrase(("What is the {phrase} of the {gnoun} that {ref} belongs to?",),
                 phrase=a.d.g1.phrase, gnoun=a.d.group.noun, ref=a.item_ref(bad))
    return Planned(world=a.w.id, shape="recovery", question=q,
                   answers=[a.value(a.d.g1, a.w.groups[group][a.d.g1.field])],
                   stages=[[a.call("item_info", bad)], [a.call("item_info", item)],
                           [a.call("group_g1", group)]])


def _recovery_wrong_kind(a: Asker) -> Planned:
    """A record's id where the tool wants an item: the error says which tool reads the id."""
    num = a.d.n1
    rec = a.pick(a.w.records)
    item = a.w.records[rec][a.item_key]
    q = a.phrase(VALUE_Q, phrase=num.phrase, ref=rec)
    return Planned(world=a.w.id, shape="recovery", question=q,
                   answers=[a.value(num, a.w.items[item][num.field])],
                   stages=[[a.call("item_n1", rec)], [a.call("record", rec)],
                           [a.call("item_n1", item)]])


RECOVERY_KINDS: tuple[Builder, ...] = (
    _recovery_item("n1"), _recovery_record_number, _recovery_group, _recovery_chain,
    _recovery_item("n2"), _recovery_wrong_kind, _recovery_region)
