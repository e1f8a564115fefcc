"""The strategies a question can be routed to, by name.

The router (`auto`) picks one of these per question; the agent's own registry adds the router
itself. Kept apart from both so that neither imports the other.
"""

from __future__ import annotations

from collections.abc import Callable

from toolweave.agents.base import Strategy
from toolweave.agents.dag import DagStrategy
from toolweave.agents.preact import PreactStrategy
from toolweave.agents.react import ReactStrategy

# name -> a factory of the `Strategy` (its keyword options: instructions, …)
ROUTABLE: dict[str, Callable[..., Strategy]] = {
    "react": ReactStrategy, "preact": PreactStrategy, "dag": DagStrategy}


def strategy_class(name: str) -> Callable[..., Strategy]:
    """The strategy class routed to as ``name``."""
    try:
        return ROUTABLE[name]
    except KeyError:
        raise ValueError(f"unknown strategy {name!r}; known: {', '.join(ROUTABLE)}") from None
