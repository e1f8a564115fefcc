"""The agent benchmark (bench/agent*.py): its world, its generated suite, and the report table.

No real model: the suite is run with oracles (latency of the world's tools set to 0)."""

from __future__ import annotations

import importlib
import importlib.util
import sys
from collections import Counter
from pathlib import Path

import pytest
from rich.console import Console

from toolweave.eval.suite.format import load_suite
from toolweave.eval.suite.run import TaskOutcome, run_suite
from toolweave.eval.suite.score import TaskScore, contains_answer
from toolweave.eval.suite.tools import SuiteToolbox
from toolweave.formats import get_format
from toolweave.models.base import StreamingModel
from toolweave.runtime.executor import NOT_RUN
from toolweave.trace_file import save_trace
from toolweave.types import Completion, Delta, Observation, Step, ToolCall, Trace, Usage

BENCH = Path(__file__).parents[2] / "bench"
SUITE = BENCH / "agent_suite.yaml"
QUIET = Console(quiet=True)
# run_suite serializes the suite; its `python:` entry trips a harmless pydantic warning (see
# bench/agent.py)
pytestmark = pytest.mark.filterwarnings("ignore:Pydantic serializer warnings:UserWarning")
# bench/ is not a package: its modules import each other by plain name, as the suite's
# `python: agent_world:TOOLS` does
sys.path.insert(0, str(BENCH))
world = importlib.import_module("agent_world")
gen = importlib.import_module("agent_suite_gen")
_spec = importlib.util.spec_from_file_location("bench_agent", BENCH / "agent.py")
bench_agent = sys.modules["bench_agent"] = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench_agent)


@pytest.fixture(autouse=True)
def no_latency(monkeypatch):
    monkeypatch.setattr(world, "LATENCY_SCALE", 0.0)


class StagedOracle(StreamingModel):
    """Plays each task's ideal run (from the generator) in the react loop: the first stage of
    calls in one turn (a fan-out), then one call per turn (react runs the first new call of a
    follow-up turn), skipping calls the runtime made itself (a correction, a fan-out's other
    items), then the first acceptable answer (also to the calculation turn)."""

    name = "oracle"
    constraint_kinds = frozenset({"json_schema", "regex", "grammar:gbnf", "grammar:lark"})

    def __init__(self, plans):
        self.plans = {p.question: p for p in plans}

    async def stream(self, messages, **kwargs):
        if messages[0].content.startswith(("You turn a question", "You answer a question")):
            # the calculation and answer turns (their own prompts): the expected answer
            (plan,) = [p for p in self.plans.values() if p.question in messages[-1].content]
            yield Delta(completion=Completion(text=plan.answers[0], model=self.name))
            return
        plan = self.plans[next(m.content for m in messages if m.role == "user")]
        hermes = get_format("hermes")
        # the calls in the history, the runtime's own (a correction, a fan-out) among them
        made = [(c.name, c.arguments) for m in messages if m.role == "assistant"
                for c in hermes.parse(m.content).calls]
        turns = plan.stages[:1] + [[call] for stage in plan.stages[1:] for call in stage]
        left = [[c for c in turn if c not in made] for turn in turns]
        left = [turn for turn in left if turn]
        if left:
            calls = [ToolCall(name=n, arguments=a) for n, a in left[0]]
            text = hermes.assistant_message("", calls).content
        else:
            text = plan.answers[0]
        yield Delta(completion=Completion(text=text, model=self.name))


def test_suite_has_the_shapes_tools_and_min_calls():
    suite = load_suite(SUITE)
    assert len(suite.tasks) >= 64
    shapes = Counter()
    for task in suite.tasks:
        (shape,) = [t for t in task.tags if t in gen.SHAPES]  # exactly one shape tag
        shapes[shape] += 1
        assert task.tools is None and task.calls is None  # every tool; scored by the answer
        assert task.min_calls is not None and (task.min_calls == 0) == (shape == "notool")
    assert set(shapes) == set(gen.SHAPES) and min(shapes.values()) >= 8
    names = SuiteToolbox(suite).registry(suite.tasks[0]).names()
    assert len(world.TOOLS) >= 13 and names == [*(t.name for t in world.TOOLS), "calculator"]
    for t in world.TOOLS:  # the model sees every argument described
        props = t.spec.parameters["properties"]
        assert t.spec.description and all(p.get("description") for p in props.values())


def test_regenerating_gives_the_identical_file():
    plans = gen.planned_tasks()
    assert gen.render(plans) == SUITE.read_text(encoding="utf-8")
    by_id = {t.id: t for t in load_suite(SUITE).tasks}
    assert all(by_id[p.id].min_calls == p.min_calls for p in plans)


def test_the_generator_builds_the_librarys_planned_record_by_keyword():
    from toolweave.distill.worlds import Planned

    plans = gen.planned_tasks()
    assert all(type(p) is Planned and p.world == "" for p in plans)  # one world, unnamed
    with pytest.raises(TypeError):  # positional construction is what hid the old duplicate
        Planned("single", "What is 1 + 1?", ["2"])
    one = Planned(shape="single", question="q", answers=["a"], stages=[[("f", {})], [("g", {})]])
    assert one.min_calls == 2 and one.reference()["world"] == ""


def test_every_ideal_run_passes_and_reads_its_answer_from_the_tools(tmp_path):
    plans = gen.planned_tasks()
    result = run_suite(SUITE, StagedOracle(plans), ["react"], tmp_path, console=QUIET,
                       show_progress=False)
    assert [o.id for o in result.outcomes if not o.score.passed] == []
    by_id = {p.id: p for p in plans}
    for outcome in result.outcomes:
        plan = by_id[outcome.id]
        # the runtime's own calculation may stand in for the calculator stage: a fan-out
        # whose numbers are all in goes straight to it
        calculator = sum(name == "calculator" for stage in plan.stages for name, _ in stage)
        assert len(outcome.calls) in (plan.min_calls, plan.min_calls - calculator), outcome.id
        observations = [o for s in Trace.load(tmp_path / outcome.trace).steps
                        for o in s.observations if o.error not in NOT_RUN]
        failed = [o.content for o in observations if not o.ok]
        if plan.shape == "recovery":  # the natural first call fails and says how to fix it
            assert len(failed) == 1 and "did you mean" in failed[0]
        else:
            assert failed == []
        if plan.stages and len(plan.stages[-1]) == 1 and len(outcome.calls) == plan.min_calls:
            # the answer is the last tool's output
            assert contains_answer(observations[-1].content, plan.answers), outcome.id
    # the same outcomes, through the report: no run made more than the minimum of calls
    rows = bench_agent.model_rows(result.suite, "oracle", ["react"], result.outcomes, tmp_path)
    assert rows[0].shape == "all" and rows[0].cells()[3] == f"{len(plans)}/{len(plans)} 100%"
    need, made = sum(p.min_calls for p in plans), sum(len(o.calls) for o in result.outcomes)
    assert made <= need and rows[0].calls_cell() == f"{made}/{need} ({made / need:.2f})"


def test_the_suites_own_oracle_passes_a_few_of_each_shape(tmp_path):
    result = run_suite(SUITE, "oracle", ["react"], tmp_path, limit=14, console=QUIET,
                       show_progress=False)
    assert result.pass_rate() == 1.0
    assert Counter(o.tags[0] for o in result.outcomes) == {s: 2 for s in gen.SHAPES}


@pytest.mark.parametrize(("tool", "arguments", "message"), [
    ("get_weather", {"city": "Brenholm"}, "unknown city 'Brenholm'; did you mean 'Brennholm'?"),
    ("get_product_price", {"product": "zephir lamp"}, "did you mean 'Zephyr Lamp'?"),
    ("get_order", {"order_id": "#10234"}, "order ids start with 'ORD-'; did you mean 'ORD-10234'"),
    ("get_stock_price", {"ticker": "Nova Dynamics"}, "company name, not a ticker"),
    ("get_currency", {"country": "Brennholm"}, "is a city, not a country"),
    ("get_weather", {"city": "Atlantis"}, "known: Brennholm, Calvera"),
    ("get_distance", {"from_city": "Halvik", "to_city": "halvik"}, "two different cities"),
])
async def test_tool_errors_say_how_to_recover(tool, arguments, message):
    registry = {t.name: t for t in world.TOOLS}
    observation = await registry[tool].invoke(ToolCall(name=tool, arguments=arguments))
    assert not observation.ok and message in observation.content


async def test_tools_answer_case_insensitively_with_short_values():
    registry = {t.name: t for t in world.TOOLS}

    async def call(tool_name, /, **arguments):
        observation = await registry[tool_name].invoke(
            ToolCall(name=tool_name, arguments=arguments))
        assert observation.ok, observation.content
        return observation.content

    assert await call("get_weather", city="brennholm") == "14 °C, cloudy"
    assert await call("get_exchange_rate", from_currency="vlc", to_currency="USD") == \
        "1 VLC = 0.25 USD"
    assert '"manager":"Tomas Hallberg"' in await call("get_employee", name="Alice Moreau")


def test_latency_is_deterministic_and_in_range():
    values = [world.latency(name, args) for p in gen.planned_tasks()
              for stage in p.stages for name, args in stage]
    assert values == [world.latency(name, args) for p in gen.planned_tasks()
                      for stage in p.stages for name, args in stage]
    assert 0.1 <= min(values) and max(values) <= 0.6 + 1e-9 and len(set(values)) > 5


def _outcome(i, *, passed, wall, calls, answer="x", stop="answer", shape="chain", steps=2):
    return TaskOutcome(id=f"t{i}", strategy="react", fingerprint="f", tags=[shape],
                       answer=answer, stop_reason=stop, steps=steps, wall_s=wall,
                       calls=[ToolCall(name="c") for _ in range(calls)],
                       score=TaskScore(passed=passed))


def test_table_columns_from_synthetic_runs():
    RunStats = bench_agent.RunStats
    stats = [RunStats(_outcome(i, passed=i < 7, wall=float(i + 1), calls=3), min_calls=2,
                      usage_steps=2, evaluated=300, new=100) for i in range(9)]
    stats.append(RunStats(_outcome(9, passed=False, wall=10.0, calls=1, answer=None,
                                   stop="max_steps", shape="recovery", steps=8),
                          min_calls=2, had_data=True, usage_steps=8, evaluated=400, new=100))
    stats.append(RunStats(_outcome(10, passed=False, wall=0.5, calls=0, answer="  ",
                                   stop="stuck", shape="recovery"), min_calls=2))
    rows = bench_agent.build_rows("m", ["react", "dag"], stats, {"chain": 9, "recovery": 3})
    assert [(r.strategy, r.shape) for r in rows] == [("react", "all"), ("react", "chain"),
                                                    ("react", "recovery")]
    everything, chain, recovery = rows
    cells = dict(zip(bench_agent.HEADER, everything.cells(), strict=True))
    assert cells["solved"] == "7/11 64% (11 of 12 run)"
    assert cells["median s"] == "5.0"  # walls 0.5, 1..9, 10 → the 6th of 11
    assert cells["p90 s"] == "9.0"  # nearest rank: the 10th of 11
    assert cells["steps"] == f"{(9 * 2 + 8 + 2) / 11:.1f}"
    assert cells["calls / min"] == "28/22 (1.27)"
    assert cells["stops"] == "answer 9, max_steps 1, stuck 1"
    assert cells["empty (data)"] == "2 (1)"
    steps = 9 * 2 + 8  # with a completion
    assert cells["prompt ev/new per step"] == f"{3100 / steps:.0f}/{1000 / steps:.0f} (3.10)"
    assert chain.cells()[3] == "7/9 78%" and recovery.empty_cell() == "2 (1)"
    assert recovery.calls_cell() == "1/4 (0.25)"
    no_new = bench_agent.Row("m", "react", "all", [RunStats(_outcome(0, passed=True, wall=1.0,
                                                                   calls=0), min_calls=0,
                                                          usage_steps=1, evaluated=50)])
    assert no_new.tokens_cell() == "50/–" and no_new.calls_cell() == "0/0 (–)"
    assert bench_agent.percentile([3.0, 1.0, 2.0], 90) == 3.0


def test_trace_stats_and_report_only(tmp_path):
    trace = Trace(question="q", steps=[
        Step(index=0, calls=[ToolCall(name="get_weather")],
             observations=[Observation(call_id="1", tool="get_weather", content="err", ok=False)],
             completion=Completion(usage=Usage(prompt_tokens=120, prompt_tokens_evaluated=120))),
        Step(index=1, observations=[Observation(call_id="2", tool="get_weather", content="9")],
             completion=Completion(usage=Usage(prompt_tokens=160, prompt_tokens_evaluated=40)))])
    save_trace(trace, tmp_path / "traces" / "t.jsonl")
    outcome = _outcome(0, passed=True, wall=1.0, calls=2)
    outcome.trace = "traces/t.jsonl"
    stats = bench_agent.read_trace(outcome, tmp_path, 2)
    assert (stats.had_data, stats.usage_steps, stats.evaluated) == (True, 2, 160)
    missing = bench_agent.read_trace(outcome.model_copy(update={"trace": "nowhere"}), tmp_path, 2)
    assert (missing.had_data, missing.usage_steps) == (False, 0)

    out = tmp_path / "bench"
    run_suite(SUITE, "oracle", ["react"], bench_agent.model_dir(out, "oracle"), limit=7,
              console=QUIET, show_progress=False)
    md, png = tmp_path / "table.md", tmp_path / "chart.png"
    code = bench_agent.main(["--models", "oracle,tiny", "--strategies", "react", "--limit", "7",
                             "--out", str(out), "--report-only", "--markdown", str(md),
                             "--chart", str(png)])
    assert code == 0
    text = md.read_text()
    assert "| **oracle** | **react** | **all** | **7/7 100%** |" in text
    assert "| oracle | react | notool | 1/1 100% |" in text and "tiny" not in text
    assert png.stat().st_size > 0
