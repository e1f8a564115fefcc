"""`distill build`: the filter keeps exactly the right trajectories; the split leaks no tool;
rows are TRL prompt-completion rows whose prompt is what eval sends."""

from __future__ import annotations

import json

import pytest

from toolweave.distill.build import (
    FilterRules,
    build_dataset,
    judge,
    split_by_tool,
    tool_names,
)
from toolweave.distill.prompting import prompting
from toolweave.eval.bfcl.data import load_tasks
from toolweave.eval.bfcl.oracle import oracle_calls, oracle_output
from toolweave.eval.bfcl.predict import Prediction, PredictionStore, task_messages
from toolweave.formats.hermes import HermesFormat

pytest.importorskip("bfcl_eval")

RATIONALE = "The question asks for this, so I call it with the numbers it gives."


def _teacher_turn(task, rationale=RATIONALE, calls=None) -> str:
    calls = oracle_calls(task) if calls is None else calls
    blocks = [HermesFormat(task.tools).render_call(c) for c in calls]
    return "\n".join(([rationale] if rationale else []) + blocks)


def _prediction(task, text=None, output=None, **fields) -> Prediction:
    values = {"id": task.id, "category": task.category,
              "text": _teacher_turn(task) if text is None else text,
              "output": oracle_output(task) if output is None else output,
              "finish_reason": "stop", "completion_tokens": 40, "constrained": True}
    values.update(fields)
    return Prediction(**values)


@pytest.fixture(scope="module")
def tasks():
    return load_tasks("simple_python", 12)


def _wrong_output(task):
    (name, args), = oracle_output(task)[0].items()
    return [{name: {k: "certainly wrong" for k in args}}]


def test_filter_keeps_exactly_the_clean_correct_trajectories(tasks):
    t = tasks
    repeated = oracle_output(t[5]) * 2
    hand_made = {
        t[0].id: (_prediction(t[0]), True, ""),
        t[1].id: (_prediction(t[1], text=_teacher_turn(t[1], rationale="")),
                  True, ""),
        t[2].id: (_prediction(t[2], output=_wrong_output(t[2])), False, "wrong"),
        t[3].id: (_prediction(t[3], parse_errors=["unclosed <tool_call>"]), False,
                  "parse_error"),
        t[4].id: (_prediction(t[4], finish_reason="length"), False, "truncated"),
        t[5].id: (_prediction(t[5], output=repeated), False, "repeated_call"),
        t[6].id: (_prediction(t[6], completion_tokens=900), False, "too_long"),
        t[7].id: (_prediction(t[7], error="TimeoutError: model"), False, "model_error"),
        t[8].id: (_prediction(t[8], output=[]), False, "no_call"),
        t[9].id: (_prediction(t[9], text=_teacher_turn(t[9], rationale="x" * 400)), False,
                  "too_long"),
    }
    by_id = {task.id: task for task in t}
    for task_id, (prediction, keep, reason) in hand_made.items():
        verdict = judge(by_id[task_id], prediction, FilterRules())
        assert (verdict.keep, verdict.reason) == (keep, reason), task_id


def test_split_by_tool_leaks_no_tool_and_keeps_shared_tools_together():
    tasks = load_tasks("multiple", 200)
    train, test = split_by_tool(tasks, 0.3, seed=1)
    assert train and test and len(train) + len(test) == len(tasks)
    train_tools = {n for task in train for n in tool_names(task)}
    test_tools = {n for task in test for n in tool_names(task)}
    assert not train_tools & test_tools
    assert split_by_tool(tasks, 0.3, seed=1) == (train, test)  # deterministic
    with pytest.raises(ValueError, match="test_fraction"):
        split_by_tool(tasks, 1.5)


def test_build_writes_trl_rows_with_the_eval_prompt(tmp_path, tasks):
    source = tmp_path / "teacher"
    store = PredictionStore(source / "predictions.jsonl")
    for task in tasks:
        store.append(_prediction(task))
    store.append(_prediction(tasks[0], output=_wrong_output(tasks[0])))  # a later retry wins
    summary = build_dataset([source], tmp_path / "data", style="mixed", test_fraction=0.3)

    assert summary.collected == len(tasks)
    assert summary.kept == len(tasks) - 1 and summary.dropped == {"wrong": 1}
    rows = [json.loads(line) for line in (tmp_path / "data/train.jsonl").open()]
    test_rows = [json.loads(line) for line in (tmp_path / "data/test.jsonl").open()]
    kept_train = [i for i in summary.train_tasks if i != tasks[0].id]
    assert sorted(r["task_id"] for r in rows) == sorted(kept_train)  # mixed: one row a task
    assert {r["style"] for r in rows} == {"rationale", "action"}
    assert all(r["style"] == "action" for r in test_rows)
    assert not {n for r in rows for n in r["tools"]} & {n for r in test_rows for n in r["tools"]}

    by_id = {t.id: t for t in tasks}
    for row in rows:
        task = by_id[row["task_id"]]
        expected = task_messages(task, "hermes", prompting(row["style"]).instructions)
        assert row["prompt"] == [{"role": m.role, "content": m.content} for m in expected]
        (target,) = row["completion"]
        assert target["role"] == "assistant"
        turn = HermesFormat(task.tools).parse(target["content"])
        assert turn.ok
        assert [(c.name, c.arguments) for c in turn.calls] == \
            [(c.name, c.arguments) for c in oracle_calls(task)]
        assert (turn.text == RATIONALE) == (row["style"] == "rationale")
    saved = json.loads((tmp_path / "data/dataset.json").read_text())
    assert saved["train_rows"] == len(rows) and saved["test_tasks"] == summary.test_tasks


def test_build_without_collect_output_says_what_to_run(tmp_path):
    with pytest.raises(FileNotFoundError, match="distill collect"):
        build_dataset([tmp_path / "nothing"], tmp_path / "data")


def test_built_rows_load_as_trl_conversational_prompt_completion(tmp_path, tasks):
    pytest.importorskip("trl")
    from trl.data_utils import is_conversational

    from toolweave.distill.train_data import load_rows

    source = tmp_path / "teacher"
    store = PredictionStore(source / "predictions.jsonl")
    for task in tasks:
        store.append(_prediction(task))
    build_dataset([source], tmp_path / "data", test_fraction=0.3)
    rows = load_rows(tmp_path / "data" / "train.jsonl")  # what `distill train` feeds TRL
    assert rows and all(set(r) == {"prompt", "completion"} for r in rows)
    assert all(is_conversational(r) for r in rows)
    assert all(r["completion"][0]["role"] == "assistant" for r in rows)
