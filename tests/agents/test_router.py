"""The `auto` router with the `Scripted` model: routes, effort settings, meta, delegation."""

from __future__ import annotations

import json

import pytest

from toolweave.agents import Agent
from toolweave.agents.agent import STRATEGIES
from toolweave.agents.preact import PreactStrategy
from toolweave.agents.router import (
    ROUTE_GRAMMAR,
    RouterStrategy,
    effort_settings,
    heuristic_route,
    parse_route,
    verbosity_instruction,
)
from toolweave.models import Scripted
from toolweave.models.openai_compat import OpenAICompatible
from toolweave.tools import tool


@pytest.fixture(autouse=True)
def registered(monkeypatch):
    monkeypatch.setitem(STRATEGIES, "preact", PreactStrategy)
    monkeypatch.setitem(STRATEGIES, "auto", RouterStrategy)


def call(name: str, **arguments) -> str:
    return f"<tool_call>\n{json.dumps({'name': name, 'arguments': arguments})}\n</tool_call>"


@tool
def lookup(query: str) -> str:
    """Look something up."""
    return f"facts about {query}"


@pytest.mark.parametrize("question, strategy, effort", [
    ("What is the weather in Paris?", "react", "minimal"),
    ("What is the current population of the largest city in Japan today?", "react", "low"),
    ("Compare the populations of France and Germany.", "dag", "low"),
    ("What is the population of Tokyo and the population of Delhi?", "dag", "low"),
    ("Get the weather for each of these cities: Oslo, Lima.", "dag", "low"),
    ("Find the CEO of Acme, then look up where that person was born.", "preact", "medium"),
    ("Which company made the phone whose camera won the 2023 award?", "preact", "medium"),
    (" ".join(["Find the CEO of Acme and then"] * 8), "preact", "high"),
])
def test_heuristic_routes(question, strategy, effort):
    route = heuristic_route(question)
    assert (route.strategy, route.effort) == (strategy, effort), route.why


def test_parse_route():
    assert parse_route("strategy: dag; effort: high").model_dump(exclude={"why"}) == {
        "strategy": "dag", "effort": "high", "source": "model"}
    assert parse_route("I think react") is None


def test_route_grammar_compiles():
    from llama_cpp import LlamaGrammar

    LlamaGrammar.from_string(ROUTE_GRAMMAR, verbose=False)


def test_effort_settings_per_model():
    class Named:
        def __init__(self, name):
            self.name = name

    assert effort_settings("low", Named("Qwen3-4B-Q4_K_M")) == {"system_suffix": "/no_think"}
    assert effort_settings("high", Named("qwen3-4b")) == {"system_suffix": "/think"}
    # the 2507 models are not hybrid: the soft switch does nothing there
    assert effort_settings("high", Named("Qwen3-4B-Thinking-2507")) == {"step_max_tokens": 768}
    server = OpenAICompatible("http://127.0.0.1:9/v1", model="gpt-5-mini", dialect="openai")
    assert effort_settings("minimal", server) == {"reasoning": "minimal"}
    plain = OpenAICompatible("http://127.0.0.1:9/v1", model="x", dialect="llama-server")
    assert effort_settings("medium", plain) == {"step_max_tokens": 384}
    assert effort_settings("minimal", Scripted([])) == {"step_max_tokens": 128}
    assert effort_settings("auto", Scripted([])) == {}


def test_verbosity_instruction():
    assert "short" in verbosity_instruction("low")
    assert "thorough" in verbosity_instruction("high")
    with pytest.raises(ValueError):
        RouterStrategy(verbosity="loud")


async def test_routes_to_react_and_records_meta(tmp_path):
    model = Scripted([call("lookup", query="Paris weather"), "Sunny."])
    path = tmp_path / "t.jsonl"
    trace = await Agent(model, [lookup], strategy="auto").arun(
        "What is the weather in Paris?", trace_path=path)
    assert (trace.answer, trace.stop_reason) == ("Sunny.", "answer")
    route = trace.meta["route"]
    assert (route["strategy"], route["effort"], route["source"]) == ("react", "minimal",
                                                                       "heuristic")
    assert route["settings"] == {"step_max_tokens": 128}
    assert model.kwargs[0]["max_tokens"] == 128  # the effort reached the model
    assert [s.kind for s in trace.steps] == ["act", "answer"]
    from toolweave.types import Trace

    assert Trace.load(path).meta["route"]["strategy"] == "react"


async def test_routes_to_preact_with_verbosity():
    model = Scripted(["1. lookup - find the CEO\n2. final answer - done", call("lookup", query="CEO"),
                      "1. final answer - found", "Jane."])
    agent = Agent(model, [lookup], strategy="auto", verbosity="low")
    trace = await agent.arun("Find the CEO of Acme, then look up where that person was born.")
    assert trace.meta["route"]["strategy"] == "preact" and trace.answer == "Jane."
    assert [s.kind for s in trace.steps][:2] == ["plan", "act"]
    assert "Keep the final answer short" in model.calls[0][0].content


async def test_model_route_delegates_to_dag():
    model = Scripted(["strategy: dag; effort: high",
                      "1. What is A?", '1. lookup({"query": "A"})\njoin()',
                      "Answer: A is a letter."])
    agent = Agent(model, [lookup], strategy="auto", route_with_model=True)
    trace = await agent.arun("What is the weather in Paris?")
    route = trace.meta["route"]
    assert (route["strategy"], route["effort"], route["source"]) == ("dag", "high", "model")
    assert trace.steps[0].kind == "think"
    assert model.kwargs[0]["constraint"].value == ROUTE_GRAMMAR
    assert trace.answer == "A is a letter." and trace.stop_reason == "answer"


async def test_unreadable_model_route_falls_back():
    model = Scripted(["no idea", call("lookup", query="x"), "Done."])
    trace = await Agent(model, [lookup], strategy="auto", constrained=False,
                        route_with_model=True).arun("Weather in Oslo?")
    assert trace.meta["route"]["source"] == "heuristic" and trace.answer == "Done."
    assert trace.steps[0].error


async def test_verbosity_reaches_every_strategy():
    model = Scripted(["Paris."])
    await Agent(model, [lookup], verbosity="high").arun("Capital of France?")
    assert "thorough" in model.calls[0][0].content
    with pytest.raises(ValueError, match="verbosity"):
        Agent(model, [lookup], verbosity="loud")


async def test_explicit_reasoning_is_kept():
    model = Scripted(["Hi."])
    trace = await Agent(model, [lookup], strategy="auto", reasoning="high").arun("Hello there?")
    assert trace.meta["route"]["effort"] == "high" and trace.meta["route"]["source"] == "fixed"


async def test_measured_routes_send_a_shape_where_the_model_did_best(monkeypatch):
    """A fan-out's wording suggests dag; where the benchmark measured react better on this
    model, auto runs react (and says why)."""
    from toolweave.agents import router

    monkeypatch.setitem(router.MEASURED_ROUTES, "measured-model", {"fanout": "react"})
    question = "Compare the weather in Oslo and Lima."

    @tool
    def get_weather(city: str) -> str:
        """Weather in a city."""
        return "sunny"

    measured = Scripted(['<tool_call>\n{"name": "get_weather", "arguments": {"city": "Oslo"}}'
                         '\n</tool_call>', "Sunny in both."], name="measured-model")
    trace = await Agent(measured, [get_weather], strategy="auto").arun(question)
    assert trace.meta["route"]["strategy"] == "react" and "measured" in trace.meta["route"]["why"]
    # at the step budget it was measured with, not the wording's effort
    assert trace.meta["route"]["effort"] == "auto" and trace.meta["route"]["settings"] == {}
    other = router.measured_route(router.heuristic_route(question), "unmeasured-model")
    assert other.strategy == "dag" and other.effort != "auto"
