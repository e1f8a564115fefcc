"""Constraints on model output: JSON Schema, regex and context-free grammars, as one type.

`check` validates a constraint itself, `matches` tells whether a text satisfies it, and
`to_gbnf` compiles it (once, cached) to the GBNF grammar llama.cpp samples under.
"""

from toolweave.constraints.check import check, matches
from toolweave.constraints.gbnf import to_gbnf

__all__ = ["check", "matches", "to_gbnf"]
