"""Every parser of model or server output, on hostile text (issue 18): it raises nothing but its
documented error, and what it returns is sound. The parsers and their contracts are the fuzz
bench's (bench/fuzz_targets.py; `bench/fuzz.py` runs them on 100k inputs each); here
hypothesis drives them, bounded to stay fast in CI. Below them, the crashes they found."""

from __future__ import annotations

import importlib
import json
import random
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from toolweave.agents import preact
from toolweave.agents.dag import plan as dag_plan
from toolweave.errors import ServerError, ServerProtocolError
from toolweave.formats import FORMATS
from toolweave.models._openai_sse import ChunkAccumulator, SseDecoder
from toolweave.types import Completion, ToolCall

sys.path.insert(0, str(Path(__file__).parents[1] / "bench"))  # bench/ is not a package
targets = importlib.import_module("fuzz_targets")
TARGETS = {t.name: t for t in targets.TARGETS}

SETTINGS = settings(max_examples=100, deadline=None, derandomize=True, database=None,
                    suppress_health_check=list(HealthCheck))

# -- hostile text ---------------------------------------------------------------------------------

surrogates = st.integers(0xD800, 0xDFFF).map(chr)
undecodable = st.binary(max_size=64).map(lambda b: b.decode("utf-8", "surrogateescape"))
markup = st.sampled_from(targets.MARKUP + targets.CONTROL_TOKENS + targets.ODD_CHARS)
pieces = st.one_of(markup, st.text(max_size=8), surrogates, undecodable)
deep = st.builds(lambda prefix, opener, depth, closed: prefix + opener * depth
                 + ("1" + "]" * depth if closed and opener == "[" else ""),
                 st.sampled_from(["", "<tool_call>", '<tool_call>{"name": "add", "arguments": ',
                                  "CALL add\na: ", "1. add(", '1. add({"a": ', "data: "]),
                 st.sampled_from(targets.NEST_OPENERS), st.integers(1, 30_000), st.booleans())
mutated = st.builds(lambda rnd: targets.Mutator(rnd, targets.text_seeds()).text(),
                    st.randoms(use_true_random=False))
hostile_text = st.one_of(st.text(), st.lists(pieces, max_size=30).map("".join), deep, mutated)


@pytest.mark.parametrize("name", [n for n, t in TARGETS.items() if t.corpus == "text"])
@SETTINGS
@given(text=hostile_text)
def test_a_parser_meets_its_contract_on_any_text(name, text):
    target = TARGETS[name]
    assert targets.check(target, text) is None


# -- hostile streams ------------------------------------------------------------------------------

json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=8),
              surrogates),
    lambda inner: st.one_of(st.lists(inner, max_size=3),
                            st.dictionaries(st.text(max_size=6), inner, max_size=3)),
    max_leaves=10)
# a chunk of the documented shape where any field may hold any JSON value
fragment = st.fixed_dictionaries({}, optional={
    "index": json_values, "id": json_values, "type": json_values,
    "function": st.one_of(json_values, st.fixed_dictionaries(
        {}, optional={"name": json_values, "arguments": json_values}))})
delta = st.one_of(json_values, st.fixed_dictionaries({}, optional={
    "content": json_values, "reasoning_content": json_values, "reasoning": json_values,
    "tool_calls": st.one_of(json_values, st.lists(fragment, max_size=3))}))
choice = st.one_of(json_values, st.fixed_dictionaries({}, optional={
    "index": json_values, "delta": delta, "finish_reason": json_values}))
chunk = st.fixed_dictionaries({}, optional={
    "model": json_values, "usage": json_values, "error": json_values,
    "choices": st.one_of(json_values, st.lists(choice, max_size=3))})
events = st.lists(st.one_of(chunk.map(json.dumps), st.text(max_size=20), deep,
                            st.just("[DONE]")), max_size=6)
streams = st.one_of(
    events.map(lambda es: "".join(f"data: {e}\n\n" for e in es)),
    st.lists(pieces, max_size=30).map("".join),
    st.builds(lambda rnd: targets.Mutator(rnd, targets.text_seeds()).sse(),
              st.randoms(use_true_random=False)))


@SETTINGS
@given(body=streams)
def test_stream_decoding_raises_only_server_errors(body):
    assert targets.check(TARGETS["openai-sse"], body) is None


@settings(max_examples=30, deadline=None, derandomize=True, database=None)
@given(body=streams, cuts=st.lists(st.integers(0, 10_000), max_size=8))
def test_a_stream_reads_the_same_however_it_is_cut(body, cuts):
    def events(pieces):
        decoder = SseDecoder("s")
        try:
            out = [e for p in pieces for e in decoder.feed(p)] + decoder.close()
        except ServerProtocolError as exc:
            return type(exc)
        return out
    bounds = sorted({0, len(body), *(c % (len(body) + 1) for c in cuts)})
    assert events([body[a:b] for a, b in zip(bounds, bounds[1:], strict=False)]) == events([body])


# -- the crashes these properties found, kept as examples -----------------------------------------

def test_dag_arguments_nested_past_the_limit_are_an_issue_not_a_recursion_error():
    plan = dag_plan.parse_plan('1. add({"a": ' + "[" * 70 + "]" * 70 + "})\njoin()")
    assert plan.tasks == [] and "nested deeper than 64 levels" in plan.issues[0]
    for depth in (900, 980):  # JSON may read them (how deep depends on the stack): refused
        plan = dag_plan.parse_plan('1. add({"a": ' + "[" * depth + "]" * depth + "})\njoin()")
        assert plan.tasks == [] and plan.issues[0].startswith("task 1: arguments")


def test_dag_arguments_must_be_json_values():
    plan = dag_plan.parse_plan("1. add({'a': {1, 2}})\n2. add({'a': b'x'})\n3. add({'a': 1j})\n"
                               "4. add({'a': (1, 'x'), 2: None})\njoin()")
    assert [t.args for t in plan.tasks] == [{"a": [1, "x"], "2": None}]
    assert [i.split(":")[0] for i in plan.issues] == ["task 1", "task 2", "task 3"]
    assert "a set is not a JSON value" in plan.issues[0]


def test_a_plan_chained_past_the_recursion_limit_is_validated():
    text = "".join(f'{i}. add({{"a": "${i + 1}"}})\n' for i in range(1, 5001))
    problems = dag_plan.validate(dag_plan.parse_plan(text), ["add"])
    assert len(problems) == 5000  # each refers to a later task; no RecursionError
    chain = [dag_plan.Task(id=i, tool="add", args={}, deps=(i + 1,)) for i in range(1, 5001)]
    chain.append(dag_plan.Task(id=5001, tool="add", args={}, deps=(1,)))
    cycle = dag_plan.find_cycle(chain)
    assert cycle is not None and cycle[0] == cycle[-1] and len(cycle) == 5002


def test_find_cycle_finds_what_it_found_before():
    task = lambda i, *deps: dag_plan.Task(id=i, tool="t", args={}, deps=deps)  # noqa: E731
    assert dag_plan.find_cycle([task(1), task(2, 1), task(3, 2)]) is None
    assert dag_plan.find_cycle([task(1, 3), task(2, 1), task(3, 2)]) == [1, 3, 2, 1]
    assert dag_plan.find_cycle([task(1), task(2, 3), task(3, 2), task(4, 4)]) == [2, 3, 2]


def test_lone_surrogates_leave_every_parser_writable():
    text = "Answer \ud800\n<tool_call>\n{\"name\": \"add\", \"arguments\": {\"a\": \"\\udc00\"}}"
    for fmt in FORMATS.values():
        turn = fmt.parse(text + "\udfff")
        assert "\ud800" not in turn.model_dump_json()  # it raised PydanticSerializationError
    plan = dag_plan.parse_plan('Thought: \ud800\n1. add({"a": "\\ud800"})\njoin()')
    assert plan.tasks[0].args == {"a": "\ufffd"} and plan.tasks[0].thought == "\ufffd"
    assert dag_plan.parse_subqueries("1. what \udcff?") == ["what \ufffd?"]
    assert preact.parse_plan("1. add - why \ud800", ["add"])[0].why == "why \ufffd"


def test_stream_identifiers_with_lone_surrogates_are_writable():
    acc = ChunkAccumulator("s")
    acc.event(json.dumps({"model": "m\ud800", "choices": [{"finish_reason": "\udc00", "delta": {
        "tool_calls": [{"index": 0, "id": "\ud800", "function": {"name": "f"}}]}}]}))
    out = acc.completion("m")
    assert (out.model, out.finish_reason, out.tool_calls[0].id) == ("m\ufffd", "\ufffd", "\ufffd")
    out.model_dump_json()


def test_a_stream_error_that_cannot_be_dumped_is_still_a_server_error():
    with pytest.raises(ServerError, match="failed mid-stream"):
        ChunkAccumulator("s").event('{"error": ' + "[" * 900 + "]" * 900 + "}")


# Hang guards, not speed targets (those are bench/fuzz.py's --slow-s): the old code took
# minutes on these, the new one milliseconds.
HANG_S = 5.0


@pytest.mark.parametrize("line", ["1. " + " " * 20_000 + "a", "1. a" + " \t" * 20_000,
                                  "- " + "x -" * 20_000])
def test_preact_plan_lines_of_spaces_do_not_hang(line):
    started = time.perf_counter()
    assert preact.parse_plan(line, ["a"])[-1].final  # 2,000 spaces took the old regex > 5 s
    assert time.perf_counter() - started < HANG_S


def test_hermes_reads_a_turn_of_whitespace_without_hanging():
    started = time.perf_counter()
    for text in (" " * 400_000, "\n" * 400_000, "```" + " " * 400_000, "[" + " " * 400_000):
        assert FORMATS["hermes"].parse(text).calls == []  # 100k spaces took 5 s, 400k 80 s
    assert time.perf_counter() - started < HANG_S


def test_dag_literal_arguments_print_no_warnings(recwarn):
    assert dag_plan.parse_args("{'a': '\\d', 'b': 1}") == {"a": "\\d", "b": 1}
    assert isinstance(dag_plan.parse_args("{'a': 1x}"), str)
    assert not recwarn.list


def test_calls_with_deep_arguments_are_refused_by_the_types_not_a_crash():
    with pytest.raises(ValueError, match="64 levels"):
        ToolCall(name="f", arguments={"a": json.loads("[" * 70 + "]" * 70)})
    turn = FORMATS["hermes"].parse_completion(Completion(
        text='<tool_call>{"name": "f", "arguments": {"a": ' + "[" * 70 + "]" * 70 + "}}"))
    assert not turn.calls and "64 levels" in turn.errors[0].message


def test_the_mutator_is_seeded():
    one = targets.Mutator(random.Random(7), targets.text_seeds())
    two = targets.Mutator(random.Random(7), targets.text_seeds())
    assert [one.text() for _ in range(50)] == [two.text() for _ in range(50)]
    assert len(targets.text_seeds()) > 100
