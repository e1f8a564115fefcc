"""Suggested corrections: a call that failed on a misspelt value is made again with the value
the tool's error suggested ("unknown city 'Lunnetta'; did you mean 'Lunetta'?"), or with the
one value of the error's list of known ones that abbreviates it ("unknown currency code
'US dollars'; known: VLC, NVM, USD").

A small model reads that error and writes the misspelt call again. The correction changes
nothing but the one argument the error names, to the one other value it quotes, and calls the
same tool: the error cannot make the runtime call anything else (tool output is data).
"""

from __future__ import annotations

import re

from toolweave.runtime.grounding import abbreviates, listed_choices, quoted_values
from toolweave.types import Observation, ToolCall

MAX_QUOTED_CHARS = 80
MAX_LISTED_CHOICES = 200  # a catalogue is searched for an abbreviation, never offered
# only an error that offers a replacement: "did you mean", "perhaps", "try 'X' instead"
_SUGGESTS = re.compile(r"\b(?:did you mean|do you mean|perhaps|maybe|closest match|instead)\b",
                       re.IGNORECASE)


def suggested_call(call: ToolCall, observation: Observation) -> ToolCall | None:
    """``call`` with the argument its error quotes replaced by the one other value the error
    suggests, or by the one value of the error's list of known values that abbreviates it
    ("US dollars" → "USD"); None when the error suggests nothing, quotes no argument, or
    offers a choice."""
    if observation.ok:
        return None
    quoted = list(dict.fromkeys(quoted_values(observation.content, MAX_QUOTED_CHARS)))
    strings = {k: v for k, v in call.arguments.items() if isinstance(v, str)}
    named = [k for k, v in strings.items() if any(q.casefold() == v.casefold() for q in quoted)]
    if len(named) != 1:
        return None
    if suggests := _SUGGESTS.search(observation.content):
        # what the error quotes after it suggests ("pressing ids start with 'PR-'; did you
        # mean 'PR-78669'?" offers 'PR-78669'), else anything it quotes but the arguments
        after = quoted_values(observation.content[suggests.end():], MAX_QUOTED_CHARS)
        offered = [q for q in dict.fromkeys(after or quoted)
                   if all(q.casefold() != v.casefold() for v in strings.values())]
    else:
        offered = [c for c in listed_choices(observation.content, MAX_LISTED_CHOICES)
                   if abbreviates(c, strings[named[0]])]
    if len(offered) != 1:
        return None
    return ToolCall(name=call.name, arguments={**call.arguments, named[0]: offered[0]})


def suggests_value(error: str) -> bool:
    """Whether an error offers a replacement value ("did you mean 'Lunetta'?")."""
    return bool(_SUGGESTS.search(error))
