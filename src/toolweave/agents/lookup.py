"""The field a question asks for, read off the record that answers it.

"Which department does the manager of Oskar Lindgren's manager work in?" ends with three
employee records in the evidence; a small model names the department of the first, the
person the question names, even with the records that only led on to others set apart.
Told "department of Ingrid Solberg: Executive" — the one record no later call came from, its
field the question names — it names that one. A chain can end in a plain measure too ("33
hectares" from the tool that gets an estate's vineyard size): told "vineyard size of Riandgrou
Estate: 33 hectares", a small model no longer answers with the estate the hop before gave.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from toolweave.agents.worked import Worked
from toolweave.formats.base import loads
from toolweave.runtime.grounding import (
    STOPWORDS,
    computes,
    leaves,
    name_words,
    observation_values,
    said_words,
)
from toolweave.runtime.hops import asked_words, speaks_of, topic_words
from toolweave.runtime.said import stem
from toolweave.types import Observation, ToolCall, ToolSpec

_WORD = re.compile(r"[^\W\d_]{2,}")
# "which wing…", "what team…": the question asks for a thing of a kind, not a measure of one
_ASKS_FOR_A_KIND = re.compile(
    r"\b(?:which|what)\s+(?!(?:is|are|was|were|does|do|did|has|have|had|will|would|can|of)\b)"
    r"[^\W\d_]+", re.IGNORECASE)


def feeds(observation: Observation, later: list[ToolCall], own: ToolCall | None = None
          ) -> bool:
    """Whether one of ``later``'s string arguments is a value ``observation`` gave (but for
    the arguments of its ``own`` call, which a record echoes as its name)."""
    values = {v.casefold() for v in observation_values([observation])}
    if own is not None:
        values -= {v.strip().casefold() for v in own.arguments.values() if isinstance(v, str)}
    return any(isinstance(v, str) and v.strip().casefold() in values
               for call in later for v in call.arguments.values())


def answering_records(made: list[tuple[ToolCall, Observation]],
                      on_the_way: Callable[[ToolCall], bool] | None = None
                      ) -> list[tuple[ToolCall, dict]]:
    """The successful results that are JSON records and that no later call took a value
    from, with their calls. ``on_the_way``: which later calls count as taking the chain on
    (by default every one); a call that only wandered off with a value (a wing's floor
    count, asked which wing) leaves the record answering."""
    ok = [(call, obs) for call, obs in made if obs.ok]
    out = []
    for n, (call, obs) in enumerate(ok):
        record = loads(obs.content.strip())
        later = [c for c, _ in ok[n + 1:] if on_the_way is None or c.name == call.name
                 or on_the_way(c)]
        if isinstance(record, dict) and not feeds(obs, later, call):
            out.append((call, record))
    return out


def looked_up(question: str, made: list[tuple[ToolCall, Observation]],
              specs: Mapping[str, ToolSpec] | None = None) -> Worked | None:
    """The fields the question names ("department") of the one answering record that has
    them, as a line for the answer turn; else, given the tools' ``specs`` by name, the one
    plain result that measures what the question asks (`measured`); None when no record or
    result, or several, answer."""
    words = set(said_words(question)) - STOPWORDS
    found = []
    on_the_way = None
    if specs and _ASKS_FOR_A_KIND.search(question):
        # "which wing is the ward in?": a wing a record gave is the answer even when the model
        # went on to look the wing up, unless that call's tool speaks of the question
        asked = asked_words(question)

        def on_the_way(call: ToolCall) -> bool:
            spec = specs.get(call.name)
            return spec is None or bool(topic_words(spec) & asked)
    for call, record in answering_records(made, on_the_way):
        named = [(path, leaf) for path, leaf in leaves(record)
                 if isinstance(leaf, (str, int, float)) and not isinstance(leaf, bool)
                 and name_words(" ".join(path)) & words
                 and str(leaf).casefold() not in question.casefold()]
        if named:
            found.append((call, named))
    if len(found) != 1:
        return measured(question, made, specs) if not found and specs else None
    call, named = found[0]
    about = ", ".join(str(v) for v in call.arguments.values() if isinstance(v, str))
    line = "; ".join(f"{' '.join(path)} of {about}: {leaf}" if about else
                     f"{' '.join(path)}: {leaf}" for path, leaf in named)
    return Worked("lookup", line)


def measured(question: str, made: list[tuple[ToolCall, Observation]],
             specs: Mapping[str, ToolSpec]) -> Worked | None:
    """The one plain-text (not JSON) result that no later call took a value from, of a tool
    whose docs speak of what the question asks (`hops.speaks_of`: the *vineyard size* of an
    estate), as a line for the answer turn; None when no such result, or several, answer."""
    found = measuring_result(question, made, specs)
    if found is None:
        return None
    call, obs = found
    topic = topic_words(specs[call.name]) & asked_words(question)
    words = dict.fromkeys(w for w in _WORD.findall(question.casefold()) if stem(w) in topic)
    about = ", ".join(str(v) for v in call.arguments.values() if isinstance(v, str))
    what = " ".join(words) + (f" of {about}" if about else "")
    return Worked("lookup", f"{what}: {obs.content.strip()}")


def measuring_result(question: str, made: list[tuple[ToolCall, Observation]],
                     specs: Mapping[str, ToolSpec]) -> tuple[ToolCall, Observation] | None:
    """`measured`'s result, with its call."""
    ok = [(call, obs) for call, obs in made if obs.ok]
    found = []
    for n, (call, obs) in enumerate(ok):
        spec = specs.get(call.name)
        if spec is None or computes(spec) or isinstance(loads(obs.content.strip()),
                                                       (dict, list)):
            continue
        if speaks_of(spec, question) and not feeds(obs, [c for c, _ in ok[n + 1:]]):
            found.append((call, obs))
    return found[0] if len(found) == 1 else None
