"""BFCL's multi-turn categories: tasks, their executable environments as tools, official scoring.

In the multi-turn categories (``multi_turn_base``, ``_miss_func``, ``_miss_param``,
``_long_context``) the model works over several user turns against stateful Python APIs (a file
system, a trading bot, a travel agency, ...) that ship inside ``bfcl-eval``. An agent loop needs
three things from this module, and each follows what BFCL itself does so that a score here means
what it means on BFCL's leaderboard:

- `load_multi_turn`: the tasks, with the function docs BFCL offers (all functions of the task's
  ``involved_classes``; in ``miss_func`` some are held back and added at a later turn, whose
  empty user turn BFCL replaces by a fixed prompt) and the per-turn answer key.
- `environment` / `environment_tools`: fresh API instances loaded with the task's initial state,
  and one `Tool` per function that calls the method on them. Results are rendered as BFCL
  renders them (dicts as JSON, the rest via ``str``), so the model reads what BFCL's would.
- `check_multi_turn`: BFCL's own ``multi_turn_checker``, which re-executes the model's calls
  (given as call strings, see `call_string`) and the answer key on fresh instances and compares
  state and results after every turn. It is imported, never re-implemented.

The checker runs call strings with ``eval``. Model output never reaches it unchecked: a string
that is not a plain call of one of the task's methods with literal arguments is swapped for a
call of an undefined name, which BFCL executes as an error result, as it would for any call the
APIs do not know (see `_safe_call`).
"""

from __future__ import annotations

import ast
import copy
import functools
import importlib
import json
import keyword
import uuid
from dataclasses import dataclass, field
from typing import Any

from toolweave.eval.bfcl.data import _category_file, _read_jsonl, data_dir, to_toolspecs
from toolweave.tools.stateful import public_methods
from toolweave.tools.tool import Tool
from toolweave.types import Message, ToolCall, ToolSpec

MULTI_TURN_CATEGORIES = (
    "multi_turn_base", "multi_turn_miss_func", "multi_turn_miss_param", "multi_turn_long_context",
)
# What an unsafe call string becomes: a name no BFCL namespace defines, so eval gives NameError.
_BLOCKED = "toolweave_blocked_call"


@dataclass
class MultiTurnTask:
    """One multi-turn BFCL entry as an agent loop needs it.

    ``turns[i]`` are the user message(s) of turn ``i``; ``ground_truth[i]`` the answer key's
    call strings for it (empty where the model cannot or should not act yet). ``functions`` /
    ``tools`` are offered from the start; ``added_functions[i]`` join them at turn ``i``
    (``miss_func`` only), see `functions_at` and `tools_at`. ``raw`` is the data file's entry,
    untouched: the checker's ``test_entry``.
    """

    id: str
    category: str
    turns: list[list[Message]]
    initial_config: dict[str, Any]
    involved_classes: list[str]
    functions: list[dict[str, Any]]
    tools: list[ToolSpec]
    original_names: dict[str, str]  # tool name → BFCL function name, for every function
    ground_truth: list[list[str]]
    long_context: bool = False
    added_functions: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    all_tools: list[ToolSpec] = field(default_factory=list)  # tools, then every added one
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    def original_name(self, name: str) -> str:
        """BFCL's name for a tool name the model used (unknown names pass through)."""
        return self.original_names.get(name, name)

    def functions_at(self, turn: int) -> list[dict[str, Any]]:
        """The function docs offered during turn ``turn``: BFCL only ever adds, never removes."""
        added = [f for t in sorted(self.added_functions) if t <= turn
                 for f in self.added_functions[t]]
        return [*self.functions, *added]

    def tools_at(self, turn: int) -> list[ToolSpec]:
        """`functions_at` as tool specs (names as in `original_names`)."""
        by_name = {self.original_name(s.name): s for s in self.all_tools}
        return [by_name[f["name"]] for f in self.functions_at(turn)]

    def call_string(self, call: ToolCall) -> str:
        """``call`` (a tool name the model used) as a BFCL call string; see `call_string`."""
        return call_string(self.original_name(call.name), call.arguments)


def load_multi_turn(category: str, limit: int | None = None) -> list[MultiTurnTask]:
    """The first ``limit`` tasks (all when None) of a multi-turn category, with answer keys."""
    category = category.strip()
    if category not in MULTI_TURN_CATEGORIES:
        raise ValueError(f"unknown BFCL multi-turn category {category!r}; "
                         f"known: {', '.join(MULTI_TURN_CATEGORIES)}")
    folder = data_dir()
    path = _category_file(folder, category)
    answer_path = _category_file(folder / "possible_answer", category)
    if path is None or answer_path is None:
        raise FileNotFoundError(f"no BFCL data or answers for {category!r} in {folder}")
    answers = {a["id"]: a["ground_truth"] for a in _read_jsonl(answer_path)}
    tasks = []
    for entry in _read_jsonl(path)[:limit]:
        if entry["id"] not in answers:
            raise ValueError(f"BFCL task {entry['id']} has no possible answer")
        tasks.append(_task(entry, category, answers[entry["id"]]))
    return tasks


def _task(entry: dict[str, Any], category: str, ground_truth: list[list[str]]) -> MultiTurnTask:
    # As bfcl_eval.utils.populate_test_cases_with_predefined_functions: every function of every
    # involved class, in class order; miss_func's held-back ones move to the turn that adds them.
    # (``excluded_function`` in the data is read by no BFCL code, so nothing is excluded.)
    from bfcl_eval.constants.default_prompts import DEFAULT_USER_PROMPT_FOR_ADDITIONAL_FUNCTION_FC

    functions = [doc for name in entry["involved_classes"] for doc in _func_docs(name)]
    added: dict[int, list[dict[str, Any]]] = {}
    for turn, names in entry.get("missed_function", {}).items():
        for name in names:
            i = next((i for i, f in enumerate(functions) if f["name"] == name), None)
            if i is not None:
                added.setdefault(int(turn), []).append(functions.pop(i))
    turns = [[Message(role=m["role"], content=m["content"]) for m in turn]
             for turn in entry["question"]]
    for turn in added:
        # BFCL's FC handlers send this in place of the (empty) user turn that adds functions.
        if turns[turn]:
            raise ValueError(f"BFCL task {entry['id']}: turn {turn} adds functions but has "
                             "a user message")
        turns[turn] = [Message(role="user", content=DEFAULT_USER_PROMPT_FOR_ADDITIONAL_FUNCTION_FC)]
    if len(ground_truth) != len(turns):
        raise ValueError(f"BFCL task {entry['id']}: {len(turns)} turns but "
                         f"{len(ground_truth)} in the answer key")
    late = [f for t in sorted(added) for f in added[t]]
    all_tools, names = to_toolspecs([*functions, *late])
    return MultiTurnTask(
        id=entry["id"], category=category, turns=turns,
        initial_config=entry.get("initial_config", {}),
        involved_classes=list(entry["involved_classes"]), functions=functions,
        tools=all_tools[:len(functions)], original_names=names, ground_truth=ground_truth,
        long_context=_is_long_context(entry["id"]), added_functions=added, all_tools=all_tools,
        raw=copy.deepcopy(entry),
    )


def _is_long_context(task_id: str) -> bool:
    # BFCL decides from the id's category, in the inference loop and the checker alike.
    category = task_id.rsplit("_", 1)[0]
    return "long_context" in category or "composite" in category


@functools.cache
def _func_doc_file(class_name: str) -> tuple[str, ...]:
    from bfcl_eval.constants.executable_backend_config import MULTI_TURN_FUNC_DOC_FILE_MAPPING

    path = data_dir() / "multi_turn_func_doc" / MULTI_TURN_FUNC_DOC_FILE_MAPPING[class_name]
    return tuple(json.dumps(doc) for doc in _read_jsonl(path))


def _func_docs(class_name: str) -> list[dict[str, Any]]:
    # Fresh dicts per task (the cache keeps text), so no task can change another's docs.
    return [json.loads(doc) for doc in _func_doc_file(class_name)]


def environment(task: MultiTurnTask) -> dict[str, object]:
    """Fresh instances of the task's classes (class name → instance) in their initial state,
    set up exactly as BFCL's ``execute_multi_turn_func_call`` sets them up."""
    from bfcl_eval.constants.executable_backend_config import (
        CLASS_FILE_PATH_MAPPING,
        STATELESS_CLASSES,
    )

    env: dict[str, object] = {}
    for class_name in task.involved_classes:
        try:
            module = importlib.import_module(CLASS_FILE_PATH_MAPPING[class_name])
            instance = getattr(module, class_name)()
            if class_name not in STATELESS_CLASSES:
                config = task.initial_config.get(class_name, {})
                instance._load_scenario(copy.deepcopy(config), long_context=task.long_context)
        except Exception as exc:
            raise RuntimeError(f"BFCL task {task.id}: cannot set up {class_name}: "
                               f"{type(exc).__name__}: {exc}") from exc
        env[class_name] = instance
    return env


def environment_tools(task: MultiTurnTask, env: dict[str, object],
                      functions: list[dict[str, Any]] | None = None, *,
                      max_output_chars: int | None = None) -> list[Tool]:
    """One `Tool` per function doc (default ``task.functions``; pass ``task.functions_at(i)``
    for turn ``i``), each running its method on the ``env`` instance that has it.

    Output is not capped by default: BFCL shows the model every character (long-context tasks
    rely on that). A method that raises becomes the Tool's error observation.
    """
    functions = task.functions if functions is None else functions
    owners = _method_owners(task, env)
    by_name = {task.original_name(s.name): s for s in task.all_tools}
    tools = []
    for doc in functions:
        name = doc["name"]
        if name not in owners:
            raise ValueError(f"BFCL task {task.id}: no instance has a method {name!r}")
        spec = by_name.get(name) or to_toolspecs([doc])[0][0]
        # stateful: "cd into it, then mv" in one turn runs in the order written, as BFCL does
        tools.append(Tool.from_callable(spec, _method_runner(owners[name], name),
                                        max_output_chars=max_output_chars, stateful=True))
    return tools


def _method_owners(task: MultiTurnTask, env: dict[str, object]) -> dict[str, object]:
    # As BFCL: public methods of each instance, in involved_classes order, later ones winning.
    owners: dict[str, object] = {}
    for class_name in task.involved_classes:
        if class_name in env:
            for name in _public_methods(env[class_name]):
                owners[name] = env[class_name]
    return owners


def _public_methods(instance: object) -> list[str]:
    return [name for name, _ in public_methods(instance)]


def _method_runner(instance: object, name: str):
    def run(arguments: dict[str, Any]) -> str:
        return _result_text(getattr(instance, name)(**arguments))

    run.__name__ = name
    return run


def _result_text(result: Any) -> str:
    """A method's result as BFCL's executor writes it into the conversation."""
    if type(result) is str:
        return result
    if type(result) is dict:
        try:
            return json.dumps(result)
        except (TypeError, ValueError):  # an object inside that JSON cannot hold
            return str(result)
    return str(result)


def call_string(name: str, arguments: dict[str, Any]) -> str:
    """A BFCL call string ``name(arg=value,...)``, as BFCL's FC handlers build one
    (``convert_to_function_call``): values via ``repr``, so they read back as Python literals.

    ``name`` must be BFCL's (unsanitized) function name. Raises ValueError when ``name`` or an
    argument name is not a Python identifier, or a value is not plain data (str, number, bool,
    None, list, dict): such a call cannot be written as a string the checker may run.
    """
    for word in (name, *arguments):
        if not isinstance(word, str) or not word.isidentifier() or keyword.iskeyword(word):
            raise ValueError(f"not a valid name for a BFCL call string: {word!r}")
    for value in arguments.values():
        _check_plain(value)
    return f"{name}({','.join(f'{k}={v!r}' for k, v in arguments.items())})"


def _check_plain(value: Any) -> None:
    if value is None or isinstance(value, (str, bool, int, float)):
        return
    if isinstance(value, list):
        for item in value:
            _check_plain(item)
        return
    if isinstance(value, dict):
        for key, item in value.items():
            _check_plain(key)
            _check_plain(item)
        return
    raise ValueError(f"not plain data for a BFCL call string: {type(value).__name__}")


def check_multi_turn(task: MultiTurnTask, decoded: list[list[list[str]]]) -> dict[str, Any]:
    """Score ``decoded`` (per turn, per model step, the call strings made) with BFCL's official
    ``multi_turn_checker``; returns its dict: ``{"valid": True}`` or ``valid`` False with
    ``error_type``, ``error_message`` and ``details``.

    As BFCL's eval runner: a turn count other than the answer key's fails as
    ``multi_turn:force_terminated`` (an agent that stopped early), and empty steps are dropped
    before checking. Unsafe strings are neutralized first (listed under ``blocked_calls``).
    """
    from bfcl_eval.eval_checker.multi_turn_eval import multi_turn_utils
    from bfcl_eval.eval_checker.multi_turn_eval.multi_turn_checker import multi_turn_checker

    if len(decoded) != len(task.ground_truth):
        return {
            "valid": False, "error_type": "multi_turn:force_terminated",
            "error_message": f"{len(decoded)} turns answered, the answer key has "
                             f"{len(task.ground_truth)}",
        }
    allowed = _task_methods(task.involved_classes)
    blocked: list[str] = []
    turns = []
    for turn in decoded:
        steps = []
        for step in turn:
            if multi_turn_utils.is_empty_execute_response(step):
                continue
            safe = [_safe_call(call, allowed) for call in step]
            blocked += [call for call, s in zip(step, safe, strict=True) if s != call]
            steps.append(safe)
        turns.append(steps)
    # The checker keeps its instances in module globals keyed by model name and task id, and
    # reuses them on a later check under the same key: a fresh name per check, removed after.
    model_name = f"toolweave_{uuid.uuid4().hex}"
    try:
        result = multi_turn_checker(turns, task.ground_truth, task.raw,
                                    task.raw["id"].rsplit("_", 1)[0], model_name)
    finally:
        space = vars(multi_turn_utils)
        for key in [k for k in space if k.startswith(f"{model_name}_")]:
            del space[key]
    if blocked:
        result["blocked_calls"] = blocked
    return result


def _task_methods(class_names: list[str]) -> frozenset[str]:
    """Every public method of the classes: what BFCL's executor lets a call string reach
    (including functions not offered yet, e.g. miss_func's held-back ones)."""
    return frozenset(name for class_name in class_names for name in _class_methods(class_name))


@functools.cache
def _class_methods(class_name: str) -> tuple[str, ...]:
    from bfcl_eval.constants.executable_backend_config import CLASS_FILE_PATH_MAPPING

    module = importlib.import_module(CLASS_FILE_PATH_MAPPING[class_name])
    return tuple(_public_methods(getattr(module, class_name)()))


def _safe_call(text: str, allowed: frozenset[str]) -> str:
    """``text`` if it is ``method(literal, ..., key=literal, ...)`` for a method in ``allowed``
    (BFCL prefixes those with their instance before ``eval``), else a call of an undefined name.

    BFCL ``eval``s call strings in a module that imports ``importlib`` and holds its instances,
    with all builtins in reach (``open(file=..., mode='w')`` would run). An undefined name fails
    there with NameError, recorded as an error result with no effect on state: what BFCL makes
    of any call the APIs do not have, so the verdict is the same.
    """
    if not isinstance(text, str):
        return f"{_BLOCKED}()"
    try:
        node = ast.parse(text.strip(), mode="eval").body
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                and node.func.id in allowed):
            return f"{_BLOCKED}()"
        for arg in [*node.args, *(k.value for k in node.keywords)]:
            if isinstance(arg, ast.Starred):
                return f"{_BLOCKED}()"
            ast.literal_eval(arg)
        if any(k.arg is None for k in node.keywords):  # **kwargs
            return f"{_BLOCKED}()"
    except (SyntaxError, ValueError, TypeError, MemoryError, RecursionError):
        return f"{_BLOCKED}()"
    return text
