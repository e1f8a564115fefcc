"""Pre-Act loop logic with the `Scripted` model: the plan, its revision, answers, budgets."""

from __future__ import annotations

import json

import pytest

from toolweave.agents import Agent
from toolweave.agents.agent import STRATEGIES
from toolweave.agents.preact import ANSWER_GRAMMAR, FINAL, PreactStrategy, parse_plan, plan_grammar
from toolweave.models import Scripted
from toolweave.tools import tool


@pytest.fixture(autouse=True)
def registered(monkeypatch):
    monkeypatch.setitem(STRATEGIES, "preact", PreactStrategy)


def call(name: str, thought: str = "", **arguments) -> str:
    body = json.dumps({"name": name, "arguments": arguments})
    return f"{thought}\n<tool_call>\n{body}\n</tool_call>"


@tool
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


@tool
def mul(a: int, b: int) -> int:
    """Multiply two integers."""
    return a * b


PLAN = "1. add - add 2 and 3\n2. mul - multiply the sum by 4\n3. final answer - the product"
REVISED = "1. mul - multiply 5 by 4\n2. final answer - the product is the answer"
DONE = "1. final answer - 20 is the product"


async def test_plan_act_revise_answer(tmp_path):
    model = Scripted([PLAN, call("add", a=2, b=3), REVISED, call("mul", a=5, b=4), DONE,
                      "The answer is 20."])
    trace = await Agent(model, [add, mul], strategy="preact").arun(
        "(2+3)*4?", trace_path=tmp_path / "t.jsonl")
    assert (trace.answer, trace.stop_reason) == ("The answer is 20.", "answer")
    assert [s.kind for s in trace.steps] == ["plan", "act", "plan", "act", "plan", "answer"]
    assert trace.steps[0].thought == PLAN
    assert trace.steps[1].observations[0].content == "5"
    assert trace.meta["plan"] == [{"action": FINAL, "why": "20 is the product"}]
    # the plan turn is grammar-constrained, its tool names from the registry
    plan_constraint = model.kwargs[0]["constraint"]
    assert plan_constraint.kind == "grammar" and '"add" | "mul"' in plan_constraint.value
    # the first act turn sees the plan, and no previous steps yet
    first = model.calls[1][-1].content
    assert "Previous steps:\nNA" in first
    assert "Next steps (plan):\n1. add - add 2 and 3\n2. mul - multiply the sum by 4" in first
    # the revision turn sees the observation and the plan it revises
    revision = model.calls[2][-1].content
    assert '1. add({"a": 2, "b": 3}) -> 5' in revision and "Revise the plan" in revision
    # the next act turn sees the observation and the revised plan
    second = model.calls[3][-1].content
    assert '1. add({"a": 2, "b": 3}) -> 5' in second
    assert "Next steps (plan):\n1. mul - multiply 5 by 4\n2. final answer" in second
    # the last act turn is told to answer, in plain text: its grammar allows no call
    assert "It is the final answer" in model.calls[5][-1].content
    assert model.kwargs[5]["constraint"].value == ANSWER_GRAMMAR
    # prompts are rebuilt each turn: the same system prompt, one user message
    assert all(len(c) == 2 and c[0] == model.calls[0][0] for c in model.calls)


async def test_immediate_final_answer():
    model = Scripted(["1. final answer - nothing to look up", "Hello!"])
    trace = await Agent(model, [add], strategy="preact").arun("Say hello")
    assert (trace.answer, trace.stop_reason) == ("Hello!", "answer")
    assert [s.kind for s in trace.steps] == ["plan", "answer"]
    # before any tool step the turn may still call a tool (a plan that skips tools is suspect)
    assert model.kwargs[1]["constraint"].value != ANSWER_GRAMMAR


async def test_budget_stop_ends_the_run_with_the_answer_from_the_results():
    model = Scripted([PLAN, call("add", a=2, b=3), REVISED, "It is 5.", "never reached"])
    trace = await Agent(model, [add, mul], strategy="preact", max_steps=3).arun("x")
    assert (trace.stop_reason, trace.answer) == ("max_steps", "It is 5.")
    assert len(model.calls) == 4 and 'add({"a": 2, "b": 3}) -> 5' in model.calls[3][-1].content


async def test_repeated_calls_end_with_the_answer_from_the_results():
    same = call("add", a=1, b=1)
    model = Scripted([PLAN, same, PLAN, same, PLAN, same, "It is 2.", PLAN, same])
    trace = await Agent(model, [add, mul], strategy="preact", max_steps=20).arun("x")
    assert (trace.stop_reason, trace.answer) == ("answer", "It is 2.")
    # the repeats were not run: one real call
    assert sum(o.ok for s in trace.steps for o in s.observations) == 1


async def test_repeated_failing_calls_stop_as_stuck():
    same = call("add", a="x", b=1)
    model = Scripted([PLAN, same, PLAN, same, PLAN, same, PLAN, same, "Not found."])
    trace = await Agent(model, [add, mul], strategy="preact", max_steps=20).arun("x")
    # ended by the answer turn without results: no call succeeded
    assert trace.stop_reason == "stuck" and trace.steps[-1].kind == "answer"
    assert "could not find it" in model.calls[-1][0].content  # the prompt without results


async def test_unreadable_turn_gets_one_repair():
    broken = "<tool_call>\n{not json}\n</tool_call>"
    model = Scripted([PLAN, broken, "It is 5."])
    trace = await Agent(model, [add], strategy="preact", constrained=False).arun("2+3?")
    assert trace.stop_reason == "answer" and trace.steps[1].kind == "error"
    assert "could not be read" in model.calls[2][-1].content


async def test_without_revision_the_plan_advances():
    model = Scripted([PLAN, call("add", a=2, b=3), call("mul", a=5, b=4), "20"])
    agent = Agent(model, [add, mul], strategy="preact")
    trace = await PreactStrategy(revise=False).run("x", _ctx(agent, model))
    assert trace.answer == "20" and len(model.calls) == 4
    assert "Next steps (plan):\n1. mul" in model.calls[2][-1].content


def _ctx(agent: Agent, model):
    from toolweave.formats import get_format
    from toolweave.runtime.budget import Budget
    from toolweave.runtime.context import RunContext
    from toolweave.runtime.recorder import TraceRecorder
    from toolweave.types import Trace

    return RunContext(model=model, tools=agent.tools, format=get_format("hermes"),
                      budget=Budget(), recorder=TraceRecorder(Trace(question="x")))


def test_parse_plan_is_tolerant():
    text = "Plan:\n1. ADD: sum them\n2) search - unknown tool\n- mul — times 4\n3. final answer - done"
    steps = parse_plan(text, ["add", "mul"])
    assert [s.action for s in steps] == ["add", "mul", FINAL]
    assert steps[0].why == "sum them"
    assert parse_plan("junk", ["add"])[-1].final  # a plan always ends in the final answer


def test_plan_grammar_compiles_and_names_tools():
    from llama_cpp import LlamaGrammar

    grammar = plan_grammar(add_mul_specs())
    LlamaGrammar.from_string(grammar, verbose=False)
    assert '"final answer"' in grammar and '"add" | "mul"' in grammar
    LlamaGrammar.from_string(plan_grammar([]), verbose=False)  # no tools: just the answer


def add_mul_specs():
    from toolweave.tools.registry import ToolRegistry

    return ToolRegistry([add, mul]).specs()


async def test_revision_sees_the_plan_without_the_done_step_and_drops_a_restart():
    model = Scripted([PLAN, call("add", a=2, b=3), PLAN, call("mul", a=5, b=4), DONE, "20"])
    trace = await Agent(model, [add, mul], strategy="preact").arun("(2+3)*4?")
    assert trace.answer == "20"
    revision = model.calls[2][-1].content
    assert "Next steps (plan):\n1. mul - multiply the sum by 4\n2. final answer" in revision
    # the model wrote the whole plan again, done step included: it is dropped
    assert "Next steps (plan):\n1. mul - multiply the sum by 4" in model.calls[3][-1].content
