"""`RunValuesReader` reads a run's calls as they grow, each once, and always gives what
`collect_values` gives for the whole run (issue 15: the per-step cost of grounding)."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from toolweave.runtime.grounding import RunValuesReader, collect_values
from toolweave.types import Observation, ToolCall

QUESTION = "Where does Ann's manager work, and how far is it from Oslo?"


def pair(kind: int, n: int) -> tuple[ToolCall, Observation]:
    """A call and its observation of one of four kinds: a JSON record, a text result, an error
    that quotes and rejects the value, an error that suggests another."""
    name = f"Person{n}"
    call = ToolCall(name="get_employee", arguments={"name": name, "city": f"City{n}"})
    if kind == 0:
        content, ok = json.dumps({"name": name, "manager": f"Person{n + 1}",
                                  "office_city": f"City{n}"}), True
    elif kind == 1:
        content, ok = f"{name} works in City{n} for Big Corp", True
    elif kind == 2:
        content, ok = f"unknown city 'City{n}'", False
    else:
        content, ok = f"no such person '{name}'; did you mean 'Person{n + 1}'?", False
    return call, Observation(call_id=call.id, tool=call.name, content=content, ok=ok,
                             error=None if ok else "ValueError")


# a run's calls over time: a new call, a call's observation replaced (a stateful call run
# again keeps its place), or a shorter list (another run's, or a guard that started over)
STEPS = st.lists(st.tuples(st.sampled_from(["add", "replace", "cut"]),
                           st.integers(0, 3), st.integers(0, 5)), max_size=12)


@settings(max_examples=150, deadline=None)
@given(STEPS, st.booleans())
def test_the_reader_gives_collect_values_of_the_whole_run_at_every_turn(steps, results_only):
    reader = RunValuesReader(QUESTION, results_only=results_only)
    made: list[tuple[ToolCall, Observation]] = []
    for op, kind, n in steps:
        if op == "add" or not made:
            made = [*made, pair(kind, n)]
        elif op == "replace":
            k = n % len(made)
            made = [*made[:k], (made[k][0], pair(kind, n)[1]), *made[k + 1:]]
        else:
            made = made[:n % len(made)]
        got = reader(made)
        whole = collect_values(made, QUESTION, results_only=results_only)
        assert got == whole and reader.found == bool(whole)
        # what the values are made of, read at once or call by call, is the same key
        assert RunValuesReader(QUESTION, results_only=results_only).key(made) \
            == reader.key(made)
        for name in ("name", "city", "manager", "symbol"):
            assert got.for_parameter(name) == whole.for_parameter(name)


def test_unchanged_calls_give_the_same_values_and_a_new_call_is_read_once(monkeypatch):
    from toolweave.runtime import grounding

    read: list[ToolCall] = []
    read_call = grounding._read_call

    def counted(call, obs, results_only):
        read.append(call)
        return read_call(call, obs, results_only)

    monkeypatch.setattr(grounding, "_read_call", counted)
    reader = RunValuesReader(QUESTION)
    first = [pair(1, 1)]
    values = reader(first)
    assert reader(list(first)) is values  # the same calls: nothing read again
    second = pair(0, 2)
    grown = reader([*first, second])
    assert grown is not values and "City2" in grown.for_parameter("city")
    assert "City1" in grown.for_parameter("city")  # the first call's values are still there
    assert read == [first[0][0], second[0]]
