"""RepeatGuard and call signatures: what a step reads again is kept, and stays right."""

from toolweave.runtime.repeats import RepeatGuard, signature
from toolweave.types import Observation, ToolCall


def _obs(call: ToolCall, content: str = "ok", ok: bool = True) -> Observation:
    return Observation(call_id=call.id, tool=call.name, content=content, ok=ok)


def test_a_signature_is_the_name_and_key_sorted_arguments_whoever_asks():
    one = ToolCall(name="weather", arguments={"unit": "C", "city": "Paris"})
    other = ToolCall(name="weather", arguments={"city": "Paris", "unit": "C"})
    assert signature(one) == signature(one) == signature(other)
    assert signature(one) == 'weather{"city": "Paris", "unit": "C"}'


def test_a_call_given_new_arguments_has_a_new_signature():
    call = ToolCall(name="weather", arguments={"city": "Paris"})
    before = signature(call)
    call.arguments = {"city": "Lyon"}  # as a DAG step's arguments are filled in
    assert signature(call) != before and "Lyon" in signature(call)


def test_made_follows_every_change_of_the_guard():
    guard = RepeatGuard()
    assert guard.made() == []
    first = ToolCall(name="ls", arguments={})
    guard.remember(first, _obs(first, "a.txt"))
    made = guard.made()
    assert [c.name for c, _ in made] == ["ls"] and guard.made() is made  # kept until a change
    second = ToolCall(name="cat", arguments={"path": "a.txt"})
    guard.remember(second, _obs(second, "hello"))
    assert [c.name for c, _ in guard.made()] == ["ls", "cat"]
    again = ToolCall(name="ls", arguments={})
    guard.remember(again, _obs(again, "a.txt b.txt"))  # the same call, its latest result
    assert [(c.name, o.content) for c, o in guard.made()] == [("ls", "a.txt b.txt"),
                                                               ("cat", "hello")]


def test_a_new_call_extends_made_and_a_call_made_again_rebuilds_it_in_place():
    guard = RepeatGuard()
    first = ToolCall(name="ls", arguments={})
    guard.remember(first, _obs(first, "a.txt"))
    before = guard.made()
    second = ToolCall(name="cat", arguments={"path": "a.txt"})
    guard.remember(second, _obs(second, "hello"))
    after = guard.made()
    # a new list (the last one is left as it was), with the earlier pairs themselves in it
    assert before == [(first, guard.seen['ls{}'])] and len(after) == 2 and after[0] is before[0]
    again = ToolCall(name="ls", arguments={})
    latest = _obs(again, "a.txt b.txt")
    guard.remember(again, latest)
    assert guard.made() == [(again, latest), (second, after[1][1])] and len(after) == 2
