"""Synthetic tool worlds (toolweave.distill.worlds): determinism, variety, every shape, and every
generated task solved by its own reference run through the real Agent and the suite scorer.

No real model: a `Scripted` model plays each task's ideal run."""

from __future__ import annotations

import importlib
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from typer.testing import CliRunner

from toolweave.agents import Agent
from toolweave.distill.worlds import (
    SHAPES,
    generate_worlds,
    split_worlds,
    world_suite,
    world_tasks,
    write_worlds,
)
from toolweave.distill.worlds.engine import LATENCY_ENV, latency
from toolweave.distill.worlds.names import fold
from toolweave.eval.suite.format import Suite, load_suite
from toolweave.eval.suite.run import SUITE_SETTINGS
from toolweave.eval.suite.score import contains_answer, score_task
from toolweave.eval.suite.tools import SuiteToolbox
from toolweave.formats import get_format
from toolweave.models import Scripted
from toolweave.runtime.executor import NOT_RUN
from toolweave.types import ToolCall

BENCH = Path(__file__).parents[2] / "bench"
HERMES = get_format("hermes")


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    return write_worlds(tmp_path_factory.mktemp("worlds"), seed=0, n=24, per_shape=2)


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file()}


def test_the_same_seed_writes_the_same_files_and_another_seed_differs(tmp_path):
    a = write_worlds(tmp_path / "a", seed=3, n=20, per_shape=1)
    generate_worlds.cache_clear()  # rebuilt from scratch, not the cached worlds
    write_worlds(tmp_path / "b", seed=3, n=20, per_shape=1)
    assert _files(tmp_path / "a") == _files(tmp_path / "b")
    other = write_worlds(tmp_path / "c", seed=4, n=20, per_shape=1)
    assert _files(tmp_path / "a")["references.jsonl"] != _files(tmp_path / "c")["references.jsonl"]
    # world i does not depend on how many worlds were asked for
    assert generate_worlds(3, 5)[4].tool_names == a.worlds[4].tool_names
    assert other.worlds[0].items != a.worlds[0].items


def test_at_least_twenty_distinct_worlds_with_their_own_tools_and_docs():
    worlds = generate_worlds(0, 24)
    assert len({w.id for w in worlds}) == 24 and len({w.domain.key for w in worlds}) >= 20
    names = [t.name for w in worlds for t in w.tools()]
    assert len(names) == len(set(names)) == 24 * 8  # no tool name shared by two worlds
    docs = [frozenset(t.description for t in w.tools()) for w in worlds]
    assert len(set(docs)) == 24
    params = Counter(p for w in worlds for p in w.params.values())
    assert len(params) >= 40  # parameter names vary too
    entities = [fold(n) for w in worlds for n in w.entity_names()]
    assert len(entities) == len(set(entities))
    for w in worlds:  # every tool documented, every argument described and typed
        for t in w.tools():
            (prop,) = t.spec.parameters["properties"].values()
            assert t.description and prop["description"] and prop["type"] == "string"


def test_every_world_asks_every_shape_and_many_kinds():
    openings: dict[str, set[str]] = {}
    for world in generate_worlds(0, 24):
        tasks = world_tasks(world, seed=0, per_shape=4)
        openings[world.id] = {" ".join(t.question.split()[:2]) for t in tasks}
        assert Counter(t.shape for t in tasks) == {s: 4 for s in SHAPES}
        assert len({t.question for t in tasks}) == len(tasks)
        for t in tasks:
            n = t.min_calls
            assert (n == 0) == (t.shape == "notool")
            if t.shape == "fanout":
                assert len(t.stages) == 1 and 2 <= n <= 8
            if t.shape == "chain":
                assert 2 <= len(t.stages) <= 4 and all(len(s) == 1 for s in t.stages)
            if t.shape == "diamond":
                assert len(t.stages) >= 2 and max(len(s) for s in t.stages) >= 2
            if t.shape == "arithmetic":
                assert t.stages[-1][0][0] == "calculator"
    # worlds word their questions differently, not only with other names
    assert len(set().union(*openings.values())) >= 30
    assert len({frozenset(o) for o in openings.values()}) == 24


def _staged(plan) -> object:
    """A Scripted reply playing ``plan``'s ideal run in the react loop: its first stage in one
    turn, then one call per turn, skipping calls the runtime made itself (a correction, a
    fan-out's other items), then the first acceptable answer (also to the calculation and
    answer turns, which have prompts of their own)."""

    def reply(messages):
        if messages[0].content.startswith(("You turn a question", "You answer a question")):
            return plan.answers[0]
        made = [(c.name, c.arguments) for m in messages if m.role == "assistant"
                for c in HERMES.parse(m.content).calls]
        turns = plan.stages[:1] + [[call] for stage in plan.stages[1:] for call in stage]
        left = [turn for turn in ([c for c in t if c not in made] for t in turns) if turn]
        if left:
            return HERMES.assistant_message(
                "", [ToolCall(name=n, arguments=a) for n, a in left[0]]).content
        return plan.answers[0]

    return reply


async def test_every_task_is_solved_by_its_reference_run_and_scored_correct(written,
                                                                           monkeypatch):
    # A failed call's hint names other tools found by the dense tool catalog: an embedder
    # run per registry, seconds each on 2 cores. The reference run needs no hint.
    for where in ("toolweave.runtime.context", "toolweave.agents.react"):
        monkeypatch.setattr(f"{where}.alternatives", lambda *a, **k: [])
    suite = load_suite(written.out / "train.yaml")
    test_suite = load_suite(written.out / "test.yaml")
    tasks = {t.id: t for s in (suite, test_suite) for t in s.tasks}
    toolboxes = {t.id: box for s in (suite, test_suite) for box in [SuiteToolbox(s)]
                 for t in s.tasks}
    plans = [p for planned in written.tasks.values() for p in planned]
    lists = {w.id: w.tool_names["group_items"] for w in written.worlds}
    recovery_errors: list[str] = []
    assert len(plans) == len(tasks) == 24 * 7 * 2
    for plan in plans:
        task = tasks[plan.id]
        registry = toolboxes[plan.id].registry(task)
        model = Scripted([_staged(plan)] * 12)
        trace = await Agent(model, registry, SUITE_SETTINGS).arun(task.question)
        ran = [(c, o) for s in trace.steps for c, o in zip(s.calls, s.observations, strict=True)
               if o.error not in NOT_RUN]
        calls = [c for c, _ in ran]
        assert score_task(task, trace.answer, calls).passed, (plan.id, trace.answer)
        calculator = sum(n == "calculator" for stage in plan.stages for n, _ in stage)
        assert len(calls) in (plan.min_calls, plan.min_calls - calculator), plan.id
        failed = [o.content for _, o in ran if not o.ok]
        if plan.shape == "recovery":  # the natural first call really fails, and says why
            assert len(failed) == 1 and not ran[0][1].ok, plan.id
            assert "did you mean" in failed[0] or "first" in failed[0], failed[0]
            recovery_errors.append(failed[0])
        else:
            assert failed == [], (plan.id, failed)
        if plan.shape == "notool":
            assert calls == [] and plan.stages == []
        elif plan.shape in ("chain", "recovery") or (
                plan.shape == "single" and plan.stages[0][0][0] != lists[plan.world]):
            # the answer is the last tool's output (not for a count of a group's list)
            assert contains_answer(ran[-1][1].content, plan.answers), plan.id
        seen = " ".join([task.question, *(o.content for _, o in ran)])
        for call in calls:  # a calculation uses only numbers the question or tools gave
            if call.name == "calculator":
                for number in re.findall(r"\d+(?:\.\d+)?", call.arguments["expression"]):
                    assert number in seen or number in ("2", "3", "4"), (plan.id, number)
    # both ways a name is corrected: a misspelling, and the wrong kind of name (an id)
    assert any("did you mean" in e for e in recovery_errors)
    assert any("look it up with" in e for e in recovery_errors)


def test_no_name_is_shared_with_the_benchmark_world():
    sys.path.insert(0, str(BENCH))
    try:
        data = importlib.import_module("agent_world_data")
        bench_tools = importlib.import_module("agent_world").TOOLS
    finally:
        sys.path.remove(str(BENCH))
    bench = {fold(n) for table in (data.CITIES, data.COUNTRIES, data.COMPANIES, data.PRODUCTS,
                                   data.EMPLOYEES, data.ORDERS, data.TICKERS) for n in table}
    bench |= {fold(code) for code, name, _ in data.COUNTRIES.values()}
    bench_tool_names = {t.name for t in bench_tools}
    for seed in (0, 1):
        for world in generate_worlds(seed, 24):
            names = {fold(n) for n in [*world.entity_names(), *world.records]}
            assert not names & bench, world.id
            assert not set(world.tool_names.values()) & bench_tool_names, world.id


def test_a_split_never_shares_a_world_or_a_domain(written):
    for seed in range(5):
        for fraction in (0.1, 0.25, 0.5):
            train, test = split_worlds(generate_worlds(seed, 30), fraction, seed)
            assert train and test and len(train) + len(test) == 30
            assert not {w.id for w in train} & {w.id for w in test}
            assert not {w.domain.key for w in train} & {w.domain.key for w in test}
    tags = {name: {t.tags[1] for t in load_suite(written.out / f"{name}.yaml").tasks}
            for name in ("train", "test")}
    assert tags["train"] and tags["test"] and not tags["train"] & tags["test"]
    assert tags["test"] == {w.id for w in written.test}
    with pytest.raises(ValueError, match="between 0 and 1"):
        split_worlds(generate_worlds(0, 24), 1.0)


def test_a_world_suite_document_loads_and_names_importable_tools():
    world = generate_worlds(0, 24)[5]
    suite = Suite.model_validate(world_suite(world, seed=0, per_shape=2))
    box = SuiteToolbox(suite)
    assert box.default_names == [*world.tool_names.values(), "calculator"]
    assert {tuple(t.tags) for t in suite.tasks} == {(s, world.id) for s in SHAPES}


@pytest.mark.parametrize(("role", "value", "message"), [
    ("item_info", "typo", "did you mean"),
    ("item_info", "group", "not a"),
    ("item_n1", "record", "id, not a"),
    ("record", "digits", "ids start with"),
    ("group_g1", "nothing", "known:"),
])
async def test_tool_errors_say_how_to_recover(role, value, message):
    world = generate_worlds(0, 24)[2]
    tools = {t.name: t for t in world.tools()}
    item, group, record = next(iter(world.items)), next(iter(world.groups)), \
        next(iter(world.records))
    argument = {"typo": item[:-1] + item[-1] * 2, "group": group, "record": record,
                "digits": record.split("-")[1], "nothing": "Qqqq"}[value]
    table = {"item_info": "item", "item_n1": "item", "record": "record", "group_g1": "group"}
    name = world.tool_names[role]
    observation = await tools[name].invoke(
        ToolCall(name=name, arguments={world.params[table[role]]: argument}))
    assert not observation.ok and message in observation.content


async def test_names_match_case_insensitively_and_latency_is_opt_in(monkeypatch):
    world = generate_worlds(0, 24)[1]
    name, param = world.tool_names["item_n1"], world.params["item"]
    item = next(iter(world.items))
    tool = next(t for t in world.tools() if t.name == name)
    observation = await tool.invoke(ToolCall(name=name, arguments={param: item.upper()}))
    assert observation.ok and observation.content.endswith(world.domain.n1.unit)
    assert observation.ended_at - observation.started_at < 0.05  # no sleep by default
    monkeypatch.setenv(LATENCY_ENV, "0.2")
    observation = await tool.invoke(ToolCall(name=name, arguments={param: item}))
    assert observation.ended_at - observation.started_at >= 0.2 * latency(name, {param: item})
    assert 0.1 <= latency(name, {param: item}) <= 0.6


def test_cli_writes_suites_that_load(tmp_path):
    from toolweave.cli import app

    result = CliRunner().invoke(app, ["distill", "worlds", "--out", str(tmp_path),
                                      "--worlds", "20", "--per-shape", "1", "--seed", "2"])
    assert result.exit_code == 0, result.output
    assert "140 tasks in 20 worlds" in " ".join(result.output.split())
    assert len(list((tmp_path / "worlds").glob("*.yaml"))) == 20
    for name in ("train", "test"):
        SuiteToolbox(load_suite(tmp_path / f"{name}.yaml"))
    bad = CliRunner().invoke(app, ["distill", "worlds", "--out", str(tmp_path / "x"),
                                   "--per-shape", "0"])
    assert bad.exit_code == 1 and "per_shape" in bad.output


def test_importing_toolweave_does_not_build_worlds():
    code = ("import sys, toolweave; "
            "print(any(m.startswith('toolweave.distill') for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.filterwarnings("ignore:Pydantic serializer warnings:UserWarning")
def test_eval_suite_runs_a_generated_suite_and_scores_it(written, tmp_path, monkeypatch):
    for where in ("toolweave.runtime.context", "toolweave.agents.react"):
        monkeypatch.setattr(f"{where}.alternatives", lambda *a, **k: [])
    from rich.console import Console

    from toolweave.eval.suite.run import run_suite

    plans = {p.question: p for planned in written.tasks.values() for p in planned}

    def reply(messages):
        question = next(m.content for m in messages if m.role == "user")
        plan = plans.get(question) or next(p for q, p in plans.items() if q in question)
        return _staged(plan)(messages)

    result = run_suite(written.out / "test.yaml", Scripted([reply] * 1000), ["react"],
                       tmp_path, limit=21, console=Console(quiet=True), show_progress=False)
    assert len(result.outcomes) == 21 and result.pass_rate() == 1.0
    assert {o.tags[0] for o in result.outcomes} == set(SHAPES)
    assert (tmp_path / "report.md").exists()
