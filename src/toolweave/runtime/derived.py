"""What a run derives from its tool set, kept once per state of that set.

The tool docs a format renders into the system prompt, a turn's grammar, a plan grammar, a
format bound to the specs, the tools' words: each is built from the whole tool set, and each
step reads it again. Built per step, a step's cost would grow with the number of tools. So it is
built once per (tool set, its version, what) here, in the runtime that reads it, and dropped
when a tool is added (the registry's ``version`` changes) or when the tool set itself is gone.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING, Any, TypeVar
from weakref import WeakKeyDictionary, ref

if TYPE_CHECKING:
    from toolweave.tools.registry import ToolRegistry

T = TypeVar("T")

# per tool set: the version its entries were derived from, and the entries by what they are
_DERIVED: WeakKeyDictionary[ToolRegistry, tuple[int, dict[Hashable, Any]]] = WeakKeyDictionary()
_LOCK = threading.Lock()
# The tool set read last, its version and its entries: a run reads its own set several times
# a step, and a weak dictionary's look-up (a new weak reference each time) costs more than
# calling one that is kept. Replaced whole, so a reader sees one consistent state.
_last: tuple[ref, int, dict[Hashable, Any]] | None = None


def derived(tools: ToolRegistry, what: Hashable, build: Callable[[], T]) -> T:
    """``build()``, computed once per state of ``tools`` and kept under ``what``.

    Registered specs are treated as immutable: a spec changed in place after registration is
    not noticed (add a tool instead, which starts a new version)."""
    global _last
    last = _last
    if last is not None and last[0]() is tools and last[1] == tools.version:
        entries = last[2]
    else:
        entry = _DERIVED.get(tools)
        if entry is None or entry[0] != tools.version:
            with _LOCK:
                entry = _DERIVED.get(tools)
                if entry is None or entry[0] != tools.version:
                    entry = _DERIVED[tools] = (tools.version, {})
        entries = entry[1]
        _last = (ref(tools), entry[0], entries)
    try:
        return entries[what]
    except KeyError:
        value = entries[what] = build()
        return value
