"""BFCL harness: data conversion, the official checker's glue, resume, report, a real run."""

from __future__ import annotations

import subprocess
import sys

import pytest
from rich.console import Console

pytest.importorskip("bfcl_eval")

from toolweave.eval.bfcl.data import (
    CATEGORIES,
    NON_LIVE,
    RELEVANCE_CATEGORIES,
    as_declared,
    available_categories,
    canonical_category,
    load_tasks,
    to_schema,
    to_toolspecs,
)
from toolweave.eval.bfcl.oracle import OracleModel, answer_key_defects, oracle_output
from toolweave.eval.bfcl.predict import Prediction, PredictionStore, score
from toolweave.eval.bfcl.single_turn import run_bfcl
from toolweave.eval.run_sessions import SessionLog
from toolweave.models.base import StreamingModel

PER_CATEGORY = 20
QUIET = Console(quiet=True)


def sound_tasks(category: str, limit: int = PER_CATEGORY):
    return [t for t in load_tasks(category, limit) if not answer_key_defects(t)]


# -- the checker import --------------------------------------------------------------------------

def test_checker_imports_without_model_config_or_vendor_sdks():
    code = ("import sys; import toolweave.eval.bfcl.checker as c; "
            "bad = [m for m in sys.modules if m == 'bfcl_eval.constants.model_config' "
            "or m.startswith(('bfcl_eval.model_handler', 'openai', 'anthropic', 'google'))]; "
            "print(bad); assert not bad; "
            "assert c._ast.MODEL_CONFIG_MAPPING[c.MODEL_NAME].underscore_to_dot is False")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_checker_scores_dotted_names_under_their_original_name():
    from toolweave.eval.bfcl.checker import check_ast

    doc = [{"name": "math.factorial", "parameters": {
        "type": "dict", "properties": {"number": {"type": "integer"}}, "required": ["number"]}}]
    key = [{"math.factorial": {"number": [5]}}]
    assert check_ast(doc, [{"math.factorial": {"number": 5}}], key, "simple_python")["valid"]
    assert not check_ast(doc, [{"math_factorial": {"number": 5}}], key, "simple_python")["valid"]


# -- data ----------------------------------------------------------------------------------------

def test_categories_present_and_simple_alias():
    present = available_categories()
    assert set(NON_LIVE) <= set(present)
    assert canonical_category("simple") == "simple_python"
    with pytest.raises(ValueError):
        canonical_category("multi_turn_base")


def test_tasks_have_questions_tools_and_keys():
    for category in CATEGORIES:
        tasks = load_tasks(category, 3)
        assert tasks, category
        for t in tasks:
            assert t.messages and t.messages[-1].role == "user"
            assert len(t.tools) == len(t.functions)
            assert (t.possible_answer is None) == (category in RELEVANCE_CATEGORIES)


def test_types_dict_float_tuple_any():
    assert to_schema({"type": "dict"}) == {"type": "object"}
    assert to_schema({"type": "float", "description": "x"}) == {"type": "number", "description": "x"}
    assert to_schema({"type": "tuple", "items": {"type": "float"}}) == {
        "type": "array", "items": {"type": "number"}}
    assert to_schema({"type": "any", "description": "v"}) == {"description": "v"}
    assert to_schema({"type": "HashMap"}) == {"type": "string"}  # unknown: string, as BFCL


def test_nested_properties_and_required():
    doc = {"type": "dict", "required": ["a", "ghost"], "properties": {
        "a": {"type": "dict", "optional": True, "properties": {
            "b": {"type": "array", "items": {"type": "dict", "properties": {
                "c": {"type": "float", "enum": [1.5, 2.5]}}}},
            "t": {"type": "tuple", "items": {"type": "integer"}}}, "required": ["b"]},
        "flag": {"type": "boolean", "default": False}}}
    assert to_schema(doc) == {"type": "object", "required": ["a"], "properties": {
        "a": {"type": "object", "required": ["b"], "properties": {
            "b": {"type": "array", "items": {"type": "object", "properties": {
                "c": {"type": "number", "enum": [1.5, 2.5]}}}},
            "t": {"type": "array", "items": {"type": "integer"}}}},
        "flag": {"type": "boolean", "default": False}}}


def test_dotted_names_are_sanitized_and_mapped_back():
    fns = [{"name": "a.b", "description": "", "parameters": {"type": "dict", "properties": {}}},
           {"name": "a_b", "description": "", "parameters": {"type": "dict", "properties": {}}}]
    tools, names = to_toolspecs(fns)
    assert [t.name for t in tools] == ["a_b", "a_b_2"]
    assert names == {"a_b": "a.b", "a_b_2": "a_b"}
    assert tools[0].parameters == {"type": "object", "properties": {}}


def test_whole_numbers_become_floats_where_bfcl_declares_float():
    doc = {"type": "dict", "properties": {
        "total": {"type": "float"}, "count": {"type": "integer"},
        "values": {"type": "array", "items": {"type": "float"}},
        "box": {"type": "dict", "properties": {"side": {"type": "float"}}}}}
    value = {"total": 3, "count": 3, "values": [1, 2.5], "box": {"side": 2, "other": 1},
             "flag": True}
    assert as_declared(value, doc) == {"total": 3.0, "count": 3, "values": [1.0, 2.5],
                                       "box": {"side": 2.0, "other": 1}, "flag": True}
    assert isinstance(as_declared(value, doc)["total"], float)
    assert isinstance(as_declared(value, doc)["count"], int)
    assert as_declared(True, {"type": "float"}) is True


# -- oracle and empty predictions through the official checker -----------------------------------

@pytest.mark.parametrize("category", CATEGORIES)
def test_oracle_scores_100_and_empty_scores_0(category):
    tasks = sound_tasks(category)
    assert len(tasks) >= min(PER_CATEGORY, 16) - 2
    oracle = [score(t, Prediction(id=t.id, category=category, output=oracle_output(t)))
              for t in tasks]
    assert [s.id for s in oracle if not s.valid] == []
    empty = [score(t, Prediction(id=t.id, category=category)) for t in tasks]
    expected = "irrelevance" in category  # no call is right exactly when none fits
    assert all(s.valid == expected for s in empty)


@pytest.mark.parametrize("fmt", ["hermes", "glm-xml", "openai"])
def test_oracle_through_formats_and_run_scores_100(fmt, tmp_path):
    for category in CATEGORIES:
        tasks = sound_tasks(category)
        result = run_bfcl(OracleModel(tasks, fmt), [category], PER_CATEGORY, fmt, True,
                          tmp_path / category, console=QUIET, show_progress=False)
        sound = {t.id for t in tasks}
        failed = [s.id for s in result.scores if s.id in sound and not s.valid]
        assert failed == [], (fmt, category)


def test_model_errors_are_recorded_and_scored_wrong(tmp_path):
    class Broken(StreamingModel):
        name = "broken"

        async def stream(self, messages, **kwargs):
            raise RuntimeError("boom")
            yield  # pragma: no cover

    result = run_bfcl(Broken(), ["simple"], 2, "hermes", False, tmp_path, console=QUIET,
                      show_progress=False)
    assert [p.error for p in result.predictions] == ["RuntimeError: boom"] * 2
    assert result.accuracy() == 0.0


# -- resume and report ---------------------------------------------------------------------------

class Refusing(StreamingModel):
    """Fails the test if asked anything: a resumed run must not predict again."""

    name = "oracle"

    async def stream(self, messages, **kwargs):
        raise AssertionError("a resumed run asked the model")
        yield  # pragma: no cover


def test_resume_predicts_nothing_new_and_scores_the_same(tmp_path):
    cats = ["simple_python", "parallel", "irrelevance"]
    tasks = [t for c in cats for t in load_tasks(c, 4)]
    first = run_bfcl(OracleModel(tasks), cats, 4, "hermes", True, tmp_path, console=QUIET,
                     show_progress=False)
    assert first.new_predictions == 12
    # a run killed mid-write leaves a torn line; it is skipped
    with (tmp_path / "predictions.jsonl").open("a") as f:
        f.write('{"id": "simple_python_9", "categ')
    second = run_bfcl(Refusing(), cats, 4, "hermes", True, tmp_path, console=QUIET,
                      show_progress=False)
    assert second.new_predictions == 0
    assert [(r.category, r.correct, r.tasks) for r in second.rows] == \
        [(r.category, r.correct, r.tasks) for r in first.rows]
    assert len(PredictionStore(tmp_path / "predictions.jsonl").load()) == 12
    for name in ("report.md", "accuracy.png", "scores.jsonl", "run.json"):
        assert (tmp_path / name).stat().st_size > 0
    assert "| **overall** | 12 | 12 | 100.0% |" in (tmp_path / "report.md").read_text()
    # the run that predicted is one session; the resumed run that added nothing is not kept
    sessions = list(SessionLog(tmp_path).load().values())
    assert [(s.new_predictions, s.where) for s in sessions] == [(12, "serial")]
    assert SessionLog(tmp_path).wall_s(12) == sessions[0].wall_s == second.wall_s > 0
    assert "- wall time of all predictions in this folder:" in (tmp_path / "report.md").read_text()
    with pytest.raises(ValueError, match="another --out"):
        run_bfcl(Refusing(), cats, 4, "glm-xml", True, tmp_path, console=QUIET,
                 show_progress=False)


def test_resume_completes_a_partial_run(tmp_path):
    tasks = load_tasks("multiple", 5)
    store = PredictionStore(tmp_path / "predictions.jsonl")
    store.append(Prediction(id=tasks[0].id, category="multiple", output=oracle_output(tasks[0])))
    result = run_bfcl(OracleModel(tasks), ["multiple"], 5, "hermes", True, tmp_path,
                      console=QUIET, show_progress=False)
    assert result.new_predictions == 4
    assert result.accuracy() == 1.0
    # one prediction came from no recorded session, so the folder's wall time is unknown
    assert [s.new_predictions for s in SessionLog(tmp_path).load().values()] == [4]
    assert SessionLog(tmp_path).wall_s(5) is None and result.wall_s is None
    assert "wall time" not in (tmp_path / "report.md").read_text()


# -- a real model --------------------------------------------------------------------------------

@pytest.mark.model
def test_tiny_model_produces_a_scored_prediction_per_task(tiny, tmp_path):
    result = run_bfcl(tiny, CATEGORIES, 1, "hermes", True, tmp_path, max_tokens=32,
                      console=QUIET, show_progress=False)
    assert len(result.predictions) == len(result.scores) == len(CATEGORIES)
    assert all(p.error is None for p in result.predictions)
    assert all(p.constrained for p in result.predictions)
    assert all(p.completion_tokens > 0 for p in result.predictions)
    assert {r.category for r in result.rows} == {*CATEGORIES, "overall"}


# -- the CLI sub-app -----------------------------------------------------------------------------

def test_cli_rejects_unknown_category_before_writing(tmp_path):
    import typer
    from typer.testing import CliRunner

    from toolweave.cli.bfcl import eval_app

    app = typer.Typer()
    app.add_typer(eval_app, name="eval")
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["eval", "bfcl", "--categories", "nope", "--out", str(out)])
    assert result.exit_code == 1
    assert "unsupported BFCL category" in result.output
    assert not out.exists()
