"""Numeric bounds (JSON Schema minimum/maximum) as GBNF, which llama.cpp's Python converter lacks.

Integers with bounds become an alternation of digit-class sequences (the classic "range to
regex" split: 0..130 → [0-9] | [1-9][0-9] | "1" [0-2][0-9] | "130"). For non-integers only a
lower bound of zero (no minus sign) can be expressed; other bounds are refused explicitly.
"""

from __future__ import annotations

from toolweave.errors import UnsupportedConstraintError

MAX_DIGITS = 16  # same cap as llama.cpp's integral-part rule
BOUND_KEYS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")


def has_bounds(schema: dict) -> bool:
    return any(k in schema for k in BOUND_KEYS) or "multipleOf" in schema


def integer_bounds(schema: dict) -> tuple[int | None, int | None]:
    """Inclusive integer bounds from the schema's (possibly exclusive) keywords."""
    import math

    lo = schema.get("minimum")
    hi = schema.get("maximum")
    lo = math.ceil(lo) if lo is not None else None
    hi = math.floor(hi) if hi is not None else None
    if (x := schema.get("exclusiveMinimum")) is not None and not isinstance(x, bool):
        lo = max(lo, math.floor(x) + 1) if lo is not None else math.floor(x) + 1
    if (x := schema.get("exclusiveMaximum")) is not None and not isinstance(x, bool):
        hi = min(hi, math.ceil(x) - 1) if hi is not None else math.ceil(x) - 1
    return lo, hi


def numeric_rule(schema: dict) -> str:
    """A GBNF rule body (without trailing space) for a bounded integer or number schema."""
    if "multipleOf" in schema:
        raise UnsupportedConstraintError("multipleOf cannot be enforced by a grammar")
    if schema.get("type") == "integer":
        lo, hi = integer_bounds(schema)
        if lo is not None and hi is not None and lo > hi:
            raise UnsupportedConstraintError(f"no integer satisfies {lo} <= x <= {hi}")
        return integer_rule(lo, hi)
    if schema.get("minimum") == 0 and set(schema) & set(BOUND_KEYS) == {"minimum"}:
        return '("0" | [1-9] [0-9]{0,15}) ("." [0-9]{1,16})? ([eE] [+]? [0-9]{1,4})?'
    raise UnsupportedConstraintError(
        "bounds on a non-integer number (other than minimum: 0) cannot be enforced by a grammar"
    )


def integer_rule(lo: int | None, hi: int | None) -> str:
    """GBNF alternatives for the integers in [lo, hi] (None = unbounded on that side)."""
    biggest = 10**MAX_DIGITS - 1
    parts: list[str] = []
    if lo is None or lo < 0:  # negative part: "-" then the magnitudes
        neg_hi = -lo if lo is not None else biggest
        neg_lo = max(1, -hi) if hi is not None and hi < 0 else 1
        if neg_lo <= neg_hi:
            parts.append('"-" (' + " | ".join(_range(neg_lo, neg_hi)) + ")")
    pos_lo = max(0, lo) if lo is not None else 0
    pos_hi = hi if hi is not None else biggest
    if pos_lo <= pos_hi:
        parts.extend(_range(pos_lo, pos_hi))
    return "(" + " | ".join(parts) + ")"


def _range(lo: int, hi: int) -> list[str]:
    """Sequences of digit classes covering exactly [lo, hi], 0 <= lo <= hi, no leading zeros."""
    out: list[str] = []
    while lo <= hi:
        # grow the block [lo, lo + 10^k - 1] as long as it is aligned and fits
        k = 0
        while lo % 10 ** (k + 1) == 0 and lo + 10 ** (k + 1) - 1 <= hi:
            k += 1
        top = lo + 10**k - 1
        if lo == 0 and k > 0:  # [0, 10^k-1] must not allow leading zeros: split by length
            out.append("[0-9]")
            out.extend(_block(10**n, 10 ** (n + 1) - 1) for n in range(1, k))
        else:
            out.append(_block(lo, top))
        lo = top + 1
    return out


def _block(lo: int, hi: int) -> str:
    """lo..hi where hi = lo + 10^k - 1 and lo is aligned: a fixed prefix then k free digits."""
    a, b = str(lo), str(hi)
    items = []
    for x, y in zip(a, b):
        items.append(f'"{x}"' if x == y else f"[{x}-{y}]")
    return " ".join(items)
