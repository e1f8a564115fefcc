"""What the runtime works out from a run's results before the answer turn."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Worked:
    """A count or a calculation over the results, as the answer turn reads it.

    ``lead`` is what the answer begins with, when the question asks for it: the item an
    extreme picked ("which is cheapest" → "Esterlund"), the number a count found. Told
    "min(98, 158) = 98 (for Esterlund)", a small model still writes "Flying from Dunmere
    costs 98 USD" and names no destination; made to begin with it, it goes on from there.
    """

    kind: str  # "calculation", "count", "lookup" or "comparison"
    line: str
    lead: str = ""
