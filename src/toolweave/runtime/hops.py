"""The next hop of a chain: a result (or an error) said what kind of thing a value is, some tool
takes that kind, and no call has passed the value to it yet.

Asked "what is the bottle price of the wine in consignment CNS-46484?", a small model looks
the consignment up, gets ``{"wine": "Chateau Drianddis", …}``, and then calls the same lookup
again, or answers with the consignment's own numbers: it does not see that the wine the
record names is what the next tool takes. The record's field says what kind of thing its value
is (a ``wine``); an error may say it too ("'Chateau Tiasdourk' is a wine, not an estate": a
chain begun at its end); the tools' parameters say what kind of thing they take (``wine``,
"the full name of the wine"). The hops are the tools that take a kind so stated, with the
values not yet passed to them; of those, the ones whose docs speak most of what the question
asks (a wine's *bottle price*; the wine record that names the *cellar* the question goes on
to) are the hop.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from toolweave._identity_cache import MISSING, IdentityCache
from toolweave.runtime.grounding import (
    STOPWORDS,
    is_kind,
    name_words,
    question_kinds,
    record_fields,
)
from toolweave.runtime.said import stem
from toolweave.types import Observation, ToolCall, ToolSpec

_WORD = re.compile(r"[^\W\d_]{2,}")  # no possessive "s"
# a record's own name or id says nothing of what kind of thing its value is
_NO_KIND = frozenset({"name", "full", "title", "label"})
# what tool docs say of any tool: no sign of what one is about
_STOCK_WORDS = frozenset({"return", "measured", "detail", "number", "get", "fetch", "look",
                          "lookup", "up", "one", "given", "list", "every", "which", "record",
                          "value", "amount", "show", "give", "find", "retrieve", "per"})
# "'Skemchysh Static' is an album, not an imprint": the value, and its kind
_STATED_KIND = re.compile(r"""(['"])(?P<value>[^'"]{1,80})\1 is an? (?P<kind>[a-z][a-z ]{0,30}?)"""
                          r"""(?=[,;.:]| not\b| but\b|$)""")


_TOPICS: IdentityCache[frozenset[str]] = IdentityCache(4096)
_TOPIC_INDEX: IdentityCache[dict[str, list[int]]] = IdentityCache(64)


@dataclass(frozen=True)
class Hop:
    """The tools a chain may go on with, and the values a result named for them."""

    tools: tuple[str, ...]
    values: tuple[str, ...]
    # how much the hop's tools speak of the question (`relevance`)
    relevance: tuple[int, int] = field(default=(0, 0), compare=False)
    # the values are ones the question names and no call was given yet
    named: bool = field(default=False, compare=False)


def next_hop(specs: Sequence[ToolSpec], made: Sequence[tuple[ToolCall, Observation]],
             question: str, skip: Iterable[str] = ()) -> Hop | None:
    """The chain's next hop after the calls ``made``, or None when no value whose kind the
    calls stated (`_kinds_stated`) is taken by a tool of ``specs`` (but ``skip``) that was
    not yet called with it.

    The hop is the takers whose docs speak of the most words the question asks (`_relevance`),
    or, when none speaks of any, every taker of a kind a result or an error stated that the
    question does not ask for (a wing, asked "which wing is the ward in?", is the answer). A kind
    known only from the parameter a value was given to ("MV Nothzen" went to a
    ``vessel_name``) makes a hop only to a tool that speaks of the question: the vessel's
    record, for "the port of MV Nothzen", after a call that got its charter rate.

    A value the question names with its kind ("the one in consignment CNS-33465") that no
    call was given yet comes before all: asked which of two wines costs more, a small model
    prices the one named and then asks for that price again."""
    called = {(call.name, v.strip().casefold()) for call, _ in made
              for v in _strings(call.arguments)}
    skip = frozenset(skip)
    found: dict[str, list[str]] = {}  # tool → values, newest first
    relevance: dict[str, tuple[int, int]] = {}
    only_if_asked: set[str] = set()  # tools found through argument kinds only
    unused = _unused_question_values(question, made)
    stated_kinds = unused + list(_kinds_stated(made))
    said = _words(question)
    # the kinds a result stated a value of are behind the run: "the artist of the album in
    # pressing PR-1" asks no more of albums once the album is in
    asked = said - {stem(k) for _, kind, stated in stated_kinds if stated for k in kind}
    wanted: set[str] = set()  # tools found through a value of a kind the question asks for
    for value, kind, stated in stated_kinds:
        key = value.strip().casefold()
        for spec in specs:
            if spec.name in skip or (spec.name, key) in called:
                continue
            if not any(is_kind(name, about, kind) for name, about in _string_params(spec)):
                continue
            if spec.name not in found and not stated:
                only_if_asked.add(spec.name)
            elif stated:
                only_if_asked.discard(spec.name)
            if {stem(k) for k in kind} & said:
                wanted.add(spec.name)
            values = found.setdefault(spec.name, [])
            if value not in values:
                values.append(value)
            relevance[spec.name] = max(relevance.get(spec.name, (-1, 0)),
                                       _relevance(spec, kind, asked))
    candidates = {n for n in found if n not in only_if_asked or relevance[n][0] > 0}
    named = {v for v, _, _ in unused}
    if takers_of_named := {n for n in candidates if named.intersection(found[n])}:
        candidates = takers_of_named  # the question's own value first
        for n in candidates:
            found[n] = [v for v in found[n] if v in named]
    best = max((relevance[n] for n in candidates), default=(0, 0))
    if best[0] == 0:
        # no taker speaks of the question: a value of the kind it asks for ("which wing…")
        # is its answer, not a step; another value's takers are each a way on
        candidates -= wanted
    if not candidates:
        return None
    tools = tuple(n for n in found if n in candidates and (best[0] == 0 or relevance[n] == best))
    return Hop(tools, tuple(dict.fromkeys(v for n in tools for v in found[n])), best,
               named=bool(takers_of_named))


def _unused_question_values(question: str, made: Sequence[tuple[ToolCall, Observation]]
                            ) -> list[tuple[str, frozenset[str], bool]]:
    """(value, its kind's words, True) for the values ``question`` names with their kind
    (`grounding.question_kinds`: "ticket INC-11248") that no call was given, in any form."""
    given = [v.casefold() for call, _ in made for v in _strings(call.arguments)]
    return [(value, words, True) for value, kind in question_kinds(question)
            if (words := _kind_of(kind)) and not any(value.casefold() in g for g in given)]


def _relevance(spec: ToolSpec, kind: frozenset[str], asked: frozenset[str]) -> tuple[int, int]:
    """How much the docs of ``spec`` speak of what the question asks (``asked``), beside the
    kind of thing it takes: the words of the question they speak of, then (less) the fewer
    words of other things ("a room's floor area" is no hop to the room's *floor*; "details of
    a room (view, floor)" is)."""
    topic = topic_words(spec) - {stem(k) for k in kind}
    return len(topic & asked), -len(topic - asked)


def topic_words(spec: ToolSpec) -> frozenset[str]:
    """What the docs of ``spec`` say it is about, beyond what its parameters take and the
    stock words of any tool's docs ("returns", "number of"): a wine's *bottle price* (in
    EUR), a room's *floor area* (in m²)."""
    hit = _TOPICS.get((spec,))
    if hit is not MISSING:
        return hit  # type: ignore[return-value]
    params = " ".join(f"{name} {schema.get('description', '')}" if isinstance(schema, dict)
                      else name for name, schema in spec.parameters.get("properties",
                                                                         {}).items())
    return _TOPICS.put((spec,), (),
                       _words(spec.description or spec.name) - _words(params) - _STOCK_WORDS)


def speaking_of(specs: Sequence[ToolSpec], question: str) -> list[ToolSpec]:
    """The tools of ``specs`` whose docs speak of some word ``question`` asks
    (`topic_words`); read through an index kept per tool set, so that asking costs no walk
    over a thousand tools."""
    index = _TOPIC_INDEX.get(specs)
    if index is MISSING:
        built: dict[str, list[int]] = {}
        for i, spec in enumerate(specs):
            for word in topic_words(spec):
                built.setdefault(word, []).append(i)
        index = _TOPIC_INDEX.put(specs, (), built)
    hits = sorted({i for word in _words(question) for i in index.get(word, ())})  # type: ignore[union-attr]
    return [specs[i] for i in hits]


def relevance(spec: ToolSpec, question: str) -> tuple[int, int]:
    """How much the docs of ``spec`` speak of what ``question`` asks (`topic_words`): the
    words of the question they speak of, then (less) the fewer words of other things."""
    return _relevance(spec, frozenset(), _words(question))


def speaks_of(spec: ToolSpec, question: str) -> bool:
    """Whether the docs of ``spec`` speak of what ``question`` asks at least as much as of
    other things: "Returns an estate's vineyard size" of "the vineyard size of the estate…",
    not "Returns a plant's price (GBP)" of "the plant's greenhouse"."""
    matched, others = relevance(spec, question)
    return matched > 0 and matched >= -others


def asked_words(question: str) -> frozenset[str]:
    """The content words of ``question``, as `topic_words` are written (stemmed)."""
    return _words(question)


def _kinds_stated(made: Sequence[tuple[ToolCall, Observation]]
                  ) -> Iterator[tuple[str, frozenset[str], bool]]:
    """(value, its kind's words, whether a result or an error stated it) for the values of
    the calls ``made``, the newest call first: a JSON result's text field (``"wine": "Chateau
    Drianddis"``; not the record's own name, the value it was asked with), an error that
    says what a value is ("'Chateau Tiasdourk' is a wine"), and last the string arguments of
    successful calls, of the kind of the parameter they went to."""
    given: list[tuple[str, frozenset[str], bool]] = []
    for call, obs in reversed(made):
        if not obs.ok:
            for match in _STATED_KIND.finditer(obs.content):
                if kind := _kind_of(match["kind"].split()):
                    yield match["value"], kind, True
            continue
        own = {v.strip().casefold() for v in _strings(call.arguments)}
        if (record := record_fields(obs.content.strip())) is not None:
            for key, leaf, is_text in record:
                if is_text and (kind := _kind_of(key)) and leaf.strip().casefold() not in own:
                    yield leaf, kind, True
        given += [(v, kind, False) for name, v in call.arguments.items()
                  if isinstance(v, str) and (kind := _kind_of(name_words(name)))]
    yield from given


def _kind_of(words: Iterable[str]) -> frozenset[str]:
    """The kind of thing a field, parameter or error's words name, plurals made singular."""
    return frozenset(w.removesuffix("s") for w in words) - _NO_KIND


def _string_params(spec: ToolSpec) -> list[tuple[str, str]]:
    """The (name, description) of the string parameters of ``spec``."""
    props = spec.parameters.get("properties", {})
    return [(name, str(schema.get("description", ""))) for name, schema in props.items()
            if isinstance(schema, dict) and schema.get("type") == "string"]


def _strings(arguments: dict) -> list[str]:
    return [v for v in arguments.values() if isinstance(v, str)]


def _words(text: str) -> frozenset[str]:
    """The content words of ``text`` (snake_case and camelCase split), plurals stemmed."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", text).replace("_", " ")
    return frozenset(stem(w) for w in _WORD.findall(spaced.casefold()) if w not in STOPWORDS)
