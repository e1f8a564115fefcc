"""Questions over a `World`, of every shape, with answers computed from its tables and the
ideal run that answers each (stages of calls; the calls of one stage are independent).

Shapes, as in the agent benchmark (bench/agent_suite_gen.py): ``single`` (one lookup),
``fanout`` (2-8 independent lookups), ``chain`` (2-4 calls, each needing the last result),
``diamond`` (independent branches joined by a call or a comparison), ``arithmetic`` (lookups,
then the calculator), ``notool`` (answered from the question alone) and ``recovery`` (the
natural first call fails with an error that says how to correct it). Each shape has several
kinds of question, each with several wordings.
"""

from __future__ import annotations

import random

from toolweave.distill.worlds.asker import Asker, Builder, DrawAgain
from toolweave.distill.worlds.lookup_questions import FANOUT_KINDS, SINGLE_KINDS
from toolweave.distill.worlds.multistep_questions import (
    ARITHMETIC_KINDS,
    CHAIN_KINDS,
    DIAMOND_KINDS,
)
from toolweave.distill.worlds.notool_questions import NOTOOL_KINDS
from toolweave.distill.worlds.planned import SHAPES, Call, Planned, calc, money_answers
from toolweave.distill.worlds.recovery_questions import RECOVERY_KINDS
from toolweave.distill.worlds.world import World

__all__ = ["KINDS", "SHAPES", "Call", "Planned", "calc", "money_answers", "world_tasks"]

# the kinds of question of each shape, in the order a world's draw rotates through them
KINDS: dict[str, tuple[Builder, ...]] = {
    "single": SINGLE_KINDS, "fanout": FANOUT_KINDS, "chain": CHAIN_KINDS,
    "diamond": DIAMOND_KINDS, "arithmetic": ARITHMETIC_KINDS, "notool": NOTOOL_KINDS,
    "recovery": RECOVERY_KINDS,
}


def world_tasks(world: World, seed: int = 0, per_shape: int = 3) -> list[Planned]:
    """``per_shape`` questions of every shape over ``world``, deterministic from ``seed``,
    interleaved by shape; ids are ``<world>-<shape>-NN``. Kinds of question rotate within a
    shape from a seeded start, so a small ``per_shape`` still varies across worlds."""
    if per_shape < 1:
        raise ValueError(f"per_shape must be at least 1, not {per_shape}")
    rng = random.Random(f"toolweave-tasks:{seed}:{world.seed}:{world.id}")
    asker = Asker(world, rng)
    seen: set[str] = set()
    by_shape: dict[str, list[Planned]] = {}
    for shape in SHAPES:
        kinds = KINDS[shape]
        start = rng.randrange(len(kinds))
        out = by_shape[shape] = []
        for k in range(per_shape):
            for attempt in range(200):
                # after a full round of one kind failing, try the next kinds too
                kind = kinds[(start + k + attempt // 50) % len(kinds)]
                try:
                    task = kind(asker)
                except DrawAgain:
                    continue
                if task.question not in seen:
                    break
            else:
                raise ValueError(f"{world.id}: cannot make {per_shape} different {shape} "
                                 "questions; ask for fewer per shape")
            seen.add(task.question)
            task.id = f"{world.id}-{shape}-{k + 1:02d}"
            out.append(task)
    return [by_shape[shape][k] for k in range(per_shape) for shape in SHAPES]
