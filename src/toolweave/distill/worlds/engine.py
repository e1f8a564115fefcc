"""The generic engine: a `World`'s tables become real toolweave `Tool`s.

Every world gets the same eight roles (an item's entry, its two numbers, a group's entry and
number, a region's number, a record, a group's items), named, documented and parametrized in
the world's own words. Arguments are typed and validated like any ``@tool``'s; names match
case-insensitively; a wrong name raises an error that says how to fix it ("unknown ward 'X';
did you mean 'Y'?", "'X' is a ward, not a patient", "admission ids start with 'ADM-'").

Calls sleep a deterministic latency (0.1-0.6 s, a function of the call) times the scale in
``$TOOLWEAVE_WORLD_LATENCY`` (default 0: no sleep), to stand in for real services.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import os
import re
import zlib
from collections.abc import Callable
from typing import Any

from toolweave.distill.worlds.names import articles, fold, resolve, snake, unknown
from toolweave.distill.worlds.world import DOC_STYLES, World
from toolweave.tools.tool import Tool

LATENCY_ENV = "TOOLWEAVE_WORLD_LATENCY"


def latency(tool_name: str, arguments: dict[str, Any]) -> float:
    """Seconds a call takes at scale 1: 0.1-0.6, the same for the same call in every process."""
    key = f"{tool_name}:{json.dumps(arguments, sort_keys=True)}"
    return 0.1 + 0.05 * (zlib.crc32(key.encode()) % 11)


def _scale() -> float:
    try:
        return float(os.environ.get(LATENCY_ENV, "0") or 0)
    except ValueError:
        return 0.0


class _Lookups:
    """Name resolution for one world, with errors that point at the right table or tool."""

    def __init__(self, world: World):
        self.w = world
        d = world.domain
        self.tables = {"item": (d.item.noun, world.items), "group": (d.group.noun, world.groups),
                       "region": (d.region.noun, world.regions)}

    def name(self, table: str, value: str) -> str:
        noun, entries = self.tables[table]
        folded = fold(value)
        for other, (other_noun, other_entries) in self.tables.items():
            if other != table and folded in {fold(n) for n in other_entries}:
                raise ValueError(f"{value!r} is a {other_noun}, not a {noun}; give a {noun}'s "
                                 "name")
        if value.strip().upper() in self.w.records:
            record = self.w.domain.record
            raise ValueError(f"{value!r} is a {record.noun} id, not a {noun}; look it up with "
                             f"{self.w.tool_names['record']} first")
        return resolve(noun, value, entries)

    def record(self, value: str) -> str:
        spec = self.w.domain.record
        key = value.strip().upper()
        if key in self.w.records:
            return key
        digits = "".join(re.findall(r"\d", key))
        fixed = f"{spec.prefix}-{digits}"
        if fixed in self.w.records:  # "10234", "#10234", "REF-10234": the number is right
            raise ValueError(f"unknown {spec.noun} id {value!r}: {spec.noun} ids start with "
                             f"'{spec.prefix}-'; did you mean {fixed!r}?")
        raise unknown(f"{spec.noun} id", value, self.w.records)


def _make_tool(name: str, param: str, description: str, param_doc: str,
               body: Callable[[str], Any]) -> Tool:
    """An async Tool ``name(param: str)`` answering with ``body(value)``."""

    async def call(**arguments: Any) -> Any:
        scale = _scale()
        if scale > 0:
            await asyncio.sleep(latency(name, arguments) * scale)
        return body(arguments[param])

    call.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [inspect.Parameter(param, inspect.Parameter.KEYWORD_ONLY, annotation=str)])
    call.__doc__ = articles(f"{description}\n\nArgs:\n    {param}: {param_doc}\n")
    call.__name__ = name
    return Tool.from_function(call, name=name)


def world_tools(world: World) -> list[Tool]:
    """The world's eight tools, in a fixed order."""
    d, names, params = world.domain, world.tool_names, world.params
    docs = DOC_STYLES[world.doc_style]
    look = _Lookups(world)
    group_key, region_key, item_key = snake(d.group.noun), snake(d.region.noun), snake(d.item.noun)
    examples = {"item": next(iter(world.items)), "group": next(iter(world.groups)),
                "region": next(iter(world.regions)), "record": next(iter(world.records))}

    def param_doc(table: str) -> str:
        if table == "record":
            return docs["record_param"].format(rnoun=d.record.noun, example=examples["record"])
        return docs["param"].format(noun=getattr(d, table).noun, example=examples[table])

    def field_doc(table: str, num: Any) -> str:
        return docs["field"].format(noun=getattr(d, table).noun, phrase=num.phrase,
                                    unit=num.unit)

    def item_info(value: str) -> dict[str, Any]:
        item = look.name("item", value)
        row = world.items[item]
        return {"name": item, d.kind.field: row[d.kind.field], group_key: row[group_key]}

    def item_number(num: Any) -> Callable[[str], str]:
        return lambda value: num.text(world.items[look.name("item", value)][num.field])

    def group_info(value: str) -> dict[str, Any]:
        group = look.name("group", value)
        return {"name": group, region_key: world.groups[group][region_key]}

    def group_number(value: str) -> str:
        return d.g1.text(world.groups[look.name("group", value)][d.g1.field])

    def region_number(value: str) -> str:
        return d.r1.text(world.regions[look.name("region", value)][d.r1.field])

    def record(value: str) -> dict[str, Any]:
        key = look.record(value)
        return {f"{snake(d.record.noun)}_id": key, **world.records[key]}

    def group_items(value: str) -> list[str]:
        group = look.name("group", value)
        return [name for name, row in world.items.items() if row[group_key] == group]

    return [
        _make_tool(names["item_info"], params["item"],
                   docs["info"].format(noun=d.item.noun, kind=d.kind.phrase, gnoun=d.group.noun),
                   param_doc("item"), item_info),
        _make_tool(names["item_n1"], params["item"], field_doc("item", d.n1), param_doc("item"),
                   item_number(d.n1)),
        _make_tool(names["item_n2"], params["item"], field_doc("item", d.n2), param_doc("item"),
                   item_number(d.n2)),
        _make_tool(names["group_info"], params["group"],
                   docs["group_info"].format(noun=d.group.noun, link=d.region.noun),
                   param_doc("group"), group_info),
        _make_tool(names["group_g1"], params["group"], field_doc("group", d.g1),
                   param_doc("group"), group_number),
        _make_tool(names["region_r1"], params["region"], field_doc("region", d.r1),
                   param_doc("region"), region_number),
        _make_tool(names["record"], params["record"],
                   docs["record"].format(rnoun=d.record.noun, item=item_key.replace("_", " "),
                                         qty=d.record.qty.phrase, state=d.record.state.phrase),
                   param_doc("record"), record),
        _make_tool(names["group_items"], params["group"],
                   docs["list"].format(noun=d.item.noun, plural=d.item.plural,
                                       gnoun=d.group.noun),
                   param_doc("group"), group_items),
    ]
