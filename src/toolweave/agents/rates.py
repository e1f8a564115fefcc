"""Rates read the way the question asks: "how many B does one unit of A buy?".

A rate tool answers "1 KVD = 2 NVM". Asked "how many units of Korvath's currency does one unit
of Norvenia's currency buy?", the 0.5B model looks up both currencies (NVM, KVD), asks for the
rate from the one the question names first, and answers "one unit of Korvath's currency buys
2 units of Norvenia's": the rate read backwards. The runtime reads it the question's way:
the question says which side is the one unit (the source: "one unit of Norvenia's
currency"), the run's results say which code that side is (``get_currency("Norvenia")`` gave
"NVM (Norvenian mark)"), and a rate given from the other side is turned round (1 NVM =
0.5 KVD). The answer turn reads that line and begins with the number.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from toolweave.agents.leads import written_amount
from toolweave.agents.worked import Worked
from toolweave.types import Observation, ToolCall, ToolSpec

_UNIT = r"[A-Za-z][\w.'-]*(?:\s+[A-Za-z][\w.'-]*){0,2}"
# "1 KVD = 2 NVM", "1 euro equals 1.08 US dollars"
_RATE = re.compile(rf"^\s*1\s+(?P<source>{_UNIT})\s*(?:=|equals|is worth)\s*"
                   rf"(?P<rate>\d+(?:\.\d+)?)\s+(?P<target>{_UNIT})\s*\.?\s*$", re.IGNORECASE)
_ONE = r"(?:one|1|a single|a|an)\s+(?:unit\s+of\s+)?"
_VERB = (r"(?:buy|get|fetch|equal|make|be\s+worth|exchange\s+for|convert\s+(?:in)?to|"
         r"trade\s+for)")
# the question's two sides: what one unit of (the source) buys how many of (the target)
_ASKS = [
    re.compile(rf"\bhow\s+many\s+(?:units\s+of\s+)?(?P<target>.+?)\s+(?:does|do|would|will|"
               rf"can|could)\s+{_ONE}(?P<source>.+?)\s+{_VERB}\b", re.IGNORECASE),
    re.compile(rf"\bhow\s+much\s+(?P<target>.+?)\s+(?:is|are)\s+{_ONE}(?P<source>.+?)\s+"
               r"worth\b", re.IGNORECASE),
    re.compile(rf"\b(?:what\s+is|what's)\s+{_ONE}(?P<source>.+?)\s+worth\s+in\s+"
               r"(?P<target>.+?)\s*\??$", re.IGNORECASE),
    re.compile(r"\bexchange\s+rate\s+from\s+(?P<source>.+?)\s+(?:to|into)\s+"
               r"(?P<target>.+?)\s*\??$", re.IGNORECASE),
]
_WORD = re.compile(r"[\w.'-]+")
MIN_VALUE_CHARS = 2  # a value that links a phrase to a result: not a stray letter
MAX_SHORT_WORDS = 3  # a phrase read for a unit's initials ("US dollars"): a name, not a clause


def rate_asked(question: str) -> tuple[str, str] | None:
    """(the source side, the target side) of a question that asks how many of one unit one
    unit of another buys; None for any other question."""
    for pattern in _ASKS:
        match = pattern.search(question)
        if match:
            return match["source"].strip(), match["target"].strip()
    return None


def read_rate(text: str) -> tuple[str, float, str, str] | None:
    """(source unit, rate, target unit, the rate as written) of a result "1 X = r Y"."""
    match = _RATE.match(text)
    if match is None:
        return None
    return match["source"], float(match["rate"]), match["target"], match["rate"]


def _read_results(made: Sequence[tuple[ToolCall, Observation]]
                  ) -> tuple[list[tuple[str, float, str, str]], list[tuple[ToolCall, Observation]]]:
    """The rates the successful results give (`read_rate`), and the other successful calls
    with their results: what links a question's phrase to a unit (`_names`)."""
    rates, evidence = [], []
    for call, obs in made:
        if obs.ok:
            rate = read_rate(obs.content.strip())
            if rate is None:
                evidence.append((call, obs))
            else:
                rates.append(rate)
    return rates, evidence


def rate_answer(question: str, made: Sequence[tuple[ToolCall, Observation]]) -> Worked | None:
    """The rate the question asks, read its way round from the run's rate results (a
    conversion line leading with the number), or None when the question asks no rate, no
    result gives one, or the results do not say which side is which unit."""
    sides = rate_asked(question)
    if sides is None:
        return None
    rates, evidence = _read_results(made)
    if not rates:
        return None
    source_side, target_side = sides
    turned: Worked | None = None
    for source, value, target, written in rates:
        from_source = _names(source_side, source, evidence) or _names(target_side, target,
                                                                       evidence)
        from_target = _names(source_side, target, evidence) or _names(target_side, source,
                                                                       evidence)
        if from_source and not from_target:
            return Worked("conversion", f"1 {source} = {written} {target}", written)
        if from_target and not from_source and value > 0 and turned is None:
            inverse = f"{1 / value:.4g}"
            turned = Worked("conversion", f"1 {target} = 1 / {written} {source} = {inverse} "
                            f"{source} (the rate 1 {source} = {written} {target}, turned round)",
                            inverse)
    return turned


def _names(phrase: str, unit: str, evidence: Iterable[tuple[ToolCall, Observation]]) -> bool:
    """Whether the question's ``phrase`` ("Norvenia's currency", "the currency used in
    Istrana", "US dollars") is the ``unit``: the phrase says it, or a result reached from a
    value the phrase says (through results that named the next call's value) says it, or a
    short phrase has its initials ("US dollars": USD)."""
    folded, unit_folded = phrase.casefold(), unit.casefold()
    if unit_folded in {w.casefold() for w in _WORD.findall(phrase)}:
        return True
    reached: list[str] = []  # results reached from the phrase's values, in the order found
    pending = list(evidence)
    known = [folded]
    grew = True
    while grew:
        grew = False
        for pair in list(pending):
            call, obs = pair
            values = [re.compile(rf"(?<!\w){re.escape(v.strip().casefold())}(?!\w)")
                      for v in call.arguments.values()
                      if isinstance(v, str) and len(v.strip()) >= MIN_VALUE_CHARS]
            if any(v.search(text) for v in values for text in known):
                reached.append(obs.content)
                known.append(obs.content.casefold())
                pending.remove(pair)
                grew = True
    if any(unit_folded in {w.casefold() for w in _WORD.findall(text)} for text in reached):
        return True
    words = _WORD.findall(phrase)
    return 0 < len(words) <= MAX_SHORT_WORDS and _initials(words, unit)


def _initials(words: list[str], unit: str) -> bool:
    """Whether ``unit`` is a code made of the phrase's letters in order, starting with its
    first letter, each word giving at least one ("US dollars": USD; "Korvathi dinar": KVD)."""
    if not (unit.isupper() and 2 <= len(unit) <= 5):
        return False
    code = unit.casefold()
    letters = "".join(w.casefold() for w in words)
    if not letters.startswith(code[0]):
        return False
    at, used = 0, set()
    bounds = [sum(len(w) for w in words[:i]) for i in range(len(words) + 1)]
    for ch in code:
        at = letters.find(ch, at)
        if at < 0:
            return False
        used.add(next(i for i in range(len(words)) if bounds[i] <= at < bounds[i + 1]))
        at += 1
    return len(used) == len(words)


# -- an amount asked in another unit: "how much does a hotel night in Kelmarsh cost in US
# dollars?", the price being "120 LQT per night" ---------------------------------------------

# the unit the question asks the amount in, at its end: "… in US dollars?", "… in EUR?"
_IN_UNIT = re.compile(r"\bin\s+(?P<unit>[A-Za-z][\w'-]*(?:\s+[A-Za-z][\w'-]*)?)\s*[?.!]?\s*$")
_AMOUNT_IN = re.compile(r"^\s*(?P<amount>\d+(?:\.\d+)?)\s+(?P<unit>[A-Z]{2,5})\b")
_CODE = re.compile(r"\b[A-Z]{3}\b")
_FROM_TO = (("from_", "to_"), ("source_", "target_"))


@dataclass(frozen=True)
class Conversion:
    """A converter tool to call from an amount's unit to the one the question asks."""

    tool: str
    unit: str  # the amount's unit, the converter's "from"
    targets: tuple[str, ...]  # the question's unit as the converter may take it


def asked_unit(question: str) -> str | None:
    """The unit a question asks its amount in ("US dollars"), or None."""
    match = _IN_UNIT.search(question.strip())
    return match["unit"] if match else None


def converters(specs: Iterable[ToolSpec]) -> list[ToolSpec]:
    """Tools that take a pair of "from"/"to" strings of one kind (``from_currency``,
    ``to_currency``): what converts one unit to another."""
    found = []
    for spec in specs:
        names = set(spec.parameters.get("properties", {}))
        if any(f"{a}{n[len(a):]}" in names and f"{b}{n[len(a):]}" in names
               for a, b in _FROM_TO for n in names if n.startswith(a)):
            found.append(spec)
    return found


def _amounts(evidence: Sequence[tuple[ToolCall, Observation]]) -> list[tuple[float, str, str]]:
    """(amount, unit code, as written) of each result of ``evidence`` (successful, no rate:
    `_read_results`) that begins with one."""
    return [(float(match["amount"]), match["unit"], match["amount"]) for _, obs in evidence
            if (match := _AMOUNT_IN.match(obs.content.strip()))]


def conversion_needed(question: str, made: Sequence[tuple[ToolCall, Observation]],
                      tools: Sequence[ToolSpec]) -> Conversion | None:
    """The converter call still missing for an amount the question asks in a unit the
    result is not in ("in US dollars", "120 LQT per night"), or None: no unit asked, no such
    amount, the amount's unit already converted (any rate read from or to it), or none of
    ``tools`` (the run's `converters`) names the asked unit's code in its docs."""
    unit_phrase = asked_unit(question)
    if unit_phrase is None or not tools:
        return None
    rates, evidence = _read_results(made)
    rated = {unit for rate in rates for unit in (rate[0], rate[2])}
    for _, unit, _ in _amounts(evidence):
        if unit in rated or _names(unit_phrase, unit, evidence):
            continue
        # the converter whose docs give the asked unit's code ("a code such as 'USD'")
        for tool in tools:
            offered = [c for c in dict.fromkeys(_CODE.findall(_docs(tool)))
                       if c != unit and _names(unit_phrase, c, evidence)]
            if offered:
                return Conversion(tool.name, unit, tuple(offered))
    return None


def _docs(spec: ToolSpec) -> str:
    params = spec.parameters.get("properties", {})
    return " ".join([spec.description, *(str(p.get("description", "")) for p in
                                         params.values())])


def amount_converted(question: str, made: Sequence[tuple[ToolCall, Observation]]
                     ) -> Worked | None:
    """An amount the question asks in another unit, converted by a rate the run read (either
    way round): "120 LQT × 0.75 = 90 USD", leading with the number; or None."""
    unit_phrase = asked_unit(question)
    if unit_phrase is None:
        return None
    rates, evidence = _read_results(made)
    for amount, unit, written in _amounts(evidence):
        for source, rate, target, rate_written in rates:
            if source == unit and _names(unit_phrase, target, evidence):
                value, how = amount * rate, f"{written} {unit} × {rate_written}"
                into = target
            elif target == unit and rate > 0 and _names(unit_phrase, source, evidence):
                value, how = amount / rate, f"{written} {unit} / {rate_written}"
                into = source
            else:
                continue
            text = written_amount(value)
            return Worked("conversion", f"{how} = {text} {into} (1 {source} = {rate_written} "
                          f"{target})", text)
    return None
