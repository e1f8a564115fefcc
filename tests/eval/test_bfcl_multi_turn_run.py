"""BFCL multi-turn through the agent: a conversation per task, scored by BFCL's checker.

The model here is scripted: it writes the answer key's calls for each user turn, then a short
answer, so what is tested is the loop around it — stateful tools run in order, every turn's
calls reach the checker, the out dir resumes."""

from __future__ import annotations

import ast
import inspect
import json

import pytest

pytest.importorskip("bfcl_eval")

from toolweave.agents.settings import RunSettings
from toolweave.eval.bfcl.multi_turn import environment, load_multi_turn
from toolweave.eval.bfcl.multi_turn_run import converse, run_multi_turn
from toolweave.models import Scripted
from toolweave.types import Message


def answer_key_model(tasks) -> Scripted:
    """Writes each user turn's answer-key calls in one turn, then "Done.". A turn answers the
    latest question, also when the runtime made a call after it (the move into a place)."""
    turns: dict[str, list[dict]] = {}
    for task in tasks:
        env = environment(task)
        for messages, calls in zip(task.turns, task.ground_truth, strict=True):
            turns[messages[-1].content] = [_as_call(c, env) for c in calls]

    def reply(messages: list[Message]) -> str:
        last = next((m for m in reversed(messages) if m.role == "user"
                     and not m.content.startswith("<tool_response>")), messages[-1])
        if last.content in turns:
            calls = turns.pop(last.content)
            return "\n".join(f"<tool_call>\n{json.dumps(c)}\n</tool_call>" for c in calls) \
                or "Nothing to do."
        return "Done."

    return Scripted([reply] * 200)


def _as_call(text: str, env: dict) -> dict:
    node = ast.parse(text, mode="eval").body
    name = node.func.id
    method = next(getattr(i, name) for i in env.values() if hasattr(i, name))
    params = list(inspect.signature(method).parameters)
    arguments = {params[i]: ast.literal_eval(a) for i, a in enumerate(node.args)}
    arguments |= {k.arg: ast.literal_eval(k.value) for k in node.keywords}
    return {"name": name, "arguments": arguments}


async def test_a_conversation_that_makes_the_answer_keys_calls_is_solved():
    task = load_multi_turn("multi_turn_base", limit=1)[0]
    episode = await converse(task, answer_key_model([task]), RunSettings())
    assert episode.error is None
    # the runtime moved into the folder the question names ("within document directory");
    # the model's "cd, mkdir, mv" then ran in that order, each on the state the one before
    # left, but for the move already made
    assert episode.decoded[0] == [["cd(folder='document')"], [
        "mkdir(dir_name='temp')", "mv(source='final_report.pdf',destination='temp')"]]
    assert len(episode.decoded) == len(task.turns) and episode.steps >= 2 * len(task.turns)
    assert all(a == "Done." for a in episode.answers)


def test_the_run_scores_with_bfcls_checker_writes_its_report_and_resumes(tmp_path):
    tasks = load_multi_turn("multi_turn_base", limit=3)
    result = run_multi_turn(answer_key_model(tasks), "multi_turn_base", 3, RunSettings(),
                            tmp_path, show_progress=False)
    assert [v["valid"] for v in result.verdicts] == [True, True, True]
    assert [v["turns_right"] for v in result.verdicts] == [len(t.turns) for t in tasks]
    assert "| 3 | 3 (100 %) |" in (tmp_path / "report.md").read_text()
    lines = (tmp_path / "episodes.jsonl").read_text().splitlines()
    assert len(lines) == 3
    # resumed: nothing is asked of the model again (an empty script would raise)
    again = run_multi_turn(Scripted([]), "multi_turn_base", 3, RunSettings(), tmp_path,
                           show_progress=False)
    assert again.solved == 3


async def test_a_conversation_that_skips_a_turns_calls_fails():
    task = load_multi_turn("multi_turn_base", limit=1)[0]
    model = answer_key_model([task])
    silent = Scripted(["I will not."] * 20)
    episode = await converse(task, silent, RunSettings())
    from toolweave.eval.bfcl.multi_turn import check_multi_turn

    assert check_multi_turn(task, episode.decoded)["valid"] is False
    assert model.replies  # the answer-key model was never asked
    from toolweave.eval.bfcl.multi_turn_run import _verdict

    assert _verdict(task, episode)["turns_right"] == 0


async def test_turns_right_counts_the_turns_before_the_first_wrong_one():
    from toolweave.eval.bfcl.multi_turn_run import _verdict

    task = load_multi_turn("multi_turn_base", limit=1)[0]
    episode = await converse(task, answer_key_model([task]), RunSettings())
    episode.decoded[2] = []  # the third turn's calls never made
    verdict = _verdict(task, episode)
    assert verdict["valid"] is False and verdict["turns_right"] == 2


async def test_an_environment_that_cannot_be_set_up_fails_its_task_only(monkeypatch):
    from toolweave.eval.bfcl import multi_turn_run as bfcl_multi_turn_run
    from toolweave.eval.bfcl.multi_turn_run import _verdict

    def broken(task):
        raise RuntimeError(f"BFCL task {task.id}: cannot set up GorillaFileSystem: boom")

    monkeypatch.setattr(bfcl_multi_turn_run, "environment", broken)
    task = load_multi_turn("multi_turn_base", limit=1)[0]
    episode = await converse(task, Scripted([]), RunSettings())
    assert "cannot set up GorillaFileSystem" in episode.error and episode.decoded == []
    verdict = _verdict(task, episode)
    assert verdict["error_type"] == "toolweave:crashed" and verdict["turns_right"] == 0


async def test_with_retrieval_each_turn_sees_the_top_k_tools_and_the_move_its_question_needs(
        tmp_path):
    from toolweave.types import Trace

    task = load_multi_turn("multi_turn_base", limit=1)[0]  # its first turn names a folder
    episode = await converse(task, answer_key_model([task]), RunSettings(top_k=3), tmp_path,
                             retrieve=True)
    assert episode.error is None
    first = Trace.load(tmp_path / f"{task.id}.0.jsonl")
    assert len(first.meta["retrieved"]) == 3 and "cd" in first.meta["tools"]
    assert len(first.meta["tools"]) <= 4 < len(task.tools)
