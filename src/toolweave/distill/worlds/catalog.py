"""The worlds' tools as importable attributes, so a suite file can name them:
``python: toolweave.distill.worlds.catalog:seed0_w03`` is world 3 of generation seed 0.

Attributes are made on first access (PEP 562) and kept; nothing is built at import.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

_ATTR = re.compile(r"^seed(\d+)_w(\d+)$")


@cache
def _tools(seed: int, index: int) -> list[Any]:
    from toolweave.distill.worlds.world import generate_worlds

    return generate_worlds(seed, index + 1)[index].tools()


def __getattr__(name: str) -> Any:
    match = _ATTR.match(name)
    if match is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r} (world tools are "
                             "named seed<SEED>_w<INDEX>, e.g. seed0_w03)")
    return _tools(int(match.group(1)), int(match.group(2)))
