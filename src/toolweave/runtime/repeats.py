"""`RepeatGuard`: the cheapest step is the one not taken.

Small models answer a failing call by repeating it until the step cap. The guard remembers
every call signature (tool name + canonical arguments) and its observation. A repeat is not run
again: the model is told, once, what it already got and what it can do instead; a second
repeat stops the run as stuck. Calls to stateful tools are repeats only while the state they
read has not changed: once another call to a stateful tool succeeded, asking again is new
("ls" after "mkdir") — once: a third time is a repeat whatever changed (a small model
alternates "cat a.txt" and "echo …" until the step cap otherwise).
"""

from __future__ import annotations

import json
from collections.abc import Callable

from toolweave._json_encoding import one_shot
from toolweave.types import Observation, ToolCall

# how often one stateful call runs in a run, however the state changes in between
MAX_STATEFUL_RUNS = 2

# One encoder for every call: json.dumps builds a new JSONEncoder whenever it gets an option
# (and `one_shot` keeps its C encoder too).
_CANONICAL = one_shot(json.JSONEncoder(sort_keys=True, default=str))


# A step reads each call's signature several times (the guard, the turn's duplicates, the
# fan-outs): kept per call object and its arguments dict, which a made call does not change.
_SIGNATURES: dict[int, tuple[ToolCall, dict, str]] = {}
MAX_SIGNATURES = 4096


def signature(call: ToolCall) -> str:
    """The call's tool name and canonical (key-sorted) JSON arguments."""
    arguments = call.arguments
    entry = _SIGNATURES.get(id(call))
    # the entry keeps its call alive, so no other object has its id while it is kept
    if entry is not None and entry[0] is call and entry[1] is arguments:
        return entry[2]
    sig = call.name + _CANONICAL(arguments)
    if len(_SIGNATURES) >= MAX_SIGNATURES:
        _SIGNATURES.clear()  # cheap to derive again; a long-lived process must not grow
    _SIGNATURES[id(call)] = (call, arguments, sig)
    return sig


def _without_empties(call: ToolCall, sig: str) -> str:
    """``sig`` without the arguments that are empty lists or objects: ``post(text="hi",
    tags=[])`` is ``post(text="hi")`` sent again."""
    for v in call.arguments.values():  # read twice a call: a loop, not a generator
        if v == [] or v == {}:
            break
    else:
        return sig
    return call.name + _CANONICAL(
        {k: v for k, v in call.arguments.items() if not (v == [] or v == {})})


class RepeatGuard:
    """Tracks call signatures across the steps of one run."""

    def __init__(self, max_nudges: int = 1):
        self.max_nudges = max_nudges
        self.nudges = 0
        self.seen: dict[str, Observation] = {}
        self.calls: dict[str, ToolCall] = {}  # the call behind each signature in ``seen``
        self.stale: set[str] = set()  # stateful calls whose state changed since they ran
        self.runs: dict[str, int] = {}  # how often each stateful call has run
        # successful calls by their signature without empty lists and objects: a call that
        # adds only an empty optional to one of them asks again (a small model re-sends a call
        # that worked with ``mentions=[]`` added; a post made twice is a wrong state). Failed
        # calls are not in it: adding ``items=[]`` may be what fixes one.
        self.answered: dict[str, str] = {}
        self._made: list[tuple[ToolCall, Observation]] | None = None  # `made`, until a change

    # ``sig`` (the call's `signature`, when the caller has it already) saves serialising the
    # arguments once more.

    def made(self) -> list[tuple[ToolCall, Observation]]:
        """Every call made so far with its observation, oldest first.

        Read several times a step (grammar, guards, fan-outs): built once per change of the
        guard and shared, so callers must not change the list."""
        if self._made is None:
            self._made = [(self.calls[sig], obs) for sig, obs in self.seen.items()]
        return self._made

    def is_repeat(self, call: ToolCall, sig: str | None = None) -> bool:
        earlier = self._earlier(call, sig or signature(call))
        return earlier is not None and (earlier not in self.stale
                                        or self.runs.get(earlier, 1) >= MAX_STATEFUL_RUNS)

    def _earlier(self, call: ToolCall, sig: str) -> str | None:
        """The signature of the earlier call that ``call`` asks again, if any."""
        if sig in self.seen:
            return sig
        return self.answered.get(_without_empties(call, sig))

    def remember(self, call: ToolCall, observation: Observation, sig: str | None = None) -> None:
        sig = sig or signature(call)
        if sig in self.stale:
            self.runs[sig] = self.runs.get(sig, 1) + 1
            self.stale.discard(sig)
        new = sig not in self.seen
        self.seen[sig], self.calls[sig] = observation, call
        # a new call goes last, as in ``seen``; a call made again keeps its place: made anew
        # (a new list either way: a caller may still hold the last one)
        self._made = [*self._made, (call, observation)] if new and self._made is not None \
            else None
        if observation.ok:
            self.answered.setdefault(_without_empties(call, sig), sig)

    def state_changed(self, by: str, stateful: Callable[[str], bool]) -> None:
        """The call ``by`` (a signature) changed state: every other call made to a tool that
        ``stateful`` names may now give another result, so asking it again is no repeat."""
        self.stale.update(s for s, c in self.calls.items() if s != by and stateful(c.name))

    @property
    def exhausted(self) -> bool:
        """True once the model repeated itself after being nudged: the run cannot progress."""
        return self.nudges > self.max_nudges

    def nudge(self, call: ToolCall) -> Observation:
        """The observation that replaces a repeated call (the call itself is not run)."""
        self.nudges += 1
        sig = signature(call)
        before = self.seen[self._earlier(call, sig) or sig]
        outcome = "failed with" if not before.ok else "returned"
        content = (
            f"You already called {call.name} with exactly these arguments; it {outcome}: "
            f"{before.content[:500]}\nDo not repeat the same call. "
            + ("Fix the arguments, try another tool, or " if not before.ok else "Use that result, ")
            + "give the final answer if you can."
        )
        return Observation(call_id=call.id, tool=call.name, content=content, ok=False,
                           error="repeated_call")
