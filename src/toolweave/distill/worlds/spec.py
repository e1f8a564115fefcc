"""The domain descriptions the worlds are built from (``domains.yaml``), as typed models.

A domain says, in its own words, what a world's four tables are (items, the groups they belong
to, the regions groups belong to, and id-keyed records naming an item) and what their fields
mean; `toolweave.distill.worlds.world` fills the tables and `engine` makes the tools.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

from pydantic import BaseModel, ConfigDict, Field, model_validator


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Num(_Strict):
    """A numeric field: its JSON name, how a question says it, its unit and range."""

    field: str
    phrase: str
    unit: str = Field(min_length=1)
    range: tuple[int, int]
    money: bool = False  # two decimals (a price, a weight), else a whole number

    def text(self, value: float) -> str:
        """The value as a tool prints it: ``"12.50 EUR"``, ``"7 days"``."""
        return f"{self.value_text(value)} {self.unit}"

    def value_text(self, value: float) -> str:
        return f"{value:.2f}" if self.money else str(int(value))


class Cat(_Strict):
    """A category field and its values."""

    field: str
    phrase: str
    values: list[str] = Field(min_length=2)


class Entity(_Strict):
    """A named table: its noun, how names are made (`names.Language.name`), the parameter
    names a tool may take it by, and how a question refers to one (``{name}`` in ``ref``)."""

    noun: str
    plural: str
    names: str
    params: list[str] = Field(min_length=1)
    ref: str = "{name}"


class RecordSpec(_Strict):
    """The id-keyed table: ids are ``PREFIX-NNNNN``; each names an item, a quantity, a state."""

    noun: str
    prefix: str
    params: list[str] = Field(min_length=1)
    qty: Num
    state: Cat


class Domain(_Strict):
    """One domain of worlds (see ``domains.yaml`` for the meaning of each part)."""

    key: str
    item: Entity
    kind: Cat
    n1: Num
    n2: Num
    group: Entity
    g1: Num
    region: Entity
    r1: Num
    record: RecordSpec

    @model_validator(mode="after")
    def _ranges(self) -> Domain:
        # every value of a field differs (a "highest" question has one answer)
        for num, count in ((self.n1, 12), (self.n2, 12), (self.g1, 5), (self.r1, 3)):
            lo, hi = num.range
            if hi - lo + 1 < count and not num.money:
                raise ValueError(f"domain {self.key}: {num.field} range {num.range} is too "
                                 f"small for {count} different values")
        return self


@cache
def load_domains() -> tuple[Domain, ...]:
    """Every domain of ``domains.yaml``, in file order."""
    import yaml

    text = resources.files(__package__).joinpath("domains.yaml").read_text(encoding="utf-8")
    domains = tuple(Domain.model_validate(d) for d in yaml.safe_load(text))
    keys = [d.key for d in domains]
    if len(set(keys)) != len(keys):
        raise ValueError("domains.yaml: a domain key is used twice")
    return domains
