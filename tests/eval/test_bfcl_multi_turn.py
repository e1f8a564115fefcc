"""BFCL multi-turn: the data, the environments as tools, scoring by the official checker."""

from __future__ import annotations

import ast
import dataclasses
import inspect
import json
import uuid

import pytest

pytest.importorskip("bfcl_eval")

from bfcl_eval.eval_checker.multi_turn_eval import multi_turn_utils

from toolweave.eval.bfcl import multi_turn as bfcl_multi_turn
from toolweave.eval.bfcl.multi_turn import (
    MULTI_TURN_CATEGORIES,
    MultiTurnTask,
    call_string,
    check_multi_turn,
    environment,
    environment_tools,
    load_multi_turn,
)
from toolweave.types import ToolCall

JSON_TYPES = {"object", "array", "string", "number", "integer", "boolean", "null"}


def one(category: str, index: int = 0) -> MultiTurnTask:
    return load_multi_turn(category, limit=index + 1)[index]


def parse_call(text: str, env: dict[str, object]) -> ToolCall:
    """A ground-truth call string as the ToolCall a model would make (positional arguments, as
    in ``sort('final_report.pdf')``, named after the method's parameters)."""
    node = ast.parse(text, mode="eval").body
    assert isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    name = node.func.id
    method = next(getattr(i, name) for i in env.values() if hasattr(i, name))
    params = list(inspect.signature(method).parameters)
    arguments = {params[i]: ast.literal_eval(a) for i, a in enumerate(node.args)}
    arguments |= {k.arg: ast.literal_eval(k.value) for k in node.keywords}
    return ToolCall(name=name, arguments=arguments)


def bfcl_execution(task: MultiTurnTask) -> list[list[str]]:
    """BFCL's own execution results of the answer key, turn by turn."""
    name = f"test_{uuid.uuid4().hex}"
    try:
        return [multi_turn_utils.execute_multi_turn_func_call(
            calls, task.initial_config, task.involved_classes, name, task.id,
            long_context=task.long_context)[0] for calls in task.ground_truth]
    finally:
        for key in [k for k in vars(multi_turn_utils) if k.startswith(name)]:
            del vars(multi_turn_utils)[key]


async def play(task: MultiTurnTask, turns: list[list[str]]):
    """Run call strings through our tools on a fresh environment, one turn at a time, as an
    agent would; the observations and the calls rendered back by `call_string`."""
    env = environment(task)
    observations, rendered = [], []
    for i, calls in enumerate(turns):
        tools = {t.name: t for t in environment_tools(task, env, task.functions_at(i))}
        tool_calls = [parse_call(c, env) for c in calls]
        observations.append([await tools[c.name].invoke(c) for c in tool_calls])
        rendered.append([task.call_string(c) for c in tool_calls])
    return observations, rendered


def schema_types(schema: dict) -> set[str]:
    found = {schema["type"]} if "type" in schema else set()
    subs = [*schema.get("properties", {}).values()]
    for sub in [*subs, schema["items"]] if "items" in schema else subs:
        found |= schema_types(sub)
    return found


# -- data ----------------------------------------------------------------------------------------

def test_load_base_tasks():
    tasks = load_multi_turn("multi_turn_base", limit=3)
    assert [t.id for t in tasks] == [f"multi_turn_base_{i}" for i in range(3)]
    for task in tasks:
        assert task.category == "multi_turn_base" and not task.long_context
        assert len(task.turns) == len(task.ground_truth) == len(task.raw["question"]) > 1
        assert all(m.role == "user" and m.content for turn in task.turns for m in turn)
        assert task.raw["id"] == task.id and "initial_config" in task.raw
        assert not task.added_functions and task.tools == task.all_tools
        for spec in task.tools:
            assert spec.parameters["type"] == "object"
            assert schema_types(spec.parameters) <= JSON_TYPES
    first = tasks[0]
    assert "GorillaFileSystem" in first.involved_classes
    names = {t.name for t in first.tools}
    assert {"cd", "mkdir", "mv", "post_tweet"} <= names
    # BFCL offers every function of the involved classes; ``excluded_function`` is unused
    assert "cp" in names and first.raw["excluded_function"] == ["cp"]
    assert {t.name: t.parameters for t in first.tools}["mkdir"]["properties"]["dir_name"] == {
        "type": "string", "description": "The name of the new directory at current directory. "
        "You can only create directory at current directory."}


def test_long_context_flag_and_categories():
    assert len(MULTI_TURN_CATEGORIES) == 4
    assert one("multi_turn_long_context").long_context
    assert not one("multi_turn_miss_param").long_context


def test_unknown_category_and_missing_data(monkeypatch, tmp_path):
    with pytest.raises(ValueError, match="multi_turn_base"):
        load_multi_turn("multi_turn_composite")
    monkeypatch.setattr(bfcl_multi_turn, "data_dir", lambda: tmp_path)
    with pytest.raises(FileNotFoundError, match=str(tmp_path)):
        load_multi_turn("multi_turn_base")


def test_miss_func_adds_held_back_function_at_its_turn():
    task = one("multi_turn_miss_func")
    assert task.raw["missed_function"] == {"3": ["sort"]}
    assert [f["name"] for f in task.added_functions[3]] == ["sort"]
    for turn in range(3):
        assert "sort" not in {t.name for t in task.tools_at(turn)}
    assert "sort" not in {t.name for t in task.tools}
    assert "sort" in {t.name for t in task.tools_at(3)} and "sort" in {t.name for t in
                                                                       task.tools_at(4)}
    # BFCL sends a fixed prompt in place of the empty user turn that adds the functions
    assert task.raw["question"][3] == []
    assert task.turns[3][0].role == "user" and "more functions" in task.turns[3][0].content
    env = environment(task)
    assert "sort" not in {t.name for t in environment_tools(task, env)}
    assert "sort" in {t.name for t in environment_tools(task, env, task.functions_at(3))}


# -- environments as tools -----------------------------------------------------------------------

async def test_tools_render_dicts_as_json_and_errors_as_observations():
    task = one("multi_turn_base")
    env = environment(task)
    tools = {t.name: t for t in environment_tools(task, env)}
    pwd = await tools["pwd"].invoke(ToolCall(name="pwd"))
    assert pwd.ok and json.loads(pwd.content) == env["GorillaFileSystem"].pwd()

    def broken(**kwargs):
        raise ValueError("disk on fire")

    env["GorillaFileSystem"].ls = broken  # the tool looks the method up at call time
    failed = await tools["ls"].invoke(ToolCall(name="ls", arguments={"a": True}))
    assert not failed.ok and failed.error == "ValueError" and "disk on fire" in failed.content
    bad = await tools["cd"].invoke(ToolCall(name="cd", arguments={"directory": "x"}))
    assert not bad.ok and bad.error == "TypeError" and "directory" in bad.content


def test_environment_errors_name_task_and_class():
    task = dataclasses.replace(one("multi_turn_base"), involved_classes=["NoSuchAPI"])
    with pytest.raises(RuntimeError, match="multi_turn_base_0.*NoSuchAPI"):
        environment(task)


async def test_environment_is_fresh_each_time():
    task = one("multi_turn_base")
    env = environment(task)
    tools = {t.name: t for t in environment_tools(task, env)}
    await tools["mkdir"].invoke(ToolCall(name="mkdir", arguments={"dir_name": "fresh_dir"}))
    assert "fresh_dir" in (await tools["ls"].invoke(ToolCall(name="ls"))).content
    again = {t.name: t for t in environment_tools(task, environment(task))}
    assert "fresh_dir" not in (await again["ls"].invoke(ToolCall(name="ls"))).content


# -- the official checker ------------------------------------------------------------------------

ORACLE = [*(("multi_turn_base", i) for i in range(5)), ("multi_turn_miss_func", 0),
          ("multi_turn_miss_param", 0), ("multi_turn_long_context", 0)]


@pytest.mark.parametrize(("category", "index"), ORACLE)
async def test_oracle_through_the_tools_passes(category, index):
    task = one(category, index)
    observations, rendered = await play(task, task.ground_truth)
    # the model reads what BFCL's executor returns for the same calls
    for ours, theirs in zip(observations, bfcl_execution(task), strict=True):
        for obs, text in zip(ours, theirs, strict=True):
            assert obs.content == text if obs.ok else text.startswith("Error during execution")
    assert check_multi_turn(task, [[turn] for turn in rendered]) == {"valid": True}
    assert check_multi_turn(task, [[turn] for turn in task.ground_truth]) == {"valid": True}
    # the same calls split over several model steps per turn score the same
    steps = [[[call] for call in turn] for turn in rendered]
    assert check_multi_turn(task, steps) == {"valid": True}


def test_wrong_answers_fail_without_raising():
    task = one("multi_turn_base")
    truth = task.ground_truth
    empty = check_multi_turn(task, [])
    assert empty["valid"] is False and empty["error_type"] == "multi_turn:force_terminated"
    assert check_multi_turn(task, [[turn] for turn in truth[:-1]])["valid"] is False
    dropped = check_multi_turn(task, [[[]], *([turn] for turn in truth[1:])])
    assert dropped["valid"] is False
    assert dropped["error_type"] == "multi_turn:empty_turn_model_response"
    wrong = [[turn] for turn in truth]
    wrong[0] = [["cd(folder='document')", "mkdir(dir_name='tmp')"]]
    result = check_multi_turn(task, wrong)
    assert result["valid"] is False and result["error_type"] == "multi_turn:instance_state_mismatch"


def test_repeated_checks_share_no_state():
    task = one("multi_turn_base")
    right = [[turn] for turn in task.ground_truth]
    wrong = [[["touch(file_name='stray.txt')"]], *right[1:]]
    before = len(vars(multi_turn_utils))
    # BFCL's checker keeps its instances per model name and task id: under one name the stray
    # file of the wrong answer would still be there when the right one is checked, and fail it
    assert check_multi_turn(task, right)["valid"]
    assert not check_multi_turn(task, wrong)["valid"]
    assert check_multi_turn(task, right)["valid"]
    assert not check_multi_turn(task, wrong)["valid"]
    assert len(vars(multi_turn_utils)) == before


def test_unsafe_call_strings_never_run(tmp_path):
    task = one("multi_turn_base")
    target = tmp_path / "written"
    attacks = [f"open(file={str(target)!r}, mode='w')",
               f"cd(folder=open({str(target)!r}, 'w').name)",
               "__import__('os')", "cd(**{'folder': 'document'})", "cd(folder='x'", "", 42]
    decoded = [[turn] for turn in task.ground_truth]
    decoded[0] = [[*attacks, *task.ground_truth[0]]]
    result = check_multi_turn(task, decoded)
    assert not target.exists()
    assert result["blocked_calls"] == attacks and result["valid"] is True


# -- call strings --------------------------------------------------------------------------------

def test_call_string_reads_back_as_the_same_values():
    arguments = {"text": "it's \"quoted\"\n", "nested": [[1, 2.5], ["a", None]],
                 "mapping": {"k": [True, False], "n": -3}, "ratio": 0.1, "flag": False,
                 "nothing": None, "whole": 150.0}
    text = call_string("post_tweet", arguments)
    node = ast.parse(text, mode="eval").body
    assert node.func.id == "post_tweet" and not node.args
    parsed = {k.arg: ast.literal_eval(k.value) for k in node.keywords}
    assert parsed == arguments and type(parsed["whole"]) is float
    assert call_string("pwd", {}) == "pwd()"


@pytest.mark.parametrize(("name", "arguments"), [
    ("os.system", {}), ("cd", {"x) or (y": 1}), ("cd", {"class": 1}), ("cd", {"f": object()}),
    ("cd", {"f": {1, 2}}),
])
def test_call_string_refuses_what_it_cannot_write_safely(name, arguments):
    with pytest.raises(ValueError):
        call_string(name, arguments)
