"""`distill report`: base student, distilled student and teacher scored on the test split by
the official checker, with a report and a chart."""

from __future__ import annotations

import pytest

from toolweave.distill.build import build_dataset
from toolweave.distill.report import report
from toolweave.eval.bfcl.data import load_tasks
from toolweave.eval.bfcl.oracle import oracle_calls, oracle_output
from toolweave.eval.bfcl.predict import Prediction, PredictionStore
from toolweave.formats.hermes import HermesFormat
from toolweave.models.scripted import Scripted

pytest.importorskip("bfcl_eval")


def _oracle_turn(task) -> str:
    return "\n".join(HermesFormat(task.tools).render_call(c) for c in oracle_calls(task))


def test_report_scores_each_model_on_the_held_out_tools(tmp_path):
    tasks = load_tasks("simple_python", 20)
    teacher = tmp_path / "teacher"
    store = PredictionStore(teacher / "predictions.jsonl")
    for task in tasks:
        store.append(Prediction(id=task.id, category=task.category, output=oracle_output(task),
                                text="Because.\n" + _oracle_turn(task), finish_reason="stop",
                                completion_tokens=30, wall_s=2.0))
    (teacher / "run.json").write_text('{"model": "teacher"}')
    summary = build_dataset([teacher], tmp_path / "data", test_fraction=0.3)
    held_out = [t for t in tasks if t.id in set(summary.test_tasks)]
    assert held_out

    by_question = {t.messages[-1].content: t for t in tasks}

    def knows_the_answer(messages):
        return _oracle_turn(by_question[messages[-1].content])

    before = Scripted(["I cannot help with that."] * len(held_out), name="base")
    after = Scripted([knows_the_answer] * len(held_out), name="trained")
    rows = report(tmp_path / "data", tmp_path / "report", student=before, distilled=after,
                  teacher_dir=teacher, show_progress=False)

    assert [(r.category, r.tasks) for r in rows] == [
        ("student before", len(held_out)), ("student after", len(held_out)),
        ("teacher (rationale)", len(held_out))]
    assert [r.accuracy for r in rows] == [0.0, 1.0, 1.0]
    assert rows[2].wall_s == pytest.approx(2.0 * len(held_out))
    # the students were asked for the action only, under a grammar that requires a call
    asked = after.calls[0][0].content
    assert "Act directly" in asked and "Think first" not in asked
    assert after.kwargs[0]["constraint"] is not None
    text = (tmp_path / "report/report.md").read_text()
    assert "student after" in text and "100.0%" in text
    assert (tmp_path / "report/accuracy.png").stat().st_size > 0


def test_report_needs_a_build_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="distill build"):
        report(tmp_path, tmp_path / "out", student="tiny", distilled="tiny",
               teacher_spec="tiny")
