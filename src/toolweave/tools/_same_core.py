"""Keeping a short thread hand-off on one CPU core (Linux).

Handing a call to a worker thread and back costs two thread wake-ups. With the two threads on
different cores each wake-up is a cross-core interrupt, often of an idle core; on a virtual
machine that is the dominant cost (measured on this project's 2-vCPU VM: 62-65 µs per round
trip across cores, 20-25 µs with both threads on one core, where the core simply switches from
the blocked caller to the worker and back).

`SameCore` pins the calling thread to the core it is on for the length of one short blocking
hand-off, and restores its affinity right after; the worker is pinned to the same core
before it is woken. Workers are unpinned again before they run anything long or concurrent
(see tools/_workers.py), so only calls that finish within the hand-off wait share a core.

On a machine whose other processes keep the cores busy the trade reverses: changing affinity
can hand the core to another process for a time slice (measured here under a load of 3 on 2
cores: 0.31 ms per agent step pinned, 0.27 unpinned). So whether to pin is measured, not
assumed: `choose` takes the way whose recent short hand-offs were faster (a moving average of
each), and tries the other way now and then, so the choice follows the machine's load.

It switches itself off where threads have no affinity (macOS, Windows), where the caller may
use a single core anyway, when the OS refuses (e.g. a cpuset that changed), or with
``TOOLWEAVE_SAME_CORE_HANDOFF=0``.
"""

from __future__ import annotations

import ctypes
import os
from collections.abc import Callable

ENV_SWITCH = "TOOLWEAVE_SAME_CORE_HANDOFF"
EXPLORE_EVERY = 32  # one hand-off in this many goes the other way, to keep measuring it
# ... or in up to 8 times as many, as many times as that way measured slower: each try costs
# what it is slower (pinned on a busy machine: 4x an unpinned hand-off, every 32nd call)
MAX_EXPLORE_BACKOFF = 8


def _sched_getcpu() -> Callable[[], int] | None:
    """glibc's `sched_getcpu` (a vDSO read, ~0.1 µs through ctypes), or None."""
    try:
        fn = ctypes.CDLL(None).sched_getcpu
    except (OSError, AttributeError):
        return None
    fn.restype, fn.argtypes = ctypes.c_int, []
    return fn


class SameCore:
    """Pins a caller and a worker thread to one core for the length of a hand-off."""

    def __init__(self) -> None:
        self.getcpu = _sched_getcpu() if hasattr(os, "sched_setaffinity") else None
        self.enabled = self.getcpu is not None and os.environ.get(ENV_SWITCH, "1") != "0"
        # moving averages of a short hand-off's wall time, pinned and not (0.0: not measured)
        self.cost = {True: 0.0, False: 0.0}
        self._handoffs = 0

    def choose(self) -> bool:
        """Whether to pin the next hand-off: the way measured faster so far (an unmeasured
        way first), the other way every `EXPLORE_EVERY`-th time, or more rarely the slower it
        measured (`MAX_EXPLORE_BACKOFF`)."""
        if not self.enabled:
            return False
        self._handoffs += 1
        pinned, free = self.cost[True], self.cost[False]
        pin = pinned <= free
        if self._handoffs % EXPLORE_EVERY:
            return pin  # no exploring hand-off is due (each is a multiple of EXPLORE_EVERY)
        faster, slower = (pinned, free) if pin else (free, pinned)
        every = EXPLORE_EVERY if faster <= 0.0 else EXPLORE_EVERY * min(
            MAX_EXPLORE_BACKOFF, max(1, int(slower / faster)))
        return not pin if self._handoffs % every == 0 else pin

    def record(self, pinned: bool, seconds: float) -> None:
        """A hand-off made ``pinned`` or not took ``seconds`` (from dispatch to result)."""
        before = self.cost[pinned]
        self.cost[pinned] = seconds if before == 0.0 else before + (seconds - before) / 8

    def pin_caller(self) -> tuple[int, set[int]] | None:
        """Pin the calling thread to its current core: (that core, its affinity before), or
        None when that is not possible or pointless (a single allowed core)."""
        if not self.enabled:
            return None
        try:
            cpu = self.getcpu()  # type: ignore[misc]
            before = os.sched_getaffinity(0)
            if cpu < 0 or cpu not in before or len(before) < 2:
                return None
            os.sched_setaffinity(0, (cpu,))
        except OSError:
            self.enabled = False
            return None
        return cpu, before

    def restore_caller(self, before: set[int]) -> None:
        """Give the calling thread back the affinity `pin_caller` found."""
        try:
            os.sched_setaffinity(0, before)
        except OSError:
            self.enabled = False

    def set_thread(self, native_id: int, cpus: set[int] | tuple[int, ...]) -> bool:
        """Set another thread's affinity (by its native id); False (and off from then on)
        when the OS refuses."""
        try:
            os.sched_setaffinity(native_id, cpus)
        except OSError:
            self.enabled = False
            return False
        return True
