"""Grounded arguments: a call's string arguments come from the question or the run's results.

A small model fills an argument it does not have yet with what it remembers (the example in a
tool's docs, the first name an error listed) or with a description of the value ("Oskar
Lindgren's manager", "the city where Alice works"). Under a grammar whose string values are
spans of the question and values the results gave (an error's suggestions too), neither can be
written: to name the manager's city the model must first look up the manager. The same holds
for arithmetic: an expression may use only numbers that appeared in the run.

What is free text is left free: a parameter named like one (``query``, ``text``, ``message``…)
or marked ``"x-ground": false`` in its JSON schema. An ``expression`` parameter (or one marked
``"x-ground": "arithmetic"``) gets the arithmetic grammar over the run's numbers.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from operator import is_, itemgetter
from typing import Any

from toolweave._identity_cache import MISSING, IdentityCache
from toolweave.formats.base import loads
from toolweave.runtime import belongs
from toolweave.runtime.executor import NOT_RUN
from toolweave.runtime.shapes import Shapes, fits_form, is_quantity, shaped_values
from toolweave.types import Observation, ToolCall, ToolSpec

MAX_SPAN_WORDS = 5
MAX_VALUE_CHARS = 60
MAX_TERMS = 12  # numbers in one grounded expression
# Words that start or end no value: function words, and the verbs questions wrap names in.
_STOPWORDS = """a an the of in on at to for from by with and or is are was were be
been what which who whom whose how when where why do does did much many there this that these
those it its my your our their than then as into per each me you we they i if can could would
should will please tell give find show get right now currently today have has had been being
cost costs work works worked use used uses live lives located across between among
about over under after before via through within"""
STOPWORDS = frozenset(_STOPWORDS.split())
# Words that may sit inside a name ("Bank of America", "Rio de Janeiro").
INNER_WORDS = frozenset({"of", "the", "de", "la", "le", "du", "von", "van", "der", "del", "da",
                         "y", "&", "and"})
_FREE_TEXT_NAMES = """query q search text content body message prompt code sql
description comment note notes title subject instructions reason question answer
keywords keyword"""
FREE_TEXT_NAMES = frozenset(_FREE_TEXT_NAMES.split())
GENERIC_WORDS = frozenset({"id", "value", "key", "type", "data"})
ARITHMETIC_NAMES = frozenset({"expression", "expr", "formula", "calculation"})

# A question splits into segments at punctuation, conjunctions and possessives: no value
# crosses "X's" ("Oskar Lindgren's manager" offers "Oskar Lindgren", not the description).
_SEGMENT_BREAK = re.compile(
    r"[,;:?!()\[\]{}\"“”]|\s(?:and|or|but|than|then|versus|vs\.?)\s|['’]s\b|\.(?:\s|$)",
    re.IGNORECASE)
POSSESSIVE = re.compile(r"['’]s$")  # "Mira's" → "Mira"
# a number, not the digits of an identifier ("ORD-10231", "A4")
_NUMBER = re.compile(r"(?<![\w.])(?<!\w-)-?\d+(?:[.,]\d+)*(?![\w])")
# a list an error offers: "known: A, B", "valid values are: A, B", "one of: A, B"
_LISTED = re.compile(r"\b(?:known|valid|allowed|available|supported|expected|options|choices"
                     r"|one of)\b[^:;\n]{0,30}:\s*([^:;\n]+?)\s*(?:[;\n]|$)", re.IGNORECASE)
MAX_LISTED = 8
RESEMBLES = 0.75  # how alike a listed choice and a rejected value are spelt to be offered


def text_spans(text: str, max_words: int = MAX_SPAN_WORDS) -> list[str]:
    """The spans of ``text`` that could be a value: runs of up to ``max_words`` words within a
    segment, neither starting nor ending with a function word, with only name-joining words
    inside."""
    # every turn grounds the same question and results again: their spans are kept
    return list(_spans(text, max_words))


@lru_cache(maxsize=4096)
def _spans(text: str, max_words: int) -> tuple[str, ...]:
    spans: list[str] = []
    for segment in _SEGMENT_BREAK.split(text):
        words = [w.strip(".'’`") for w in segment.split()]
        words = [w for w in words if w]
        for i, first in enumerate(words):
            if first.casefold() in STOPWORDS:
                continue
            for j in range(i, min(len(words), i + max_words)):
                last = words[j].casefold()
                if j > i and last in STOPWORDS and last not in INNER_WORDS:
                    break  # a function word that cannot sit inside a name ends every span here
                if last not in STOPWORDS:
                    spans.append(" ".join(words[i:j + 1]))
    return tuple(dict.fromkeys(spans))


# a quote around a value, not an apostrophe ("Mira's or Leila's")
_QUOTED = re.compile(r"""(?<!\w)['‘]([^'’\n]{1,60})['’](?!\w)|["“]([^"”\n]{1,60})["”]""")
# inside a word: a file name, a path, an address ("notes.txt", "docs/a", "ann@x.org")
_IDENTIFIER_MARK = re.compile(r"\w[._/@]\w")


def question_values(text: str) -> list[str]:
    """The values a question (each line of a conversation) offers its calls' string
    arguments: what it names — proper names, identifiers, numbers, quoted text — when it
    names anything; else every span (`text_spans`).

    "What is the weekly sessions of Rynymvi Zythstiberg?" offers "Rynymvi Zythstiberg", not
    "weekly" or "sessions": a small model that took the wrong tool first fills the next
    one's parameter with the words that describe what is asked, or with a span that runs
    from a name into the verb after it ("Nixstei Rose belongs"). A question that names
    nothing ("what's the weather in paris?") keeps every span."""
    return list(_question_values(text))


@lru_cache(maxsize=1024)
def _question_values(text: str) -> tuple[str, ...]:
    out: list[str] = []
    for line in text.splitlines():
        named = _named_values(line) + [(a or b).strip() for a, b in _QUOTED.findall(line)]
        out += [v for v in named if v] if named else text_spans(line)
    return tuple(dict.fromkeys(out))


_ENDS_SENTENCE = re.compile(r"[.?!:][\"”')]*$")
_OPENS_ASIDE = "([{\"“'‘"
_QUOTES = "\"“'‘"
_ARTICLES = frozenset({"the", "a", "an"})
_EDGE = "\"“”'‘’()[]{}.,;:?!"
# a word after which no name goes on: punctuation, a possessive ("Steitock Meadow's or …")
_ENDS_NAME = re.compile(r"(?:[,;:?!)\]\"”]|['’]s?|\.)$")


# A pronoun and its verb, capitalised as "I" is or as a sentence opens: no name ("I'm")
_CONTRACTIONS = frozenset("""i'm i've i'll i'd i’m i’ve i’ll i’d we're we've we'll you're
you've you'll they're they've it'll that'll there's here's let's""".split())
# Words after a sentence's first word that make it a verb ("Pop on over", "Go to the …")
_PARTICLES = frozenset("""on over to into onto in out up down off back the a an me us my our
all every each this that these those""".split())


def _named_values(line: str) -> list[str]:
    """The names in ``line`` — runs of capitalised words, with the name-joining words between
    them ("Thiadirk and the Lantern", "Bank of America") — and its identifiers and numbers
    ("TR-39966", "notes.txt", "78669"), in order. A name that begins with an article is
    offered without it too, a list joined by "and" as its items, one of three words or more
    that opens a sentence without its first ("Student Fendfi Baespemly: …"); a question's
    own words before a name are no part of it ("Is Paris")."""
    out: list[str] = []
    run: list[str] = []
    inner: list[str] = []

    def close() -> None:
        while run and run[0].casefold() in STOPWORDS - _ARTICLES:
            del run[0]  # "Is Paris …", "Which Orbit Kettle …": a question's word, capitalised
        # a list ("Esterlund and Brennholm", "the Nimbus Pillow and the Lumen Desk") or a
        # title ("Riasheha and the Lantern")
        joined = " ".join(run)
        # a list offers its items, not itself: a small model passes the whole list as one
        # name ("Nimbus Pillow and the Lumen Desk") to every tool in turn
        names = (_items_of(joined) if len(run) > 2 else []) or [joined]
        if opened and len(run) > 2:
            names.append(" ".join(run[1:]))  # "Student Fendfi Baespemly: …"
        for name in dict.fromkeys(names):
            words = name.split()
            while words and words[0].casefold() in INNER_WORDS - _ARTICLES:
                words = words[1:]  # "… and of Giange Cake"
            name = " ".join(words)
            first, _, rest = name.partition(" ")
            if first.casefold() in _ARTICLES:
                # "The Faelzish Mask" and without; "the Lumen Desk" without
                out.extend(([name] if first[:1].isupper() else []) + [rest] if rest else [])
            elif first:
                out.append(name)
        run.clear()
        inner.clear()

    opened = opens = True  # whether the run began a sentence, and whether the next word does
    for raw in line.split():
        if raw[:1] in _OPENS_ASIDE:
            if raw[:1] in _QUOTES and len(run) == 1 and not inner and opened:
                run.clear()  # "Create 'notes.md' …": a verb before what it names
            close()  # "NVM (Norvenian mark)": two values
        word = POSSESSIVE.sub("", raw.strip(_EDGE)).strip(_EDGE)
        if any(c.isdigit() for c in word) or _IDENTIFIER_MARK.search(word):
            if len(run) == 1 and not inner and opened:
                run.clear()  # "Consignment CNS-53007 names a wine.": the id's kind, no name
            close()
            out.append(word)
        elif word[:1].isupper() and word.casefold() not in _CONTRACTIONS:
            opened = opened if run else opens
            run.extend(inner + [word])
            inner.clear()
        elif run and word.casefold() in INNER_WORDS:
            inner.append(word)
        else:
            if len(run) == 1 and opened and (inner[:1] or [word])[0].casefold() in _PARTICLES:
                run.clear()  # "Pop on over to …", "Go to …", "Find the …": a verb, no name
            close()
        opens = False
        if _ENDS_NAME.search(raw):
            close()
            opens = _ENDS_SENTENCE.search(raw) is not None
    close()
    return out


# words before a value that say how it is written, not what it is ("order number 4521")
_NO_KIND = GENERIC_WORDS | frozenset("""number no name named called code titled one two three
four five six seven eight nine ten first second third last next other another same some any
both either neither several few more most less least only just also even""".split())


@lru_cache(maxsize=1024)
def question_kinds(text: str) -> tuple[tuple[str, frozenset[str]], ...]:
    """The values of ``text`` (`question_values`) whose kind it states in the words just
    before them ("student Fendfi Baespemley", "purchase order PO-14006"), with the kind's
    words; not a value after a function word ("the price of Nixstei Rose")."""
    found: list[tuple[str, frozenset[str]]] = []
    for line in text.splitlines():
        for value in dict.fromkeys(_named_values(line)):
            before = re.search(rf"((?:\b[a-z][a-z-]*\s+){{1,2}})['‘\"“]?{re.escape(value)}"
                               r"(?![\w-])", line)
            if before is None:
                # "Booking BK-67914 names a route.": capitalised as it opens a sentence
                opening = re.search(rf"(?:^|[.?!]\s+)([A-Z][a-z-]+)\s+{re.escape(value)}"
                                    r"(?![\w-])", line)
                if opening and (kind := frozenset({opening.group(1).casefold()}) - _NO_KIND
                                - STOPWORDS):
                    found.append((value, kind))
                continue
            words = before.group(1).split()
            if words[-1] in STOPWORDS:
                continue
            kind = frozenset(w for w in words[-2:] if w not in STOPWORDS) - _NO_KIND
            if kind:
                found.append((value, kind))
    return tuple(found)


@lru_cache(maxsize=256)
def question_not_kinds(text: str) -> tuple[tuple[str, frozenset[str]], ...]:
    """The values of ``text`` (`question_values`) with the kinds it says they belong to
    (`belongs.not_kinds`): "Chateau Poushpel belongs to a cellar", "the screen that
    Noundkush Rising belongs to", "A Thexcyx Romance's stage"."""
    found: list[tuple[str, frozenset[str]]] = []
    for line in text.splitlines():
        for value in dict.fromkeys(_named_values(line)):
            if kinds := belongs.not_kinds(line, value):
                found.append((value, kinds))
    return tuple(found)


def is_kind(name: str, about: str, kinds: frozenset[str]) -> bool:
    """Whether a parameter's own name or description (not its tool's) says one of
    ``kinds`` (casefolded, without a plural s)."""
    return any(w.removesuffix("s") in kinds for w in name_words(name) | _about_words(about))


def takes_kind(spec: ToolSpec, name: str, about: str, kind: frozenset[str]) -> bool:
    """Whether parameter ``name`` of ``spec`` (described as ``about``) takes a value of
    ``kind``: the tool's name, the parameter's or its description says the kind's word
    ("lookup_student(student)", "query_purchase_order(po_number)")."""
    words = name_words(spec.name) | name_words(name) | _about_words(about)
    stems = {w.removesuffix("s") for w in words}
    return any(k.removesuffix("s") in stems for k in kind)


def _items_of(name: str) -> list[str]:
    """The items of a run of names joined by "and" ("Esterlund and Brennholm"). Before a
    lower-case article the join may be a title's ("Thiadirk and the Lantern"): a list only
    where each side has two capitalised words or more ("the Nimbus Pillow and the Lumen
    Desk")."""
    items: list[str] = []
    for part in re.split(r"\s+(?:and|&)\s+(?!(?:the|a|an)\s)", name):
        pieces = re.split(r"\s+and\s+(?=(?:the|a|an)\s)", part)
        if len(pieces) > 1 and all(sum(w[:1].isupper() for w in p.split()) >= 2
                                   for p in pieces):
            items += pieces
        else:
            items.append(part)
    return items if len(items) > 1 else []


def said_words(text: str) -> list[str]:
    """The words of ``text``, casefolded, without edge punctuation or a possessive."""
    return [POSSESSIVE.sub("", w.strip(".,?!:;'’\"").casefold()) for w in text.split()]


def leaves(value: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    """The leaves of a JSON value with the keys above each."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from leaves(item, path + (str(key),))
    elif isinstance(value, list):
        for item in value:
            yield from leaves(item, path)
    else:
        yield path, value


@lru_cache(maxsize=8192)
def name_words(name: str) -> frozenset[str]:
    """The words of a parameter or field name (``office_city``, ``officeCity``: office, city),
    without the ones every kind of value shares (id, value)."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name)
    return frozenset(w for w in re.split(r"[\W_]+", spaced.casefold()) if w) - GENERIC_WORDS


@dataclass(frozen=True)
class RunValues:
    """What a run's string arguments may be: ``loose`` values fit any parameter (the question's
    spans, short text results, an error's suggestions); a JSON result's values are typed by
    their field (``fields``: the field's name words and the value).

    A parameter takes the values of the fields whose names share a word with its own name
    (``city`` ← ``office_city``) or with the question ("the manager of …" ← ``manager``), when
    any field fits it; else every field's value. So after looking up an employee, the next call
    can name the employee's city to a ``city`` parameter, and not hop from manager to manager
    through a ``name`` parameter unless the question asks about managers — and then only as
    many hops as the question says "manager": a field the question names is followed as
    often as it names it ("the manager of Oskar's manager": twice), then its values are no
    longer offered (a small model otherwise climbs to the top of the chart).
    """

    loose: tuple[str, ...] = ()
    fields: tuple[tuple[frozenset[str], str], ...] = ()
    question_words: frozenset[str] = frozenset()
    # values a tool rejected, by the name words of the parameter it rejected them for
    rejected: tuple[tuple[frozenset[str], str], ...] = ()
    # the fields the question names that were followed as often as it names them
    followed: frozenset[frozenset[str]] = frozenset()
    # the question's values whose kind it states ("student Fendfi Baespemley"), with the kind
    kinds: tuple[tuple[str, frozenset[str]], ...] = ()
    # the question's values with the kinds it says they belong to, and so are not
    # ("Chateau Poushpel belongs to a cellar": no cellar)
    not_kinds: tuple[tuple[str, frozenset[str]], ...] = ()
    # for_parameter's answers by parameter name: a turn asks for "city" once per tool
    _memo: dict[str, tuple[str, ...]] = field(default_factory=dict, compare=False, repr=False)
    # whether ``loose`` holds each value once already (as `collect_values` builds it)
    _loose_once: bool = field(default=False, compare=False, repr=False)

    def __bool__(self) -> bool:
        return bool(self.loose or self.fields)

    def __iter__(self) -> Iterator[str]:
        """Every value, whatever the parameter."""
        return iter(dict.fromkeys(self.loose + tuple(v for _, v in self.fields)))

    def without(self, spent: Iterable[str]) -> RunValues:
        """These values but ``spent`` ones, loose or in a field (a place the run has just
        entered is where the next calls act, not one of their arguments)."""
        spent = frozenset(spent)
        return replace(self, loose=tuple(v for v in self.loose if v not in spent),
                       fields=tuple((k, v) for k, v in self.fields if v not in spent),
                       _memo={})

    def fits(self, name: str) -> bool:
        """Whether some result's field fits a parameter called ``name`` by its name."""
        words = name_words(name)
        return any(k & words for k, _ in self.fields)

    def for_parameter(self, name: str, about: str = "") -> list[str]:
        """The values a parameter called ``name`` (described as ``about``) may take: not one
        a tool rejected for a parameter of the same kind ("unknown city 'Felix Brandt'" rules
        Felix Brandt out as any city: as ``origin``, and as a ``destination`` described as
        "the arrival city")."""
        return list(self.kept_for(name, about))

    def kept_for(self, name: str, about: str = "") -> tuple[str, ...]:
        """`for_parameter`, worked out once per parameter kind (a shared tuple)."""
        key = name + "\0" + about
        if (memo := self._memo.get(key)) is None:
            memo = self._memo[key] = tuple(self._for_parameter(name, about))
        return memo

    def _for_parameter(self, name: str, about: str) -> Sequence[str]:
        if not self.fields and not self.rejected:  # nothing typed, nothing ruled out
            return self.loose if self._loose_once else list(dict.fromkeys(self.loose))
        words = name_words(name)
        typed = [v for k, v in self.fields if k & words]
        if typed:
            typed += [v for k, v in self.fields if k & self.question_words]
        else:
            typed = [v for _, v in self.fields]
        # a rejected name rules out its parts and what contains it too ("Alice Moreau":
        # "Alice", "Moreau"), or a small model tries each of them in turn
        kind = words | _about_words(about) if about else words
        ruled_out = [_word_set(v) for k, v in self.rejected if k & kind]
        unfit = self._unfit_fields(ruled_out) | self.followed
        kept = set(typed)
        values = dict.fromkeys(self.loose + tuple(
            v for k, v in self.fields if k not in unfit and v in kept))
        if not ruled_out:
            return list(values)
        return [v for v in values
                if not any(w <= r or r <= w for r in ruled_out for w in [_word_set(v)])]

    def _unfit_fields(self, ruled_out: list[frozenset[str]]) -> set[frozenset[str]]:
        """The fields that hold values of another kind: one that held a value ruled out
        ("unknown city 'Oskar Lindgren'" rules out every employee's ``name`` as a city), and
        one that holds a value such a field held (the ``manager`` named Renata, once Renata's
        own entry came back with her ``name``)."""
        unfit: set[frozenset[str]] = set()
        other_kind = set(ruled_out)
        while True:
            more = {k for k, v in self.fields if k not in unfit and _word_set(v) in other_kind}
            if not more:
                return unfit
            unfit |= more
            other_kind |= {_word_set(v) for k, v in self.fields if k in more}


@lru_cache(maxsize=4096)
def _about_words(description: str) -> frozenset[str]:
    """The words of a parameter description's first clause, where it says what the value is
    ("the city the flight leaves from"; not the asides after it: "(not a city: …)")."""
    head = re.split(r"[(;,.:]", description, maxsplit=1)[0]
    return frozenset(w for w in re.findall(r"[^\W\d_]+", head.casefold())
                     if w not in STOPWORDS) - GENERIC_WORDS


# "unknown city 'X'", "'X' is a country, not a city": the kind of value an error rejects
_REJECTED_KIND = re.compile(r"\b(?:unknown|invalid|no such|not an?)\s+([a-z]+)", re.IGNORECASE)


def _word_set(value: str) -> frozenset[str]:
    return frozenset(value.casefold().split())


def collect_values(made: Iterable[tuple[ToolCall, Observation]], question: str = "", *,
                   results_only: bool = False) -> RunValues:
    """The `RunValues` of ``question`` and the calls ``made`` so far: a JSON result's short
    strings and numbers by field, the spans of a text result, what a failed call's error
    quotes ("did you mean 'Lunetta'?") or lists in short, and the arguments it rejected.
    ``results_only``: the values successful results gave, not the question's spans nor what
    errors quote (the question still types the fields; rejections still rule values out)."""
    made = list(made)
    made_loose, fields, rejected = _made_values(made, results_only)
    loose = made_loose if results_only else question_values(question) + list(made_loose)
    fields = tuple(dict.fromkeys(fields))
    return _run_values(question, results_only, tuple(dict.fromkeys(loose)), fields,
                       tuple(rejected), _followed_in(made, fields, question))


def _followed_in(made: Sequence[tuple[ToolCall, Observation]],
                 fields: tuple[tuple[frozenset[str], str], ...],
                 question: str) -> frozenset[frozenset[str]]:
    """`_followed` of ``made``; only a JSON result's field can be followed."""
    if not fields:
        return frozenset()
    said, question_words = _question_words(question)
    return _followed(list(made), said, question_words)


def _run_values(question: str, results_only: bool, loose: tuple[str, ...],
                fields: tuple[tuple[frozenset[str], str], ...],
                rejected: tuple[tuple[frozenset[str], str], ...],
                followed: frozenset[frozenset[str]]) -> RunValues:
    """`collect_values`, given the run's values (each once), rejections and fields followed."""
    return RunValues(loose, fields, _question_words(question)[1], rejected, followed,
                     () if results_only else question_kinds(question),
                     () if results_only else question_not_kinds(question), _loose_once=True)


_CALL, _OBSERVATION = itemgetter(0), itemgetter(1)


class RunValuesReader:
    """`collect_values` of one run's calls as they grow: every turn reads them all again, so
    the calls read at the last turn are not read again while they are still the run's first
    ones (a call whose observation was replaced, a stateful call run again, is read anew).

    `key` says what the values are made of without making them: a turn whose grammar is
    kept by it needs no values at all."""

    def __init__(self, question: str = "", *, results_only: bool = False):
        self.question, self.results_only = question, results_only
        self._start()

    def _start(self) -> None:
        self._read: list[tuple[ToolCall, Observation]] = []  # the calls read, as given
        # the values read so far, once each and in the order first read
        self._loose: dict[str, None] = (
            {} if self.results_only else dict.fromkeys(question_values(self.question)))
        self._fields: dict[tuple[frozenset[str], str], None] = {}
        self._rejected: tuple[tuple[frozenset[str], str], ...] = ()
        self._key: tuple | None = None
        self._values: RunValues | None = None

    def key(self, made: Sequence[tuple[ToolCall, Observation]]) -> tuple:
        """What `collect_values(made, question, results_only=…)` is made of: equal keys,
        equal values."""
        read = len(self._read)
        # the very same (call, observation) pairs first (a run's guard keeps them), else
        # the same calls and observations
        if read > len(made) or not (all(map(is_, self._read, made)) or (
                all(map(is_, map(_CALL, self._read), map(_CALL, made)))
                and all(map(is_, map(_OBSERVATION, self._read), map(_OBSERVATION, made))))):
            self._start()
            read = 0
        elif read == len(made) and self._key is not None:
            return self._key
        for call, obs in made[read:]:
            loose, fields, rejected = _read_call(call, obs, self.results_only)
            self._loose.update(dict.fromkeys(loose))  # a new value goes last, as in order
            if fields:
                self._fields.update(dict.fromkeys(fields))
            if rejected:
                self._rejected += tuple(rejected)
        self._read = list(made)
        fields = tuple(self._fields)
        self._key = (self.question, self.results_only, tuple(self._loose), fields,
                     self._rejected, _followed_in(made, fields, self.question))
        self._values = None
        return self._key

    @property
    def found(self) -> bool:
        """Whether the calls last read (and the question) gave any value."""
        return bool(self._loose or self._fields)

    def __call__(self, made: Sequence[tuple[ToolCall, Observation]]) -> RunValues:
        """`collect_values(made, question, results_only=…)`."""
        key = self.key(made)
        if self._values is None:
            self._values = _run_values(*key)
        return self._values


@lru_cache(maxsize=256)
def _question_words(question: str) -> tuple[list[str], frozenset[str]]:
    """The question's words (`said_words`) and those that can name a field; read every turn."""
    said = said_words(question)
    return said, frozenset(said) - STOPWORDS - GENERIC_WORDS


def _made_values(made: list[tuple[ToolCall, Observation]], results_only: bool
                 ) -> tuple[tuple[str, ...], tuple[tuple[frozenset[str], str], ...],
                            tuple[tuple[frozenset[str], str], ...]]:
    """What the calls ``made`` add to `collect_values` (loose values, fields, rejected
    arguments), in order. A run's calls grow by a few a turn: the values of all but the last
    turn's are found kept, and only the new calls are read."""
    objects = [x for pair in made for x in pair]
    hit = _MADE_VALUES.get(objects, results_only)
    if hit is not MISSING:
        return hit  # type: ignore[return-value]
    start, loose, fields, rejected = 0, (), (), ()
    for start in range(len(made) - 1, 0, -1):  # the longest prefix kept, latest first
        if (kept := _MADE_VALUES.get(objects[:2 * start], results_only)) is not MISSING:
            loose, fields, rejected = kept  # type: ignore[misc]
            break
    else:
        start = 0
    for call, obs in made[start:]:
        more_loose, more_fields, more_rejected = _call_values(call, obs, results_only)
        loose += tuple(more_loose)
        fields += tuple(more_fields)
        rejected += tuple(more_rejected)
    return _MADE_VALUES.put(objects, results_only, (loose, fields, rejected))


def _call_values(call: ToolCall, obs: Observation, results_only: bool
                 ) -> tuple[list[str], list[tuple[frozenset[str], str]],
                            list[tuple[frozenset[str], str]]]:
    """What one call and its observation add to `collect_values` (loose values, fields,
    rejected arguments); read once per call, as every later turn reads the run's calls again."""
    hit = _CALL_VALUES.get((call, obs), results_only)
    if hit is not MISSING:
        return hit  # type: ignore[return-value]
    return _CALL_VALUES.put((call, obs), results_only, _read_call(call, obs, results_only))


def _read_call(call: ToolCall, obs: Observation, results_only: bool
               ) -> tuple[list[str], list[tuple[frozenset[str], str]],
                          list[tuple[frozenset[str], str]]]:
    """`_call_values`, read afresh."""
    loose: list[str] = []
    fields: list[tuple[frozenset[str], str]] = []
    rejected: list[tuple[frozenset[str], str]] = []
    text = obs.content.strip()
    if not obs.ok:
        if obs.error not in NOT_RUN:
            # keyed by the parameter's name and the kind the error names ("unknown city")
            kinds = frozenset(m.casefold() for m in _REJECTED_KIND.findall(obs.content))
            rejected += [(name_words(k) | kinds, v) for k, v in rejected_arguments(call, obs)]
        if not results_only:
            given = [v for _, v in rejected_arguments(call, obs)]
            loose += quoted_values(obs.content) + [
                c for c in listed_choices(text) if any(resembles(c, v) for v in given)]
    elif (record := record_fields(text)) is not None:
        fields += [(key, value) for key, value, is_text in record
                   if not is_text or 0 < len(value) <= MAX_VALUE_CHARS]
    else:
        if 0 < len(text) <= MAX_VALUE_CHARS and "\n" not in text:
            loose.append(text)
        if not is_quantity(text):  # "37 cm" is one amount: "cm" alone is no value
            loose += text_spans(text[:2000])
    return loose, fields, rejected


# Bounded by entries that each keep a run's calls and results alive (a prefix's values are
# O(calls)): a few runs' worth, enough for the runs of one process that interleave.
_CALL_VALUES: IdentityCache[tuple] = IdentityCache(1024)
_MADE_VALUES: IdentityCache[tuple] = IdentityCache(128)


@lru_cache(maxsize=512)
def record_fields(text: str) -> tuple[tuple[frozenset[str], str, bool], ...] | None:
    """A JSON result's leaves as (its field's name words, the value as text, whether it was
    text), strings and numbers only; None when ``text`` is no JSON object or list."""
    # every turn reads the run's results again (values, followed relations): parsed once
    parsed = loads(text)
    if not isinstance(parsed, (dict, list)):
        return None
    return tuple((name_words(" ".join(path)), leaf if isinstance(leaf, str) else str(leaf),
                  isinstance(leaf, str))
                 for path, leaf in leaves(parsed)
                 if isinstance(leaf, str)
                 or (isinstance(leaf, (int, float)) and not isinstance(leaf, bool)))


def _followed(made: list[tuple[ToolCall, Observation]], said: list[str],
              question_words: frozenset[str]) -> frozenset[frozenset[str]]:
    """The fields of a relation the question names ("manager": an employee's record names
    another employee) that the run followed — passed a value of back to the tool that gave
    it — as many times as the question names it."""
    passed: dict[frozenset[str], set[str]] = {}
    for n, (call, obs) in enumerate(made):
        if not obs.ok or (record := record_fields(obs.content.strip())) is None:
            continue
        later = {v.strip().casefold() for c, _ in made[n + 1:] if c.name == call.name
                 for v in c.arguments.values() if isinstance(v, str)}
        for key, leaf, is_text in record:
            if is_text and key & question_words and leaf.casefold() in later:
                passed.setdefault(key, set()).add(leaf.casefold())
    return frozenset(key for key, values in passed.items()
                     if len(values) >= max(said.count(w) for w in key & question_words))


def observation_values(observations: Iterable[Observation]) -> list[str]:
    """Every value the observations give (`collect_values`), whatever the parameter."""
    return list(collect_values((ToolCall(name=o.tool), o) for o in observations))


def rejected_arguments(call: ToolCall, obs: Observation) -> list[tuple[str, str]]:
    """The string arguments (parameter, value) of ``call`` that its failed result quotes
    back ("unknown city 'Leila Haddad'"): the values the tool rejected."""
    if obs.ok or obs.error in NOT_RUN:
        return []
    quoted = {q.casefold() for q in quoted_values(obs.content)}
    return [(k, v) for k, v in call.arguments.items()
            if isinstance(v, str) and v.strip().casefold() in quoted]


def quoted_values(text: str, max_chars: int = MAX_VALUE_CHARS) -> list[str]:
    """The values ``text`` quotes ('x' or "x"), up to ``max_chars`` each, in order."""
    pattern = rf"'([^'\n]{{1,{max_chars}}})'|\"([^\"\n]{{1,{max_chars}}})\""
    return [a or b for a, b in re.findall(pattern, text)]


def listed_choices(error: str, most: int = MAX_LISTED) -> list[str]:
    """The choices an error lists after a colon ("known: VLC, NVM, USD"), when it lists a few:
    a long list is a catalogue, from which a small model copies the first entry."""
    choices: list[str] = []
    for listed in _LISTED.findall(error):
        items = [i.strip(" .'\"") for i in listed.split(",")]
        if 2 <= len(items) <= most and all(0 < len(i) <= 30 for i in items):
            choices += items
    return choices


def resembles(choice: str, value: str) -> bool:
    """Whether an error's listed ``choice`` may be what ``value`` meant: spelt almost alike
    ("Lunetta" for "Lunnetta") or abbreviated (`abbreviates`: "USD" for "US dollars"). A
    choice unlike the value is the catalogue of another kind ("unknown floor 'Dalltyl Suite';
    known: Gadraskex Floor, …" for a room's name): a small model offered it picks one."""
    a, b = choice.casefold(), value.casefold()
    return difflib.SequenceMatcher(None, a, b).ratio() >= RESEMBLES or abbreviates(choice, value)


def abbreviates(short: str, value: str) -> bool:
    """Whether ``short`` is ``value`` abbreviated: the leading letters of each of its words in
    turn ("USD" for "US dollars", "NY" for "New York"), or a leading part of a one-word value
    ("EUR" for "euros"); never ``value`` itself."""
    short, words = short.casefold(), value.casefold().split()
    if not short.isalnum() or short == "".join(words) or not words:
        return False

    def spells(rest: str, words: list[str]) -> bool:
        if not words:
            return not rest
        word = words[0]
        return any(rest.startswith(word[:n]) and spells(rest[n:], words[1:])
                   for n in range(1, min(len(word), len(rest)) + 1))

    return len(short) >= 2 and spells(short, words)


def numbers_in(texts: Iterable[str]) -> list[str]:
    """The numbers written in ``texts`` (thousands separators dropped), in order, once each."""
    found: list[str] = []
    for text in texts:
        found += _numbers_of(text)
    return list(dict.fromkeys(found))


@lru_cache(maxsize=1024)
def _numbers_of(text: str) -> tuple[str, ...]:
    # every turn reads the question and the run's results again
    return tuple(n.replace(",", "") for n in _NUMBER.findall(text))


def _number_group(numbers: Iterable[str], extra: Iterable[str] = ()) -> str:
    allowed = sorted(set(numbers) | set(extra), key=lambda n: (-len(n), n))
    # plain groups: llama.cpp's regex converter has no (?:…); and "\." inside its literals is
    # no GBNF escape: a class says the same
    return "(" + "|".join(n.replace(".", "[.]").replace("-", "[-]") for n in allowed) + ")"


def arithmetic_pattern(numbers: Iterable[str], extra: Iterable[str] = ("2",),
                       max_terms: int = 0) -> str:
    """A regex for expressions over ``numbers`` and ``extra`` (2, for "twice" and "and
    back"), with + - * / and parentheses, min/max/round/abs, of at most ``max_terms``
    numbers (default: one per distinct number): a number can only be one seen, never a new
    one, and not used over and over (a small model pads expressions with invented factors,
    ``* 100``, or multiplies a result by itself)."""
    numbers = list(dict.fromkeys(numbers))
    terms = min(MAX_TERMS, max(1, max_terms or len(numbers)))
    number = _number_group(numbers, extra)
    term = rf"((min|max|round|abs)?\()*{number}\)*"
    return rf"^{term}( ?[-+*/,] ?{term}){{0,{terms - 1}}}$"


def pair_pattern(numbers: Iterable[str], operator: str) -> str:
    """A regex for ``a <operator> b`` over two different ``numbers``: asked for "the quantity
    of the order times the unit price of its pastry", a small model wrote ``5.62 + 5.62``
    where ``47 * 5.62`` was meant."""
    numbers = list(dict.fromkeys(numbers))
    op = f"[{operator}]"  # a class: llama.cpp's regex converter takes no "\*"
    pairs = [f"{_number_group([a])} ?{op} ?{_number_group([b])}"
             for a in numbers for b in numbers if a != b]
    return rf"^({'|'.join(pairs)})$"


def average_pattern(numbers: Iterable[str], max_terms: int) -> str:
    """A regex for the mean of two to ``max_terms`` of ``numbers``: their sum in parentheses
    divided by how many were summed (``(30 + 23 + 33) / 3``). Asked for an average, a small
    model writes the sum and stops there."""
    number = _number_group(numbers)
    means = [rf"\({number}( ?\+ ?{number}){{{k - 1}}}\) ?/ ?{k}"
             for k in range(2, min(MAX_TERMS, max(2, max_terms)) + 1)]
    return rf"^({'|'.join(means)})$"


def extreme_pattern(function: str, numbers: Iterable[str]) -> str:
    """A regex for ``min(…)`` or ``max(…)`` of two or more of ``numbers``."""
    number = _number_group(numbers)
    return rf"^{function}\({number}(, ?{number}){{1,{MAX_TERMS - 1}}}\)$"


def _kind(name: str, schema: dict) -> str | None:
    """How a string parameter is grounded: "values", "arithmetic", or None (left free)."""
    mark = schema.get("x-ground")
    if mark is False or mark == "free":
        return None
    if mark in ("values", "arithmetic"):
        return mark
    if schema.get("type") != "string" or any(k in schema for k in ("enum", "const", "pattern",
                                                                   "format")):
        return None
    if name.casefold() in ARITHMETIC_NAMES:
        return "arithmetic"
    return None if name.casefold() in FREE_TEXT_NAMES else "values"


@dataclass(frozen=True)
class ValueRoutes:
    """Which parameters some of a turn's values may go to, beyond their own values
    (`RunValues.for_parameter`):

    - ``kinds``: a value whose kind the question states ("student Fendfi Baespemley") goes to
      the parameters of that kind (`takes_kind`), when some tool takes it;
    - ``shapes``: one shaped like the documented examples of some parameters ("MV …" like a
      vessel's) goes to those, not to parameters whose example shows another shape
      (`shapes.shaped_values`);
    - ``not_kinds``: one the question says belongs to a kind of thing ("X belongs to a
      cellar") goes to no parameter of that kind (`is_kind`);
    - ``fields``: a result's value of a field that names a kind some parameters take (a
      prescription's ``medicine``) goes to those only (`field_kinds`).
    """

    kinds: Mapping[str, frozenset[str]]
    shapes: Shapes
    not_kinds: Mapping[str, frozenset[str]]
    fields: Mapping[str, frozenset[tuple[str, str]]]

    @classmethod
    def of(cls, values: RunValues, specs: Sequence[ToolSpec],
           params: Sequence[tuple[str, str]]) -> ValueRoutes:
        """The routes of ``values`` over ``specs`` (whose grounded parameters are
        ``params``)."""
        kinds = {value: kind for value, kind in values.kinds
                 if any(takes_kind(s, name, about, kind)
                        for s in specs for name, how, about in _grounds(s) if how == "values")
                 } if values.kinds else {}
        return cls(kinds, shaped_values(values, params), dict(values.not_kinds),
                   field_kinds(values.fields, params) if values.fields else {})

    def key(self) -> tuple:
        """What the routes are, for a cache key."""
        return (tuple(self.kinds.items()), tuple(self.shapes.fits.items()),
                tuple(self.not_kinds.items()), tuple(self.fields.items()))

    def allows(self, spec: ToolSpec, value: str, name: str, about: str) -> bool:
        """Whether ``value`` may go to parameter ``name`` (described as ``about``) of
        ``spec``: it has its form (`shapes.fits_form`: no name for an id, no file for a folder),
        and where its routes lead."""
        if not fits_form(value, name, about):
            return False
        if (kind := self.kinds.get(value)) is not None and not takes_kind(spec, name, about,
                                                                          kind):
            return False
        if (fits := self.fields.get(value)) is not None:
            return (name, about) in fits
        if self.shapes and not self.shapes.allows(value, name, about):
            return False
        return (kind := self.not_kinds.get(value)) is None or not is_kind(name, about, kind)


def grounded(spec: ToolSpec, values: RunValues | Iterable[str],
             numbers: Iterable[str] = (), called: Iterable[dict[str, Any]] = (),
             routes: ValueRoutes | None = None) -> ToolSpec | None:
    """``spec`` whose string arguments must be one of ``values`` (per parameter, for
    `RunValues`), and whose expressions use only ``numbers``; unchanged without values; None
    when a required parameter has no value left (the tool cannot be called yet). ``called``:
    the arguments the tool was already called with, whose value for its one required
    parameter is left out (a turn that must make progress offers no repeat). ``routes``:
    which parameters some values may go to (`ValueRoutes`).

    The same narrowing of the same spec gives the very same object back, so the format's
    grammar cache finds the turn's grammar by identity (no spec is serialised per turn)."""
    if not isinstance(values, RunValues):
        values = RunValues(loose=tuple(values))
    props = spec.parameters.get("properties", {})
    if not values or spec.kind != "function" or not props:
        return spec
    numbers = tuple(numbers)
    required = spec.parameters.get("required", ())
    done = {str(a.get(required[0])) for a in called} if len(required) == 1 else set()

    def offered(name: str, about: str) -> tuple[str, ...]:
        schema = props.get(name, {})
        found = documented_options(schema) or default_stand_ins(
            values.for_parameter(name, about), schema)
        if done and name in required:
            found = [v for v in found if v not in done]
        if routes is not None:
            found = [v for v in found if routes.allows(spec, v, name, about)]
        return tuple(found)

    grounds = _grounds(spec)
    offers = tuple(offered(name, about) if kind == "values" else ()
                   for name, kind, about in grounds)
    key = (numbers if any(kind == "arithmetic" for _, kind, _ in grounds) else (), offers)
    hit = _GROUNDED.get((spec,), key)
    if hit is not MISSING:
        return hit  # type: ignore[return-value]
    narrowing = dict(zip((name for name, _, _ in grounds), offers, strict=True))

    def narrow(name: str, schema: dict) -> dict:
        if schema.get("type") == "array" and isinstance(schema.get("items"), dict):
            items = narrow(name, schema["items"])
            return schema if items is schema["items"] else {**schema, "items": items}
        kind = _kind(name, schema)
        if kind == "values":
            return {**schema, "enum": list(narrowing[name])}
        if kind == "arithmetic":
            return {**schema, "pattern": arithmetic_pattern(numbers)}
        return schema

    narrowed = {name: narrow(name, schema) for name, schema in props.items()}
    if any(narrowed[n].get("enum") == [] for n in required if n in narrowed):
        result = None
    else:
        # an optional parameter with no value left is left out
        narrowed = {n: p for n, p in narrowed.items() if p.get("enum") != []}
        result = spec if all(narrowed.get(n) is props[n] for n in props) else spec.model_copy(
            update={"parameters": {**spec.parameters, "properties": narrowed}})
    return _GROUNDED.put((spec,), key, result)


# "Defaults to the current directory ('.')": the clause that says what the default means
_DEFAULT_CLAUSE = re.compile(
    r"\bdefaults?\b(?:\s+(?:to|is|value))?\s*:?\s*([^.;]*(?:\.[^\s][^.;]*)*)", re.IGNORECASE)


# a quoted option in a parameter's docs: "Mode of operation ('l' for lines, 'w' for words)"
_OPTION = re.compile(r"""(?<![\w'"])['"]([^'"\s]{1,20})['"](?![\w'"])""")


def documented_options(schema: Mapping[str, Any]) -> list[str]:
    """The values a string parameter's docs list in quotes, when its default is one of them
    ("Mode of operation ('l' for lines, 'w' for words, 'c' for characters)", default "l"):
    an enum written as prose, whose options are the only values it takes. Else none."""
    default = schema.get("default")
    if not isinstance(default, str):
        return []
    options = list(dict.fromkeys(_OPTION.findall(schema.get("description", ""))))
    return options if len(options) >= 2 and default in options else []


def default_stand_ins(found: Sequence[str], schema: Mapping[str, Any]) -> list[str]:
    """``found`` with each value that the parameter's docs say its default stands for
    ("current directory" for a path that "defaults to the current directory ('.')") replaced by
    the default itself: a small model writes the words, and the tool takes them as a name.
    The default is offered in any case where the docs say what it stands for."""
    default = schema.get("default")
    if not isinstance(default, str) or not found:
        return list(found)
    clause = _DEFAULT_CLAUSE.search(schema.get("description", ""))
    if clause is None:
        return list(found)
    meaning = " ".join(clause.group(1).casefold().split())
    out = []
    for value in found:
        words = " ".join(value.casefold().split())
        stands_in = (words not in STOPWORDS and words != default.casefold()
                     and re.search(rf"(?<!\w){re.escape(words)}(?!\w)", meaning) is not None)
        out.append(default if stands_in else value)
    # the default itself, too: a question that names things offers only its names, not the
    # words that meant the default ("from any folder in my current directory", 'test')
    return list(dict.fromkeys([*out, default]))


def grounded_tools(specs: Sequence[ToolSpec], values: RunValues | Iterable[str],
                   numbers: Iterable[str] = (),
                   called: Mapping[str, Sequence[dict[str, Any]]] | None = None
                   ) -> list[ToolSpec]:
    """`grounded` of each of ``specs`` (with the arguments each tool was ``called`` with),
    leaving out the tools that cannot be called yet.

    Kept by what the answer depends on: the tool set, the values offered to each kind of
    parameter, the numbers (when an expression is grounded) and the calls to leave out. A turn
    grounds every tool again, mostly with the values the turn before had; then this costs a
    look-up per distinct parameter rather than a narrowing per tool."""
    if not isinstance(values, RunValues):
        values = RunValues(loose=tuple(values))
    numbers = tuple(numbers)
    params, arithmetic = _set_grounds(specs)
    routes = ValueRoutes.of(values, specs, params) if values else None
    done = tuple((name, tuple(map(repr, calls))) for name, calls in called.items()
                 if calls) if called else ()
    # no values at all leaves every spec as it is; values that fit no parameter narrow each
    # to nothing: the same offers, other answers
    key = (bool(values), tuple(values.kept_for(name, about) for name, about in params),
           numbers if arithmetic else (), done, routes.key() if routes is not None else ())
    hit = _GROUNDED_SETS.get(specs, key)
    if hit is not MISSING:
        return list(hit)  # type: ignore[call-overload]
    called = called or {}
    return list(_GROUNDED_SETS.put(specs, key, [
        g for s in specs
        if (g := grounded(s, values, numbers, called.get(s.name, ()), routes)) is not None]))


def field_kinds(fields: Iterable[tuple[frozenset[str], str]],
                params: Sequence[tuple[str, str]]) -> dict[str, frozenset[tuple[str, str]]]:
    """For each value of a result's fields whose every field names a kind that some of
    ``params`` (name, description) say they take (`is_kind`: ``product``, "the medicine's
    name" for a ``medicine`` field): those parameters. After a prescription's
    ``"medicine": "Borkliackex Syrup"``, a small model asked for the medicine's supplier
    passes the medicine to the supplier tool."""
    takers: dict[str, set[tuple[str, str]] | None] = {}
    for key, value in fields:
        words = frozenset(w.removesuffix("s") for w in key)
        fit = {p for p in params if is_kind(p[0], p[1], words)} if words else set()
        if not fit:
            takers[value] = None  # one field of a kind nothing takes: it goes anywhere
        elif value not in takers:
            takers[value] = fit
        elif takers[value] is not None:
            takers[value] |= fit  # type: ignore[operator]
    return {v: frozenset(fit) for v, fit in takers.items() if fit}


def takes_numbers(specs: Sequence[ToolSpec]) -> bool:
    """Whether any of ``specs`` takes an expression over the run's numbers: else
    `grounded_tools` gives the same whatever ``numbers`` it is given."""
    return _set_grounds(specs)[1]


def _set_grounds(specs: Sequence[ToolSpec]) -> tuple[tuple[tuple[str, str], ...], bool]:
    """The distinct (name, description) of ``specs``' grounded string parameters, and whether
    any takes an expression."""
    hit = _SET_GROUNDS.get(specs)
    if hit is not MISSING:
        return hit  # type: ignore[return-value]
    grounds = [g for s in specs for g in _grounds(s)]
    return _SET_GROUNDS.put(specs, (), (
        tuple(dict.fromkeys((name, about) for name, kind, about in grounds
                            if kind == "values")),
        any(kind == "arithmetic" for _, kind, _ in grounds)))


def _grounds(spec: ToolSpec) -> tuple[tuple[str, str | None, str], ...]:
    """Each top-level parameter of ``spec`` with how its (innermost array item's) string is
    grounded (`_kind`) and its description: what grounding reads of a spec, read once."""
    hit = _GROUNDS.get((spec,))
    if hit is not MISSING:
        return hit  # type: ignore[return-value]
    out = []
    for name, schema in spec.parameters.get("properties", {}).items():
        leaf = schema
        while leaf.get("type") == "array" and isinstance(leaf.get("items"), dict):
            leaf = leaf["items"]
        out.append((name, _kind(name, leaf), leaf.get("description", "")))
    return _GROUNDS.put((spec,), (), tuple(out))


# A turn grounds every tool again, mostly with the values the turn before had: what grounding
# derives from a spec, a tool set and a call is kept by their identity (and the values).
# A grounded spec holds the values it offers: a few hundred turns' worth is kept, not more.
_GROUNDED: IdentityCache[ToolSpec | None] = IdentityCache(512)
_GROUNDED_SETS: IdentityCache[list[ToolSpec]] = IdentityCache(128)
_SET_GROUNDS: IdentityCache[tuple] = IdentityCache(256)
_GROUNDS: IdentityCache[tuple] = IdentityCache(4096)


def run_numbers(question: str, observations: Iterable[Observation],
                skip_tools: Iterable[str] = ()) -> tuple[str, ...]:
    """The numbers of the question and of the successful results, but for those of
    ``skip_tools`` (the calculator: its results are not new data, and fed back they let a
    model multiply without end)."""
    skip = set(skip_tools)
    return tuple(numbers_in([question] + [o.content for o in observations
                                          if o.ok and o.tool not in skip]))


def computes(spec: ToolSpec) -> bool:
    """Whether ``spec`` takes an arithmetic expression (a calculator)."""
    props = spec.parameters.get("properties", {})
    return any(_kind(name, schema) == "arithmetic" for name, schema in props.items())
