"""A bounded cache keyed by objects' identity: derived data of objects that are read again and
again unchanged (a tool set's turn grammar, a spec's grounded copy, a call's values).

Every agent step reads the same tool specs and the same earlier calls again. Keying their
derived data by content would cost a serialisation per step, more than the step itself; keying
by ``id()`` alone would be wrong once an object dies and its id is reused. So an entry keeps
its objects alive and a hit checks that they are the very same ones. The cache is bounded by
clearing it when full: entries are cheap to derive again, and a long-lived process (retrieval
over thousands of tools, a server) must not grow without end.

This module imports nothing from toolweave.
"""

from __future__ import annotations

import threading
from collections.abc import Hashable, Sequence
from typing import Generic, TypeVar

V = TypeVar("V")
MISSING = object()


class IdentityCache(Generic[V]):
    """Values derived from ``objects`` (by identity) and plain ``extra`` data (by value)."""

    def __init__(self, max_entries: int = 4096):
        self.max_entries = max_entries
        self._entries: dict[tuple, tuple[tuple[object, ...], V]] = {}
        self._lock = threading.Lock()

    def get(self, objects: Sequence[object], extra: Hashable = ()) -> V | object:
        """The value stored for these very objects and ``extra``, else `MISSING`.

        Matching ids are enough: an entry keeps its objects alive, and two live objects never
        share an id, so objects with an entry's ids are that entry's objects (no pairwise
        identity check, which cost as much as the look-up on every hit)."""
        entry = self._entries.get((tuple(map(id, objects)), extra))
        return MISSING if entry is None else entry[1]

    def put(self, objects: Sequence[object], extra: Hashable, value: V) -> V:
        """Store ``value`` for ``objects`` and ``extra``; return it."""
        with self._lock:
            if len(self._entries) >= self.max_entries:
                self._entries.clear()
            # the objects live as long as their entry, so no other object can take their ids
            self._entries[(tuple(map(id, objects)), extra)] = (tuple(objects), value)
        return value

    def __len__(self) -> int:
        return len(self._entries)
