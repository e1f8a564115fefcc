"""Suggested corrections: a call that failed on a misspelt value is made again with the value
the tool's error suggested ("unknown city 'Lunnetta'; did you mean 'Lunetta'?").

A small model reads that error and writes the misspelt call again. The correction changes
nothing but the one argument the error names, to the one other value it quotes, and calls the
same tool: the error cannot make the runtime call anything else (tool output is data).
"""

from __future__ import annotations

import re

from toolweave.runtime.grounding import quoted_values
from toolweave.types import Observation, ToolCall

MAX_QUOTED_CHARS = 80
# only an error that offers a replacement: "did you mean", "perhaps", "try 'X' instead"
_SUGGESTS = re.compile(r"\b(?:did you mean|do you mean|perhaps|maybe|closest match|instead)\b",
                       re.IGNORECASE)


def suggested_call(call: ToolCall, observation: Observation) -> ToolCall | None:
    """``call`` with the argument its error quotes replaced by the one other value the error
    suggests; None when the error suggests nothing, quotes no argument, or offers a choice."""
    if observation.ok or not _SUGGESTS.search(observation.content):
        return None
    quoted = list(dict.fromkeys(quoted_values(observation.content, MAX_QUOTED_CHARS)))
    strings = {k: v for k, v in call.arguments.items() if isinstance(v, str)}
    named = [k for k, v in strings.items() if any(q.casefold() == v.casefold() for q in quoted)]
    offered = [q for q in quoted if all(q.casefold() != v.casefold() for v in strings.values())]
    if len(named) != 1 or len(offered) != 1:
        return None
    return ToolCall(name=call.name, arguments={**call.arguments, named[0]: offered[0]})
