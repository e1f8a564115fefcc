"""`run_suite` and ``toolweave eval suite``: runs, files, resume, strategies, errors, the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rich.console import Console

from toolweave.eval.suite.format import load_suite
from toolweave.eval.suite.run import RunSettings, TaskOutcome, run_suite
from toolweave.models import Scripted
from toolweave.models.base import StreamingModel
from toolweave.types import Trace

EXAMPLE = Path(__file__).parents[2] / "examples" / "suites" / "basic.yaml"
QUIET = Console(quiet=True)


def run(suite, model, out, **kwargs):
    return run_suite(suite, model, out_dir=out, console=QUIET, show_progress=False, **kwargs)


class Refusing(StreamingModel):
    """Fails the test if asked anything: a resumed run must not run a task again."""

    name = "oracle"

    async def stream(self, messages, **kwargs):
        raise AssertionError("a resumed run asked the model")
        yield  # pragma: no cover


def test_oracle_passes_every_example_task_and_writes_the_out_dir(tmp_path):
    result = run(EXAMPLE, "oracle", tmp_path)
    assert result.new_runs == len(result.suite.tasks) >= 10
    assert [o.id for o in result.outcomes if not o.score.passed] == []
    assert result.pass_rate() == 1.0
    assert {r.category for r in result.rows} >= {"tag:math", "tag:docs", "tag:mock", "overall"}
    lines = (tmp_path / "results.jsonl").read_text().splitlines()
    assert len(lines) == len(result.outcomes)
    first = TaskOutcome.model_validate_json(lines[0])
    assert first.score.passed and first.fingerprint
    trace = Trace.load(tmp_path / first.trace)
    assert trace.answer == first.answer and trace.strategy == "react"
    assert [c.name for s in trace.steps for c in s.calls] == [c.name for c in first.calls]
    report = (tmp_path / "report.md").read_text()
    assert "| **overall** | 10/10 | 100% |" in report
    assert "## Tasks" in report and f"]({first.trace})" in report
    assert (tmp_path / "accuracy.png").stat().st_size > 0
    assert json.loads((tmp_path / "run.json").read_text())["model"] == "oracle"


def test_resume_runs_nothing_new_and_reruns_edited_tasks(tmp_path):
    first = run(EXAMPLE, "oracle", tmp_path, limit=4)
    assert first.new_runs == 4
    with (tmp_path / "results.jsonl").open("a") as f:
        f.write('{"id": "calc-power", "strat')  # the torn line of a killed run
    again = run(EXAMPLE, Refusing(), tmp_path, limit=4)
    assert again.new_runs == 0
    assert [o.model_dump() for o in again.outcomes] == [o.model_dump() for o in first.outcomes]
    # a new expected answer only re-scores the stored run
    suite = load_suite(EXAMPLE)
    suite.tasks[2].answer = ["thirty-six"]
    rescored = run(suite, Refusing(), tmp_path, limit=4)
    assert rescored.new_runs == 0
    assert [o.id for o in rescored.outcomes if not o.score.passed] == ["calc-percent"]
    # a new question makes the stored run stale: that task runs again, and only it
    suite.tasks[2].question = "What is fifteen percent of 240, in words?"
    edited = run(suite, Scripted(["It is thirty-six."], name="oracle"), tmp_path, limit=4)
    assert edited.new_runs == 1
    assert [o.id for o in edited.outcomes if o.answer == "It is thirty-six."] == ["calc-percent"]
    assert edited.pass_rate() == 1.0
    with pytest.raises(ValueError, match="another --out"):
        run(EXAMPLE, Refusing(), tmp_path, settings=RunSettings(max_steps=3))


def test_stored_results_are_rescored_with_the_current_rules(tmp_path):
    run(EXAMPLE, "oracle", tmp_path, limit=1)
    path = tmp_path / "results.jsonl"
    stored = TaskOutcome.model_validate_json(path.read_text())
    stored.score.passed = False  # as if an older scorer had judged it
    path.write_text(stored.model_dump_json() + "\n")
    assert run(EXAMPLE, Refusing(), tmp_path, limit=1).outcomes[0].score.passed


def test_each_strategy_runs_every_task_and_gets_a_row(tmp_path):
    def answer(messages):
        return "It is 36."

    model = Scripted([answer] * 20)
    result = run(EXAMPLE, model, tmp_path, strategies=["react", "preact"], tags=["math"])
    math = [t.id for t in load_suite(EXAMPLE).tasks if "math" in t.tags]
    assert [(o.id, o.strategy) for o in result.outcomes] == \
        [(i, s) for s in ("react", "preact") for i in math]
    rows = {r.category: r for r in result.rows}
    assert rows["react"].runs == rows["preact"].runs == len(math)
    assert rows["overall"].runs == 2 * len(math)
    for o in result.outcomes:
        assert Trace.load(tmp_path / o.trace).strategy == o.strategy
    # "It is 36." is right only for calc-percent, which expects no call
    assert {o.id for o in result.outcomes if o.score.passed} == {"calc-percent"}


def test_a_failing_model_is_recorded_not_fatal(tmp_path):
    class Broken(StreamingModel):
        name = "broken"

        async def stream(self, messages, **kwargs):
            raise RuntimeError("boom")
            yield  # pragma: no cover

    result = run(EXAMPLE, Broken(), tmp_path, limit=2)
    assert len(result.outcomes) == 2
    for o in result.outcomes:
        assert not o.score.passed
        assert o.error == "RuntimeError: boom" or o.stop_reason == "error"
    assert result.rows[-1].cells()[-1] == str(sum(o.error is not None for o in result.outcomes))


def test_bad_requests_fail_before_writing(tmp_path):
    out = tmp_path / "out"
    with pytest.raises(ValueError, match="unknown strategy 'fast'"):
        run(EXAMPLE, "oracle", out, strategies=["react", "fast"])
    with pytest.raises(ValueError, match="no task .* has tags"):
        run(EXAMPLE, "oracle", out, tags=["nope"])
    with pytest.raises(ValueError, match="tool_choice"):
        run(EXAMPLE, "oracle", out, settings=RunSettings(tool_choice="always"))
    assert not out.exists()


def _cli(*args):
    from typer.testing import CliRunner

    from toolweave.cli import app

    return CliRunner().invoke(app, ["eval", "suite", *map(str, args)])


def test_cli_runs_a_suite_and_prints_the_tables(tmp_path):
    result = _cli(EXAMPLE, "--model", "oracle", "--limit", "3", "--out", tmp_path / "o")
    assert result.exit_code == 0, result.output
    assert "overall" in result.output and "calc-multiply" in result.output
    assert len((tmp_path / "o" / "results.jsonl").read_text().splitlines()) == 3


def test_cli_reports_a_bad_suite(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("tasks:\n  - {id: a, question: q, tools: [nope], answer: x}\n")
    result = _cli(bad, "--model", "oracle", "--out", tmp_path / "o")
    assert result.exit_code == 1
    assert "task 'a': unknown tool 'nope'" in result.output


@pytest.mark.model
def test_tiny_model_runs_a_few_tasks_through_the_cli(tmp_path):
    result = _cli(EXAMPLE, "--model", "tiny", "--tag", "mock", "--limit", "2",
                  "--max-steps", "2", "--step-max-tokens", "96", "--out", tmp_path)
    assert result.exit_code == 0, result.output
    outcomes = [TaskOutcome.model_validate_json(line)
                for line in (tmp_path / "results.jsonl").read_text().splitlines()]
    assert [o.id for o in outcomes] == ["mock-weather", "mock-stock-total"]
    assert all(o.error is None and o.steps >= 1 and o.completion_tokens > 0 for o in outcomes)
    assert all((tmp_path / o.trace).exists() for o in outcomes)
