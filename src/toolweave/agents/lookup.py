"""The field a question asks for, read off the record that answers it.

"Which department does the manager of Oskar Lindgren's manager work in?" ends with three
employee records in the evidence; a small model names the department of the first, the
person the question names, even with the records that only led on to others set apart.
Told "department of Ingrid Solberg: Executive" — the one record no later call came from, its
field the question names — it names that one.
"""

from __future__ import annotations

from toolweave.agents.worked import Worked
from toolweave.formats.base import loads
from toolweave.runtime.grounding import (
    STOPWORDS,
    leaves,
    name_words,
    observation_values,
    said_words,
)
from toolweave.types import Observation, ToolCall


def feeds(observation: Observation, later: list[ToolCall]) -> bool:
    """Whether one of ``later``'s string arguments is a value ``observation`` gave."""
    values = {v.casefold() for v in observation_values([observation])}
    return any(isinstance(v, str) and v.strip().casefold() in values
               for call in later for v in call.arguments.values())


def answering_records(made: list[tuple[ToolCall, Observation]]
                      ) -> list[tuple[ToolCall, dict]]:
    """The successful results that are JSON records and that no later call took a value
    from, with their calls."""
    ok = [(call, obs) for call, obs in made if obs.ok]
    out = []
    for n, (call, obs) in enumerate(ok):
        record = loads(obs.content.strip())
        if isinstance(record, dict) and not feeds(obs, [c for c, _ in ok[n + 1:]]):
            out.append((call, record))
    return out


def looked_up(question: str, made: list[tuple[ToolCall, Observation]]) -> Worked | None:
    """The fields the question names ("department") of the one answering record that has
    them, as a line for the answer turn; None when no record, or several, have them."""
    words = set(said_words(question)) - STOPWORDS
    found = []
    for call, record in answering_records(made):
        named = [(path, leaf) for path, leaf in leaves(record)
                 if isinstance(leaf, (str, int, float)) and not isinstance(leaf, bool)
                 and name_words(" ".join(path)) & words
                 and str(leaf).casefold() not in question.casefold()]
        if named:
            found.append((call, named))
    if len(found) != 1:
        return None
    call, named = found[0]
    about = ", ".join(str(v) for v in call.arguments.values() if isinstance(v, str))
    line = "; ".join(f"{' '.join(path)} of {about}: {leaf}" if about else
                     f"{' '.join(path)}: {leaf}" for path, leaf in named)
    return Worked("lookup", line)
