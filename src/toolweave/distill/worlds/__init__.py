"""Synthetic offline tool worlds for agent distillation (issue 17): many worlds, each with its
own typed tools, data and docs, built by one engine from domain descriptions
(``domains.yaml``), and questions of every shape with answers computed from the world.

    from toolweave.distill.worlds import generate_worlds, world_tasks, split_worlds
    worlds = generate_worlds(seed=0, n=24)
    tasks = world_tasks(worlds[0], seed=0, per_shape=3)   # each with its ideal run
    train, test = split_worlds(worlds)                    # whole worlds on each side

`write_worlds` (``toolweave distill worlds``) writes them as `eval suite` files.
"""

from toolweave.distill.worlds.suite import (
    WrittenWorlds,
    split_worlds,
    suite_document,
    world_suite,
    write_worlds,
)
from toolweave.distill.worlds.tasks import SHAPES, Planned, world_tasks
from toolweave.distill.worlds.world import World, generate_worlds

__all__ = ["SHAPES", "Planned", "World", "WrittenWorlds", "generate_worlds", "split_worlds",
           "suite_document", "world_suite", "world_tasks", "write_worlds"]
