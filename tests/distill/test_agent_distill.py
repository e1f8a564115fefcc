"""Agent distillation on synthetic worlds (issue 17, items 2-3): `collect_agent` runs a teacher
through the real Agent over `eval suite` tasks and keeps every turn's prompt; `build-agent`
keeps the correct, clean trajectories and writes one row per model turn, split by world.

No real model: a `Scripted` model plays each task's reference run (the ideal one), or a
flawed variant of it."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from toolweave.distill.agent.build import build_agent_dataset, rationale_instructions
from toolweave.distill.agent.collect import PROMPTS_KEY, collect_agent
from toolweave.distill.train_data import load_rows
from toolweave.distill.worlds import write_worlds
from toolweave.errors import TrainingDataError
from toolweave.eval.suite.format import SuiteError, load_suite
from toolweave.eval.suite.run import SUITE_SETTINGS
from toolweave.formats import get_format
from toolweave.models import Scripted
from toolweave.types import ToolCall, Trace

HERMES = get_format("hermes")
THOUGHT = "The tool for this is the one that reads that record."
QUIET = {"console": Console(quiet=True), "show_progress": False}


@pytest.fixture(autouse=True)
def _no_tool_catalog(monkeypatch):
    # A failed call's hint names other tools found by the dense tool catalog: an embedder run
    # per registry, seconds each on 2 cores. No reference run needs the hint.
    for where in ("toolweave.runtime.context", "toolweave.agents.react"):
        monkeypatch.setattr(f"{where}.alternatives", lambda *a, **k: [])


@pytest.fixture(scope="module")
def worlds(tmp_path_factory):
    return write_worlds(tmp_path_factory.mktemp("worlds"), seed=0, n=8, per_shape=1)


def _plans(worlds):
    return {p.question: p for planned in worlds.tasks.values() for p in planned}


def _plan_of(plans, messages):
    question = next(m.content for m in messages if m.role == "user")
    # the calculation and answer turns have prompts of their own, the question inside
    return plans.get(question) or next(p for q, p in plans.items() if q in question)


def player(worlds, flaws: dict[str, str] | None = None, asked: list[str] | None = None):
    """A Scripted teacher that plays each task's reference run: its first stage in one turn,
    then one call per turn (skipping calls the runtime made itself), then the first acceptable
    answer. ``flaws`` maps task ids to a flaw: ``wrong`` (another answer), ``repeat`` (the
    first call written again once), ``wasted`` (a needless lookup first); ``asked`` collects
    the ids of the tasks it was asked about."""
    plans, flaws = _plans(worlds), flaws or {}
    prosed: set[str] = set()

    def reply(messages):
        plan = _plan_of(plans, messages)
        if asked is not None and len(messages) == 2 and messages[0].content.startswith("You are"):
            asked.append(plan.id)
        flaw = flaws.get(plan.id)
        answer = "no idea" if flaw == "wrong" else plan.answers[0]
        if messages[0].content.startswith("You turn a question"):
            return expression(plan, messages[-1].content)
        if messages[0].content.startswith("You answer a question"):
            return answer
        made = [(c.name, c.arguments) for m in messages if m.role == "assistant"
                for c in HERMES.parse(m.content).calls]
        turns = plan.stages[:1] + [[call] for stage in plan.stages[1:] for call in stage]
        if flaw == "prose" and plan.id not in prosed and plan.stages:
            prosed.add(plan.id)  # once: then the call, as the agent asks again
            return f"I will call {plan.stages[0][0][0]} to look this up."
        if flaw == "guess":
            return answer
        if flaw == "wasted":
            turns = [[("calculator", {"expression": "1234 * 5678"})], *turns]
        if flaw == "extra":
            turns = [[*turns[0], ("calculator", {"expression": "1234 * 5678"})], *turns[1:]]
        if flaw == "repeat" and turns:
            first = turns[0][:1]
            turns = [turns[0], first, *turns[1:]]
            if len(made) == 1 and made[0] == first[0]:
                return HERMES.assistant_message(
                    "", [ToolCall(name=n, arguments=a) for n, a in first]).content
        left = [turn for turn in ([c for c in t if c not in made] for t in turns) if turn]
        if left:
            return HERMES.assistant_message(
                THOUGHT if flaw == "thought" else "",
                [ToolCall(name=n, arguments=a) for n, a in left[0]]).content
        return answer

    return Scripted([reply] * 10_000, name="teacher")


def expression(plan, prompt: str) -> str:
    """The calculation turn's expression: the reference run's calculator call; for a
    comparison, the extreme of the answering results' numbers; else the answer itself."""
    for stage in plan.stages:
        for name, arguments in stage:
            if name == "calculator":
                return arguments["expression"]
    answering = prompt.split("Results that answer the question:")[-1]
    numbers = [found.group(0) for line in answering.splitlines() if "->" in line
               for found in [re.search(r"-?\d+(?:\.\d+)?", line.split("->", 1)[1])] if found]
    extreme = re.search(r"\b(high|low|larg|small|few|least|most|cheap|young|old)\w*\b",
                        plan.question)
    if not extreme or len(numbers) < 2:
        return plan.answers[0]
    lowest = extreme.group(1) in ("low", "small", "few", "least", "cheap", "young")
    return f"{'min' if lowest else 'max'}({', '.join(numbers)})"


def test_collect_then_build_keeps_every_reference_run_one_row_per_turn(worlds, tmp_path):
    model = player(worlds)
    result = collect_agent(worlds.out / "train.yaml", model, tmp_path / "collect", **QUIET)
    assert result.pass_rate() == 1.0 and result.new_runs == len(result.outcomes) == 42
    first = result.outcomes[0]
    trace = Trace.load(tmp_path / "collect" / first.trace)
    assert trace.meta[PROMPTS_KEY] and trace.strategy == "react"
    # the prompts are what the model was sent, turn by turn, in the steps' order
    sent = [[{"role": m.role, "content": m.content} for m in call] for call in model.calls]
    recorded = [p for o in result.outcomes
                for p in Trace.load(tmp_path / "collect" / o.trace).meta[PROMPTS_KEY]]
    assert recorded == sent

    summary = build_agent_dataset([tmp_path / "collect"], tmp_path / "data", "action")
    # an ideal run has no repeated call and no wasted step, whatever its shape
    assert summary.collected == summary.kept == 42, summary.dropped
    rows = [json.loads(line) for line in (tmp_path / "data" / "train.jsonl").open()]
    assert len(rows) == len(sent) == summary.train_rows
    assert [r["prompt"] for r in rows] == sent  # action rows: the prompt exactly as sent
    for row in rows:  # the target parses as the step's own turn
        target = row["completion"][0]["content"]
        if row["kind"] == "act":
            assert HERMES.parse(target).calls and not HERMES.parse(target).text
        else:
            assert "<tool_call>" not in target
    # `distill train` reads the rows as they are
    assert len(load_rows(tmp_path / "data" / "train.jsonl")) == len(rows)
    assert {r["category"] for r in rows} >= {"single", "fanout", "chain", "diamond",
                                             "arithmetic", "notool", "recovery"}


def test_mixed_rows_ask_for_the_rationale_through_the_agents_instructions(worlds, tmp_path):
    collect_agent(worlds.out / "train.yaml", player(worlds), tmp_path / "collect", limit=14,
                  **QUIET)
    build_agent_dataset([tmp_path / "collect"], tmp_path / "data", "mixed", rationale_share=0.5)
    rows = [json.loads(line) for line in (tmp_path / "data" / "train.jsonl").open()]
    styles = {r["task_id"]: r["style"] for r in rows}
    assert set(styles.values()) == {"rationale", "action"}
    instructions = rationale_instructions()
    for row in rows:
        system, target = row["prompt"][0]["content"], row["completion"][0]["content"]
        if row["kind"] != "act":
            assert instructions not in system
            continue
        turn = HERMES.parse(target)
        if row["style"] == "rationale":
            # asked for it in the system prompt, the one line says where arguments came from
            assert instructions in system and turn.calls
            assert turn.text.startswith("Call ") and "\n" not in turn.text
        else:
            assert instructions not in system and not turn.text


def test_the_teachers_own_thought_is_the_rationale_when_it_wrote_one(worlds, tmp_path):
    suite = load_suite(worlds.out / "train.yaml")
    thinking = {t.id: "thought" for t in suite.tasks[:7]}
    collect_agent(worlds.out / "train.yaml", player(worlds, thinking), tmp_path / "collect",
                  limit=14, **QUIET)
    summary = build_agent_dataset([tmp_path / "collect"], tmp_path / "data", "rationale")
    acts = [json.loads(line) for line in (tmp_path / "data" / "train.jsonl").open()]
    acts = [r for r in acts if r["kind"] == "act"]
    own = [r for r in acts if r["task_id"] in thinking]
    derived = [r for r in acts if r["task_id"] not in thinking]
    assert own and derived and summary.derived_rationales == len(derived)
    for row in own:
        assert HERMES.parse(row["completion"][0]["content"]).text == THOUGHT
    for row in derived:  # where each argument came from, read off the trace
        text = HERMES.parse(row["completion"][0]["content"]).text
        assert text.startswith("Call ") and "from the" in text, text


def test_a_turn_the_agent_set_aside_gives_no_row_and_the_run_is_kept(worlds, tmp_path):
    suite = load_suite(worlds.out / "train.yaml")
    chain = next(t.id for t in suite.tasks if t.tags[0] == "chain")
    model = player(worlds, {chain: "prose"})
    collect_agent(worlds.out / "train.yaml", model, tmp_path / "collect", tags=["chain"],
                  limit=1, **QUIET)
    summary = build_agent_dataset([tmp_path / "collect"], tmp_path / "data", "action")
    assert summary.kept == 1 and summary.set_aside_turns == 1
    rows = [json.loads(line) for line in (tmp_path / "data" / "train.jsonl").open()]
    assert len(rows) == len(model.calls) - 1  # every model turn but the prose one
    assert all("I will call" not in r["completion"][0]["content"] for r in rows)
    # the prose turn is in no prompt: the first row's prompt is the question alone
    assert [m["role"] for m in rows[0]["prompt"]] == ["system", "user"]
    assert HERMES.parse(rows[0]["completion"][0]["content"]).calls


def test_a_run_out_of_time_is_read_with_its_turn_in_flight_and_dropped(worlds, tmp_path):
    slow = player(worlds)
    slow.delay_s = 0.4  # the second turn is still being written when the time is up
    settings = SUITE_SETTINGS.model_copy(update={"max_seconds": 0.6})
    result = collect_agent(worlds.out / "train.yaml", slow, tmp_path / "collect",
                           tags=["chain"], limit=1, settings=settings, **QUIET)
    assert result.outcomes[0].stop_reason == "timeout"
    trace = Trace.load(tmp_path / "collect" / result.outcomes[0].trace)
    assert len(trace.meta[PROMPTS_KEY]) == len(trace.steps) + 1
    summary = build_agent_dataset([tmp_path / "collect"], tmp_path / "data")
    assert summary.dropped == {"wrong": 1} and summary.train_rows == 0


def test_a_wrong_answer_a_guess_a_repeat_and_a_wasted_step_each_drop_the_run(worlds, tmp_path):
    suite = load_suite(worlds.out / "train.yaml")
    by_shape = {t.tags[0]: t.id for t in reversed(suite.tasks)}
    flaws = {by_shape["chain"]: "repeat", by_shape["single"]: "wasted",
             by_shape["diamond"]: "wrong", by_shape["fanout"]: "guess",
             by_shape["recovery"]: "extra"}
    result = collect_agent(worlds.out / "train.yaml", player(worlds, flaws),
                           tmp_path / "collect", **QUIET)
    passed = {o.id for o in result.outcomes if o.score.passed}
    # right by the scorer, but flawed
    assert {by_shape[s] for s in ("chain", "single", "fanout", "recovery")} <= passed
    assert by_shape["diamond"] not in passed
    summary = build_agent_dataset([tmp_path / "collect"], tmp_path / "data", "action")
    assert summary.dropped == {"repeated_call": 1, "wasted_step": 2, "wrong": 1, "guessed": 1}
    assert summary.kept == summary.collected - 5
    kept_ids = {json.loads(line)["task_id"] for line in (tmp_path / "data" / "train.jsonl").open()}
    assert not kept_ids & set(flaws)


def test_a_killed_collect_resumes_without_running_a_finished_task_again(worlds, tmp_path):
    out = tmp_path / "collect"
    first: list[str] = []
    collect_agent(worlds.out, player(worlds, asked=first), out, limit=4, **QUIET)  # its train
    assert len(first) == 4
    # killed while writing the fifth result: a torn last line
    with (out / "results.jsonl").open("a") as f:
        f.write('{"id": "w0')
    later: list[str] = []
    result = collect_agent(worlds.out / "train.yaml", player(worlds, asked=later), out,
                           limit=7, **QUIET)
    assert len(result.outcomes) == 7 and result.new_runs == 3
    assert not set(later) & set(first) and len(later) == 3


def test_no_test_world_reaches_the_training_rows(worlds, tmp_path):
    for split in ("train", "test"):
        collect_agent(worlds.out / f"{split}.yaml", player(worlds), tmp_path / split, limit=10,
                      **QUIET)
    summary = build_agent_dataset([tmp_path / "train", tmp_path / "test", tmp_path / "train"],
                                  tmp_path / "data", "mixed")
    assert summary.dropped == {"duplicate": 10} and summary.collected == 20
    test_worlds = {w.id for w in worlds.test}
    train = [json.loads(line) for line in (tmp_path / "data" / "train.jsonl").open()]
    test = [json.loads(line) for line in (tmp_path / "data" / "test.jsonl").open()]
    assert train and test
    assert not {r["world"] for r in train} & test_worlds
    assert {r["world"] for r in test} <= test_worlds
    assert {r["style"] for r in test} == {"action"}
    assert set(summary.test_worlds) <= test_worlds and not set(summary.train_worlds) & test_worlds


def test_a_suite_that_does_not_parse_is_a_clear_error_and_writes_nothing(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\ntasks:\n  - id: a\n    question: [unclosed\n", encoding="utf-8")
    with pytest.raises(SuiteError, match="bad.yaml"):
        collect_agent(bad, Scripted([]), tmp_path / "out", **QUIET)
    assert not (tmp_path / "out").exists()
    from toolweave.cli import app

    result = CliRunner().invoke(app, ["distill", "collect-agent", "--suite", str(bad),
                                      "--model", "teacher", "--out", str(tmp_path / "out")])
    assert result.exit_code == 1 and "bad.yaml" in result.output


def test_a_trace_cut_mid_line_is_a_clear_error(worlds, tmp_path):
    result = collect_agent(worlds.out / "train.yaml", player(worlds), tmp_path / "collect",
                           limit=2, **QUIET)
    trace = tmp_path / "collect" / result.outcomes[1].trace
    text = trace.read_text(encoding="utf-8")
    trace.write_text(text[: len(text) // 2], encoding="utf-8")
    with pytest.raises(TrainingDataError, match="cut off mid-line"):
        build_agent_dataset([tmp_path / "collect"], tmp_path / "data")
    from toolweave.cli import app

    cli = CliRunner().invoke(app, ["distill", "build-agent", str(tmp_path / "collect"),
                                   "--out", str(tmp_path / "data")])
    assert cli.exit_code == 1 and "cut off mid-line" in cli.output


def test_a_folder_that_is_not_an_agent_collect_is_a_clear_error(tmp_path):
    (tmp_path / "results.jsonl").write_text("", encoding="utf-8")
    with pytest.raises(TrainingDataError, match="collect-agent"):
        build_agent_dataset([tmp_path], tmp_path / "data")
    with pytest.raises(TrainingDataError, match="collect-agent"):
        build_agent_dataset([tmp_path / "nowhere"], tmp_path / "data")


def test_rows_of_a_world_suite_need_its_worlds_split(worlds, tmp_path):
    collect_agent(worlds.out / "worlds" / f"{worlds.worlds[0].id}.yaml", player(worlds),
                  tmp_path / "collect", limit=2, **QUIET)
    with pytest.raises(TrainingDataError, match="worlds.json"):
        build_agent_dataset([tmp_path / "collect"], tmp_path / "data")
    summary = build_agent_dataset([tmp_path / "collect"], tmp_path / "data",
                                  worlds=Path(worlds.out))
    assert summary.collected == 2
