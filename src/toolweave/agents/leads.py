"""What an answer begins with, once the runtime has worked the answer out.

Told "954.69 * 7 = 6682.83", a small model still answers "The purchase cost is 954.69 USD";
told "max(1023.65, 2827.94) = 2827.94 (for Rymshaem-Station)", it names the other laptop. The
answer turn is made to begin with what was worked out (`Worked.lead`): the amount, when the
question asks for one; the item an extreme picked, when it asks which one; "Yes" or "No".
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

from toolweave.runtime.grounding import record_fields
from toolweave.tools.builtins.calculator import format_number
from toolweave.types import Observation, ToolCall

# "Which is cheapest / closer / the warmest", "Does A or B have the larger area?": a choice of
# an item, not an amount (nor a yes or no)
CHOICE = re.compile(r"\b(?:which|who|whose)\b|^\s*(?:is|are|was|were|does|do|did|has|have|had)"
                    r"\s+[^?]{1,80}?\s+or\s+", re.IGNORECASE)
# a question answered yes or no
YES_NO = re.compile(r"^\s*(?:is|are|was|were|does|do|did|can|could|has|have|had|will|would"
                    r"|should)\b", re.IGNORECASE)
_WHOSE = re.compile(r"\bwhose\b", re.IGNORECASE)
MAX_OWNERS = 3  # records walked back from an item to the question's own


def asks_amount(question: str) -> bool:
    """Whether ``question`` asks for the amount a calculation gives ("multiply the cost by
    7", "by how much …"), not for an item ("which is …") or a yes or no."""
    return not CHOICE.search(question) and not YES_NO.match(question)


def answer_item(question: str, item: str, made: Iterable[tuple[ToolCall, Observation]]) -> str:
    """What the answer to ``question`` begins with, given the ``item`` an extreme picked: the
    item when the question names it or asks which one ("which laptop…: the one in ticket
    INC-11248, or Prumhou-Pad?": the ticket's laptop); asked "whose oven is hotter, A's or
    B's?", the item of the question whose record (among the calls ``made``) led to the oven
    picked; else nothing."""
    if item.casefold() in question.casefold():
        return item
    if not CHOICE.search(question):
        return ""
    if not _WHOSE.search(question):
        return item
    made = list(made)
    owner = item
    for _ in range(MAX_OWNERS):
        owner = _owner_of(made, owner)
        if not owner:
            return ""
        if owner.casefold() in question.casefold():
            return owner
    return ""


def _owner_of(made: list[tuple[ToolCall, Observation]], value: str) -> str:
    """The value a call was made with whose record holds ``value`` in a field (the pastry
    whose record names the oven); ``""`` when none does."""
    folded = value.strip().casefold()
    for call, obs in made:
        fields = record_fields(obs.content.strip()) if obs.ok else None
        own = [v for v in call.arguments.values() if isinstance(v, str)]
        if fields and own and folded not in {v.strip().casefold() for v in own} and any(
                leaf.strip().casefold() == folded for _, leaf, _ in fields):
            return own[0].strip()
    return ""


def written_amount(value: float) -> str:
    """``value`` as an answer writes it: to two decimals ("57.91" for 57.9133333333), as
    the question's own numbers are; an amount that small rounding would lose, in full."""
    text = format_number(value)
    if re.fullmatch(r"-?\d+\.\d{3,}", text) and abs(value) >= 0.01:
        return str(Decimal(text).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))
    return text
