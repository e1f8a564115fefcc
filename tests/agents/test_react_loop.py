"""ReAct loop logic with the `Scripted` model: budgets, errors, timeouts, repeats, concurrency,
cancellation, repair, traces."""

from __future__ import annotations

import asyncio
import json

import pytest

from toolweave.agents import Agent
from toolweave.agents.answer import ANSWER_GRAMMAR
from toolweave.models import Scripted
from toolweave.tools import tool
from toolweave.types import Completion, Trace, Usage


def call(name: str, thought: str = "", **arguments) -> str:
    body = json.dumps({"name": name, "arguments": arguments})
    return f"{thought}\n<tool_call>\n{body}\n</tool_call>"


@tool
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


@tool
def explode(x: str) -> str:
    """Always fails."""
    raise RuntimeError(f"cannot handle {x}")


@tool(timeout_s=0.2)
async def hang(x: str) -> str:
    """Never returns in time."""
    await asyncio.sleep(30)
    return x


@tool
async def nap(label: str) -> str:
    """Sleeps a quarter second."""
    await asyncio.sleep(0.25)
    return label


async def test_calls_then_answer(tmp_path):
    model = Scripted([call("add", "I will add.", a=2, b=3), "The answer is 5."])
    trace = await Agent(model, [add]).arun("2+3?", trace_path=tmp_path / "t.jsonl")
    assert (trace.answer, trace.stop_reason) == ("The answer is 5.", "answer")
    assert trace.steps[0].thought == "I will add."
    assert trace.steps[0].observations[0].content == "5"
    # the observation went back to the model as a tool response
    assert "<tool_response>\n5\n</tool_response>" in model.calls[1][-1].content
    # constrained decoding was requested with the format's grammar
    assert model.kwargs[0]["constraint"].kind == "grammar"


async def test_max_steps_stops_the_run_with_an_answer_from_the_evidence():
    model = Scripted([*(call("add", a=i, b=1) for i in range(3)), "The sum is 3."])
    trace = await Agent(model, [add], max_steps=3).arun("loop")
    assert (trace.stop_reason, trace.answer) == ("max_steps", "The sum is 3.")
    assert [s.kind for s in trace.steps] == ["act", "act", "act", "answer"]
    # one turn past the budget, asked for the answer from the results alone, offered no call
    system, ask = model.calls[3]
    assert "answer a question from the results" in system.content
    assert "Question: loop" in ask.content and 'add({"a": 2, "b": 1}) -> 3' in ask.content
    assert model.kwargs[3]["constraint"].value == ANSWER_GRAMMAR


async def test_without_evidence_the_answer_turn_answers_from_knowledge_or_says_not_found():
    model = Scripted([*(call("explode", x=str(i)) for i in range(3)), "Mice."])
    trace = await Agent(model, [explode], max_steps=3).arun("What is the plural of mouse?")
    assert (trace.stop_reason, trace.answer) == ("max_steps", "Mice.")
    system, ask = model.calls[3]
    # no results to show: the model's own knowledge, or "could not find it" for live data
    assert "could not find it" in system.content and "results" not in system.content
    assert ask.content == "What is the plural of mouse?"


async def test_a_run_out_of_time_ends_without_an_answer():
    model = Scripted([call("hang", x="1"), "never reached"])
    trace = await Agent(model, [hang], max_seconds=0.1).arun("x")
    assert (trace.stop_reason, trace.answer) == ("timeout", None)


async def test_token_budget_stops_the_run():
    heavy = Completion(text=call("add", a=1, b=1), usage=Usage(prompt_tokens_evaluated=600,
                                                                 completion_tokens=50))
    heavy2 = heavy.model_copy(update={"text": call("add", a=2, b=2)})
    model = Scripted([heavy, heavy2, "2 and 4", "never reached"])
    trace = await Agent(model, [add], max_tokens=1000).arun("x")
    assert trace.stop_reason == "max_tokens" and len(model.calls) == 3
    assert trace.answer == "2 and 4"


async def test_wall_clock_budget_stops_the_run():
    model = Scripted([call("nap", label=str(i)) for i in range(20)])
    trace = await Agent(model, [nap], max_seconds=0.6, max_steps=20).arun("x")
    assert trace.stop_reason == "timeout"
    assert 1 <= len(trace.steps) < 20


async def test_tool_error_goes_back_with_a_hint():
    model = Scripted([call("explode", x="y"), "It failed, sorry."])
    trace = await Agent(model, [explode]).arun("x")
    obs = trace.steps[0].observations[0]
    assert not obs.ok and "cannot handle y" in obs.content
    sent = model.calls[1][-1].content
    assert "Error: RuntimeError: cannot handle y" in sent and "Hint:" in sent
    assert trace.stop_reason == "answer"


async def test_bad_arguments_are_an_observation_not_a_crash():
    model = Scripted([call("add", a="two", b=3), "gave up"])
    trace = await Agent(model, [add]).arun("x")
    obs = trace.steps[0].observations[0]
    assert obs.error == "invalid_arguments" and "a" in obs.content


async def test_tool_timeout_is_an_observation():
    model = Scripted([call("hang", x="1"), "done"])
    trace = await Agent(model, [hang]).arun("x")
    assert trace.steps[0].observations[0].error == "timeout"
    assert trace.stop_reason == "answer"


async def test_repeated_call_is_nudged_once_then_stopped():
    same = call("explode", x="y")
    model = Scripted([same, same, same, "I could not find it."])
    trace = await Agent(model, [explode]).arun("x")
    assert (trace.stop_reason, trace.answer) == ("stuck", "I could not find it.")
    assert [s.kind for s in trace.steps] == ["act", "act", "act", "answer"]
    nudge = trace.steps[1].observations[0]
    assert nudge.error == "repeated_call" and "already called explode" in nudge.content
    # the repeat was answered from memory, not run again
    assert trace.steps[1].observations[0].started_at == 0.0


async def test_repeat_of_a_successful_call_ends_with_the_answer():
    """A turn that asks only for what the run already has: the model is done looking up."""
    model = Scripted([call("add", a=1, b=2), call("add", a=1, b=2), "It is 3."])
    trace = await Agent(model, [add]).arun("1+2?")
    assert (trace.answer, trace.stop_reason) == ("It is 3.", "answer")
    assert [s.kind for s in trace.steps] == ["act", "act", "answer"]
    # the answer turn reads the question and the results only
    assert [m.role for m in model.calls[2]] == ["system", "user"]
    assert 'add({"a": 1, "b": 2}) -> 3' in model.calls[2][1].content


async def test_a_call_sent_again_with_an_empty_optional_added_is_a_repeat():
    """``post(text, tags=[])`` after ``post(text)`` worked asks for the same thing: it is not
    run (a post made twice is a wrong state), while a real change of argument is a new call."""
    posts = []

    @tool
    def post(text: str, tags: list[str] | None = None) -> str:
        """Posts text with optional tags."""
        posts.append((text, tags))
        return f"posted {len(posts)}"

    model = Scripted([call("post", text="hi"), call("post", text="hi", tags=[]), "Done."])
    trace = await Agent(model, [post]).arun("post hi")
    assert posts == [("hi", None)]
    assert trace.steps[1].observations[0].error == "repeated_call"
    assert trace.answer == "Done."

    posts.clear()
    model = Scripted([call("post", text="hi"), call("post", text="hi", tags=["x"]), "Done."])
    await Agent(model, [post]).arun("post hi")
    assert posts == [("hi", None), ("hi", ["x"])]


async def test_a_failed_call_sent_again_with_an_empty_value_added_is_run():
    """``make_list(title)`` failed for want of ``items``: ``items=[]`` may be the fix."""
    lists = []

    @tool
    def make_list(title: str, items: list[str] | None = None) -> str:
        """Makes a list."""
        if items is None:
            raise ValueError("items is required but missing")
        lists.append(title)
        return "made"

    model = Scripted([call("make_list", title="x"), call("make_list", title="x", items=[]),
                      "Done."])
    trace = await Agent(model, [make_list]).arun("make list x")
    assert lists == ["x"]
    assert trace.steps[1].observations[0].ok


async def test_duplicate_calls_in_one_turn_run_once():
    runs = []

    @tool
    def record(x: str) -> str:
        """Records x."""
        runs.append(x)
        return x

    turn = "\n".join([call("record", x="a"), call("record", x="a"), call("record", x="b")])
    model = Scripted([turn, "a and b"])
    trace = await Agent(model, [record]).arun("x")
    assert sorted(runs) == ["a", "b"]
    assert [o.error for o in trace.steps[0].observations] == [None, "duplicate_call", None]
    assert model.calls[1][-1].content.count("<tool_response>") == 2


async def test_follow_up_turns_run_their_first_new_call_only():
    first = "\n".join([call("add", a=1, b=1), call("add", a=2, b=2)])
    follow = "\n".join([call("add", a=1, b=1), call("add", a=3, b=3), call("add", a=4, b=4)])
    model = Scripted([first, follow, "done"])
    trace = await Agent(model, [add]).arun("x")
    assert [o.content for o in trace.steps[0].observations] == ["2", "4"]
    # the repeat and the call after the first new one were not run
    assert [c.arguments for c in trace.steps[1].calls] == [{"a": 3, "b": 3}]
    assert [o.content for o in trace.steps[1].observations] == ["6"]
    # the first turn may write a fan-out; later ones fewer calls, and only the first new runs
    assert '( "\\n" tw-call ){0,5}' in model.kwargs[0]["constraint"].value
    assert '( "\\n" tw-call ){0,2}' in model.kwargs[1]["constraint"].value
    shown = model.calls[2][-1].content
    assert "<tool_response>\n6\n</tool_response>" in shown and "8" not in shown


async def test_calls_of_one_step_run_concurrently():
    turn = "\n".join(call("nap", label=str(i)) for i in range(4))
    model = Scripted([turn, "done"])
    trace = await Agent(model, [nap]).arun("x")
    obs = trace.steps[0].observations
    assert [o.content for o in obs] == ["0", "1", "2", "3"]
    # every call started before any ended: they overlapped
    assert max(o.started_at for o in obs) < min(o.ended_at for o in obs)


async def test_unparseable_turn_gets_one_repair_then_stops():
    broken = '<tool_call>\n{"name": "add", "arguments": {"a": 1,,}}\n</tool_call>'
    model = Scripted([broken, call("add", a=1, b=2), "3"])
    trace = await Agent(model, [add], constrained=False).arun("x")
    assert trace.stop_reason == "answer" and trace.steps[0].kind == "error"
    assert "could not be read" in model.calls[1][-1].content
    model = Scripted([broken, broken, "I could not find it."])
    trace = await Agent(model, [add], constrained=False).arun("x")
    # stopped after the repair; the answer turn (no results to show) still answers
    assert (trace.stop_reason, trace.answer) == ("error", "I could not find it.")
    assert len(model.calls) == 3


async def test_unknown_tool_is_reported_to_the_model():
    model = Scripted([call("multiply", a=1, b=2), "ok"])
    trace = await Agent(model, [add]).arun("x")
    obs = trace.steps[0].observations[0]
    assert obs.error == "unknown_tool" and "add" in obs.content


async def test_cancellation_ends_the_trace_and_propagates(tmp_path):
    model = Scripted([call("nap", label=str(i)) for i in range(50)], delay_s=0.05)
    path = tmp_path / "t.jsonl"
    task = asyncio.create_task(Agent(model, [nap], max_steps=50).arun("x", trace_path=path))
    await asyncio.sleep(0.5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    trace = Trace.load(path)
    assert trace.stop_reason == "cancelled" and trace.steps


async def test_trace_survives_a_killed_run(tmp_path):
    model = Scripted([call("add", a=1, b=2), call("add", a=3, b=4), "7"])
    path = tmp_path / "t.jsonl"
    await Agent(model, [add]).arun("x", trace_path=path)
    lines = path.read_text().splitlines()
    # simulate a kill mid-write: drop the end event and tear the last step line
    path.write_text("\n".join(lines[:-2]) + "\n" + lines[-2][: len(lines[-2]) // 2])
    trace = Trace.load(path)
    assert len(trace.steps) == 2 and trace.stop_reason == ""
    assert trace.steps[1].observations[0].content == "7"


def test_sync_run_and_listeners():
    events = []
    model = Scripted(["Just an answer."])
    trace = Agent(model, [add]).run("x", listeners=[events.append])
    assert trace.answer == "Just an answer."
    assert [e["event"] for e in events] == ["start", "step_start", "step", "end"]


async def test_an_answer_that_names_a_tool_is_asked_again_with_a_call_required():
    model = Scripted(["I will use add to find it.", call("add", a=2, b=3), "It is 5."])
    trace = await Agent(model, [add]).arun("2+3?")
    assert (trace.answer, trace.stop_reason) == ("It is 5.", "answer")
    assert [s.kind for s in trace.steps] == ["think", "act", "answer"]
    root = next(line for line in model.kwargs[1]["constraint"].value.splitlines()
                if line.startswith("root ::="))
    assert "tw-lead" not in root  # the retold turn had no answer path
    # the intent was not put into the history
    assert [m.role for m in model.calls[1]] == ["system", "user"]


async def test_a_call_written_as_text_twice_is_never_the_answer():
    text = '>{"name": "add", "arguments": {"a": 2}}'
    model = Scripted(["I will use add to find it.", text, "It is 5."])
    trace = await Agent(model, [add]).arun("2+3?")
    # asked again with a call required, the model wrote the call as text once more: the
    # answer turn (plain text) answers instead, unaided (no call succeeded: "stuck")
    assert (trace.answer, trace.stop_reason) == ("It is 5.", "stuck")
    assert [s.kind for s in trace.steps] == ["think", "think", "answer"]


async def test_after_results_an_answer_naming_a_tool_becomes_the_answer_turn():
    model = Scripted([call("add", a=2, b=3), 'add(a=2, b=3)', "It is 5."])
    trace = await Agent(model, [add]).arun("2+3?")
    assert (trace.answer, trace.stop_reason) == ("It is 5.", "answer")
    assert "Answer the question from these results" in model.calls[2][-1].content


async def test_a_failed_call_names_other_tools_that_fit_the_question():
    @tool
    def get_product_price(product: str) -> str:
        """Price of a product in the shop."""
        raise ValueError(f"unknown product {product!r}")

    @tool
    def lookup_ticker(company: str) -> str:
        """The stock ticker symbol of a company, by the company's name."""
        return "HLF"

    @tool
    def get_stock_price(symbol: str) -> str:
        """The share price of a stock, by its ticker symbol."""
        return "87.40"

    model = Scripted([call("get_product_price", product="Halcyon Foods"), "gave up"])
    tools = [get_product_price, lookup_ticker, get_stock_price]
    trace = await Agent(model, tools).arun("What is the ticker symbol of the company Halcyon Foods?")
    failed = trace.steps[0].observations[0]
    assert "lookup_ticker(company)" in failed.hint and "get_product_price(" not in failed.hint
    assert failed.hint in model.calls[1][-1].content


async def test_a_tool_that_failed_before_the_results_is_retried_with_their_values():
    """A chain begun at its end: the price by company name fails, the ticker comes back, the
    model repeats itself; the failed tool is called once more, its argument a result."""
    @tool
    def lookup_ticker(company: str) -> str:
        """The ticker of a company."""
        return "NOVD"

    @tool
    def get_stock_price(symbol: str) -> str:
        """The share price of a ticker."""
        if symbol != "NOVD":
            raise ValueError(f"unknown symbol {symbol!r}")
        return "142.35"

    model = Scripted([call("get_stock_price", symbol="Nova"), call("lookup_ticker", company="Nova"),
                      call("lookup_ticker", company="Nova"), call("get_stock_price", symbol="NOVD"),
                      "It is 142.35."])
    trace = await Agent(model, [lookup_ticker, get_stock_price]).arun("Price of Nova?")
    assert trace.answer == "It is 142.35." and trace.steps[3].observations[0].content == "142.35"
    retry = model.kwargs[3]["constraint"].value
    assert "lookup_ticker" not in retry and '\\"NOVD\\"' in retry


async def test_the_retry_leaves_out_a_tool_already_called_with_every_result_value():
    """Both tools failed before the ticker came back; the wrong one was then tried with the
    ticker too, so the retry offers only the other."""
    @tool
    def lookup_ticker(company: str) -> str:
        """The ticker of a company."""
        return "NOVD"

    @tool
    def get_product_price(product: str) -> str:
        """The price of a product."""
        raise ValueError(f"unknown product {product!r}")

    @tool
    def get_stock_price(symbol: str) -> str:
        """The share price of a ticker."""
        if symbol != "NOVD":
            raise ValueError(f"unknown symbol {symbol!r}")
        return "142.35"

    model = Scripted([call("get_product_price", product="Nova"),
                      call("get_stock_price", symbol="Nova"),
                      call("lookup_ticker", company="Nova"),
                      call("get_product_price", product="NOVD"),
                      call("lookup_ticker", company="Nova"),
                      call("get_stock_price", symbol="NOVD"), "It is 142.35."])
    trace = await Agent(model, [lookup_ticker, get_product_price, get_stock_price]).arun(
        "Price of Nova?")
    assert trace.answer == "It is 142.35."
    retry = model.kwargs[5]["constraint"].value
    assert "get_stock_price" in retry and "get_product_price" not in retry
