"""Fan-out completion: a call about one item of a list in the question is made for every item.

"Which is the cheapest of the Zephyr Lamp, Tundra Backpack and Vesta Heater?", "the average
temperature across Istrana, Kelmarsh and Halvik", "how far apart are the offices of Felix
Brandt and Tomas Hallberg": a small model calls the tool for the first item, then answers, or
repeats that call. Once it has shown which tool and arguments one item needs, the others need
the same call with the item swapped: the runtime makes those calls (concurrently) and hands
the results back with the model's own.

A list is items joined by commas, "and", "or", or "than" ("warmer in Istrana than in
Farrowgate"). A call takes part when exactly one of its string arguments names one item and no
argument names another ("the distance between A and B" is one call, not two). A fan-out
carries on down a chain: a call that uses one member's result is made with the others'
(`propagated_siblings`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from functools import lru_cache

from toolweave.formats.base import loads
from toolweave.runtime.grounding import (
    POSSESSIVE,
    STOPWORDS,
    leaves,
    name_words,
    question_values,
)
from toolweave.types import Observation, ToolCall, ToolSpec

MAX_SIBLINGS = 7
MAX_ITEM_WORDS = 5
LEADING = frozenset({"the", "a", "an", "in", "at", "of", "on", "for", "to", "from", "that",
                     "those"})
_CLAUSE = re.compile(r"[:;?!()\"“”]|\.(?:\s|$)")
_SEPARATOR = re.compile(r"\s*,\s*(?:and\s+|or\s+)?|\s+(?:and|or|than|versus|vs\.?)\s+",
                        re.IGNORECASE)


def _words(text: str) -> list[str]:
    """The words of ``text``, without edge punctuation or a possessive ("Mira's" → "Mira")."""
    words = [POSSESSIVE.sub("", w.strip(".,'’`")) for w in text.split()]
    return [w for w in words if w]


def _is_stop(word: str) -> bool:
    return word.casefold() in STOPWORDS


def _lead(words: Sequence[str]) -> list[str]:
    """``words`` up to the first function word, after the articles and prepositions it starts
    with ("than in Farrowgate", "than the Harbor Mug"; "and what time…" is no item)."""
    while words and words[0].casefold() in LEADING:
        words = words[1:]
    out = []
    for w in words:
        if _is_stop(w):
            break
        out.append(w)
    return out


def question_lists(question: str) -> list[list[list[str]]]:
    """The lists in ``question``: per list, its parts as words (the first part still holds
    the words before the first item, the last the words after the last)."""
    return [[list(part) for part in parts] for parts in _question_lists(question)]


@lru_cache(maxsize=1024)
def _question_lists(question: str) -> tuple[tuple[tuple[str, ...], ...], ...]:
    # every step reads the same question's lists again: they are kept (as tuples, so that
    # no caller can change what the next one reads)
    lists = []
    for clause in _CLAUSE.split(question):
        parts = [tuple(_words(p)) for p in _SEPARATOR.split(clause)]
        parts = [p for p in parts if p]
        if len(parts) >= 2:
            lists.append(tuple(parts))
    return tuple(lists)


def _item(parts: Sequence[Sequence[str]], index: int, size: int, named: bool) -> str:
    """Part ``index`` of a list as an item of about ``size`` words: the first part's last
    words, a middle part whole, the last part's leading words; of a ``named`` item (a value
    written with a capital) only the name ("student Husbrym Bryxbysini": the student's name)."""
    words = parts[index]
    if index == 0:
        tail = words[-size:]
        if named and tail and not _capital(tail[0]):
            return ""  # "whose oven is hotter, A's or B's": "is hotter" is no name
        return " ".join(tail) if not any(_is_stop(w) for w in tail) else ""
    lead = _lead(words)
    if named:
        lead = _from_capital(lead)
    if index == len(parts) - 1:
        return " ".join(lead[:size + 2])
    return " ".join(lead) if len(lead) <= MAX_ITEM_WORDS else ""


def _from_capital(words: list[str]) -> list[str]:
    """``words`` from the first one written with a capital or a digit: the lower-case noun
    that says what a name names ("student", "ticket") is no part of it. All of ``words``
    when none is."""
    for i, word in enumerate(words):
        if _capital(word):
            return words[i:]
    return words


def _capital(word: str) -> bool:
    return word[:1].isupper() or word[:1].isdigit()


def _items(parts: Sequence[Sequence[str]], size: int, named: bool) -> list[str]:
    return [_item(parts, i, size, named) for i in range(len(parts))]


def _same_shape(item: str, value: str) -> bool:
    """Whether ``item`` is written like ``value``: capitalised alike, digits alike (so "back"
    in "to Esterlund and back" is no sibling of "Esterlund")."""
    return (item[:1].isupper() == value[:1].isupper()
            and any(c.isdigit() for c in item) == any(c.isdigit() for c in value))


def list_of(question: str, value: str) -> list[str] | None:
    """The items of the list in ``question`` that ``value`` is one of (as the question writes
    them; an unreadable part is ``""``), or None when ``value`` is no item of any list.

    Names that possess the same thing make a list too: in "a flight from Leila Haddad's
    office city to Clara Ostrova's office city" the office city is asked of both, so a
    lookup for one of them is one for the other."""
    items = _list_of(question, value)
    return None if items is None else list(items)


@lru_cache(maxsize=1024)
def has_lists(question: str) -> bool:
    """Whether ``question`` has a list or names that possess the same thing: else no value is
    an item of one, and no call about an item needs reading (most questions; read per step)."""
    return bool(_question_lists(question) or _possessors(question))


@lru_cache(maxsize=4096)
def _list_of(question: str, value: str) -> tuple[str, ...] | None:
    # asked of every string argument of every result at every step (fan-out siblings, a
    # fan-out's end): the same few (question, value) pairs again and again
    size = len(_words(value))
    folded = value.strip().casefold()
    named = value.strip()[:1].isupper()
    for parts in _question_lists(question):
        items = _items(parts, size, named)
        if folded in (i.casefold() for i in items):
            return tuple(items)
    for owners in _possessors(question):
        if folded in (o.casefold() for o in owners):
            return tuple(owners)
    return _shaped_items(question, value.strip())


# what may stand between two items written alike: a comma, "and", "or", "than", and up to two
# lower-case words after it ("than that of", "or in")
_GAP = re.compile(r"(?:\s*,\s*(?:(?:and|or)\s+)?|\s+(?:and|or|than|versus|vs\.?)\s+)"
                  r"(?:[a-z]+\s+){0,2}")


def _shaped_items(question: str, value: str) -> tuple[str, ...] | None:
    """The items written like ``value`` around it, when its own words hold what separates
    items: "the average stock level of Granias and the Clock, Drarkpesh and the Harbour and
    Ciarkwour and the Harbour" splits at every "and", but the title the tool took shows
    the shape of one item (a capitalised word, "and the", a capitalised word), and the
    question holds three of them one after another. None when ``value`` holds no separator
    or fewer than two such items stand together."""
    if not _SEPARATOR.search(value) or value.casefold() not in question.casefold():
        return None
    shape = r"\s+".join(r"[A-Z0-9][\w'’-]*" if _capital(word) else re.escape(word)
                        for word in value.split())
    found = list(re.finditer(rf"(?<![\w'’-]){shape}(?![\w'’-])", question))
    runs: list[list[str]] = []
    for before, match in zip([None, *found], found, strict=False):
        if before is not None and _GAP.fullmatch(question[before.end():match.start()]):
            runs[-1].append(match.group(0))
        else:
            runs.append([match.group(0)])
    folded = value.casefold()
    for run in runs:
        if len(run) >= 2 and folded in (item.casefold() for item in run):
            return tuple(run)
    return None


# a name (capitalised words) that possesses something, and the words of what it possesses
_POSSESSIVE_PHRASE = re.compile(
    r"((?:[A-Z][\w-]*\s+){0,3}[A-Z][\w-]*)['’]s\s+([a-z][\w-]*(?:\s+[a-z][\w-]*)?)")


@lru_cache(maxsize=1024)
def _possessors(question: str) -> tuple[tuple[str, ...], ...]:
    """The groups of two or more names the question asks the same thing of ("Leila Haddad's
    office city … Clara Ostrova's office city"), each in the question's order."""
    by_thing: dict[tuple[str, ...], list[str]] = {}
    for owner, thing in _POSSESSIVE_PHRASE.findall(question):
        words = owner.split()
        while words and _is_stop(words[0]):  # "From Leila Haddad's": the name only
            words = words[1:]
        key = tuple(w for w in thing.casefold().split() if w not in STOPWORDS)[:1]
        if words and key:
            by_thing.setdefault(key, []).append(" ".join(words))
    return tuple(tuple(dict.fromkeys(o)) for o in by_thing.values()
                 if len(dict.fromkeys(o)) >= 2)


def sibling_calls(question: str, call: ToolCall) -> list[ToolCall]:
    """The same call for the other items of the question's list that one of ``call``'s string
    arguments names; none when it names no item, or more than one."""
    if not has_lists(question):
        return []
    strings = {k: v for k, v in call.arguments.items() if isinstance(v, str) and v.strip()}
    for key, value in strings.items():
        items = list_of(question, value)
        if items is not None:
            folded = [i.casefold() for i in items]
            mine = folded.index(value.strip().casefold())
            others = {f for i, f in enumerate(folded) if i != mine and f}
            if any(v.strip().casefold() in others for k, v in strings.items() if k != key):
                return []  # the call already relates two items of the list
            siblings = [i for n, i in enumerate(items)
                        if n != mine and i and _same_shape(i, value.strip())]
            return [ToolCall(name=call.name, arguments={**call.arguments, key: item})
                    for item in dict.fromkeys(siblings)][:MAX_SIBLINGS]
    return []


# "the total … of all the albums in X", "the average … of each …": a question over every
# member of a list a result gives
_EVERY = re.compile(r"\b(?:all|each|every|total|sum|average|mean|combined|altogether)\b",
                    re.IGNORECASE)


def listed_siblings(question: str, call: ToolCall,
                    made: Iterable[tuple[ToolCall, Observation]]) -> list[ToolCall]:
    """The same call for the other members of a list an earlier result gave (the albums of
    an artist: ``["Klothzour Tides", "Zynddind Tides", …]``), when one of ``call``'s string
    arguments is a member and the question asks about all of them ("the total number of
    tracks of all the albums in …"); none otherwise."""
    if not _EVERY.search(question):
        return []
    strings = {k: v.strip() for k, v in call.arguments.items() if isinstance(v, str)}
    for _, obs in made:
        members = _string_list(obs) if obs.ok else []
        folded = [m.casefold() for m in members]
        for key, value in strings.items():
            if value.casefold() in folded:
                return [ToolCall(name=call.name, arguments={**call.arguments, key: m})
                        for m in members if m.casefold() != value.casefold()][:MAX_SIBLINGS]
    return []


def listed_results(question: str, made: Sequence[tuple[ToolCall, Observation]]
                   ) -> list[list[Observation]]:
    """Per tool that has answered for every member of a list an earlier result gave (the
    trains of a station), when the question asks about all of them (as `listed_siblings`),
    its results in the members' order; latest list first."""
    if not _EVERY.search(question):
        return []
    done = []
    for _, listing in made:
        members = _string_list(listing) if listing.ok else []
        if not members:
            continue
        folded = {m.casefold(): n for n, m in enumerate(members)}
        by_tool: dict[str, dict[int, Observation]] = {}
        for call, obs in made:
            if not obs.ok:
                continue
            for value in call.arguments.values():
                if isinstance(value, str) and (n := folded.get(value.strip().casefold())) \
                        is not None:
                    by_tool.setdefault(call.name, {})[n] = obs
        done += [[got[n] for n in range(len(members))] for got in by_tool.values()
                 if len(got) == len(members)]
    return done[::-1]


def _string_list(observation: Observation) -> list[str]:
    """The members of a result that is a JSON list of two or more strings, else none."""
    parsed = loads(observation.content.strip())
    if not isinstance(parsed, list) or len(parsed) < 2:
        return []
    if not all(isinstance(m, str) and m.strip() for m in parsed):
        return []
    return list(dict.fromkeys(m.strip() for m in parsed))


def result_fields(observation: Observation) -> dict[tuple[str, ...], str]:
    """A result's values by where they sit: a JSON result's leaves by key path, a text
    result whole (path ``()``)."""
    parsed = loads(observation.content.strip())
    if isinstance(parsed, (dict, list)):
        return {path: str(leaf) for path, leaf in leaves(parsed)
                if isinstance(leaf, (str, int, float)) and not isinstance(leaf, bool)}
    return {(): observation.content.strip()}


def propagated_siblings(call: ToolCall, groups: list[list[Observation]]) -> list[ToolCall]:
    """The same call for the other members of a fan-out whose results it uses: after the
    tickers of two companies were looked up together, the share price of one ticker is asked
    for the other too. ``groups``: the results of each fan-out made, one per member."""
    if not groups:
        return []
    strings = {k: v for k, v in call.arguments.items() if isinstance(v, str) and v.strip()}
    for group in groups:
        fields = [result_fields(o) for o in group]
        for key, value in strings.items():
            for mine, found in enumerate(fields):
                path = next((p for p, v in found.items()
                             if v.casefold() == value.strip().casefold()), None)
                if path is None:
                    continue
                others = [f[path] for n, f in enumerate(fields) if n != mine and path in f]
                folded = {o.casefold() for o in others}
                if any(v.strip().casefold() in folded for k, v in strings.items() if k != key):
                    return []  # the call already joins two members' results
                return [ToolCall(name=call.name, arguments={**call.arguments, key: other})
                        for other in dict.fromkeys(others)][:MAX_SIBLINGS]
    return []


def results_by_item(question: str, made: Iterable[tuple[ToolCall, Observation]]
                    ) -> list[dict[str, Observation]]:
    """Per tool and argument, the successful results of the calls that name an item of the
    question's list, by item (the latest per item), for those covering two items or more."""
    if not has_lists(question):
        return []
    groups: dict[tuple[str, str], dict[str, Observation]] = {}
    for call, obs in made:
        if not obs.ok:
            continue
        for key, value in call.arguments.items():
            if isinstance(value, str) and list_of(question, value) is not None:
                groups.setdefault((call.name, key), {})[value.strip()] = obs
    return [g for g in groups.values() if len(g) >= 2]


def whole_list_results(question: str, made: Iterable[tuple[ToolCall, Observation]]
                       ) -> list[list[Observation]]:
    """Per tool that has answered for every item of the question's list (a fan-out done),
    its results, latest fan-out first."""
    done = []
    for results in results_by_item(question, made):
        items = list_of(question, next(iter(results))) or []
        wanted = {i.casefold() for i in items if i}
        if wanted and wanted <= {i.casefold() for i in results}:
            done.append(list(results.values()))
    return done[::-1]


def anchored_call(question: str, spec: ToolSpec,
                  made: Iterable[tuple[ToolCall, Observation]]) -> ToolCall | None:
    """The call of a two-place tool (``from_city``, ``to_city``) from the one value the
    question names outside its list (its anchor) to the list's first item, or None.

    Asked "which is closer to Jorvale: Esterlund or Brennholm?" and sent to the distance
    tool, a small model measures Brennholm to Esterlund: the two items against each other.
    The anchor goes to the first parameter that shares a word with one it was already passed
    to in a call that succeeded (``city``, so ``from_city``): its kind is known only then."""
    required = spec.parameters.get("required", [])
    properties = spec.parameters.get("properties", {})
    if len(required) != 2 or any(properties.get(p, {}).get("type") != "string"
                                 for p in required):
        return None
    values = question_values(question)
    items = next((found for v in values if (found := list_of(question, v))), None)
    if not items or not items[0]:
        return None
    folded = {i.casefold() for i in items}
    anchors = [v for v in values if v.casefold() not in folded]
    if len(anchors) != 1:
        return None
    anchor = anchors[0].casefold()
    took = {name for call, obs in made if obs.ok
            for key, value in call.arguments.items()
            if isinstance(value, str) and value.strip().casefold() == anchor
            for name in name_words(key)}
    for n, param in enumerate(required):
        if name_words(param) & took:
            other = required[1 - n]
            return ToolCall(name=spec.name, arguments={param: anchors[0], other: items[0]})
    return None
