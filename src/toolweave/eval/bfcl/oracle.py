"""A perfect BFCL "model": answers each task with its answer key, written in a tool format.

It checks the harness, not a model: run through `predict` it exercises the same path a real
model's turn takes (format text → parser → original names → official checker), so anything
short of 100 % is a bug in the data conversion, a format's round trip or the scoring glue.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any

from toolweave.eval.bfcl.data import BfclTask
from toolweave.eval.bfcl.predict import INSTRUCTIONS, task_messages
from toolweave.formats import get_format
from toolweave.models.base import StreamingModel
from toolweave.types import Completion, Delta, Message, ToolCall, ToolSpec


def first_acceptable(choices: list[Any], param: dict[str, Any] | None = None,
                     required: bool = False) -> tuple[bool, Any]:
    """``(present, value)``: the first acceptable value of one answer-key entry; an optional
    argument whose first choice is ``""`` (BFCL's "may be left out") is left out, a required
    one takes its first real choice.

    For ``dict`` parameters (and arrays of dicts) a choice is itself a dict of choice lists
    (``{"k": [choice, ...]}``, one level deep, as BFCL's ``dict_checker`` reads it)."""
    if required:
        choices = [c for c in choices if c != ""]
    if not choices or choices[0] == "":
        return False, None
    value = choices[0]
    kind = (param or {}).get("type")
    items = (param or {}).get("items") or {}
    if kind == "dict" and isinstance(value, dict):
        return True, _pick(value)
    if kind == "array" and items.get("type") == "dict" and isinstance(value, list):
        return True, [_pick(v) if isinstance(v, dict) else v for v in value]
    return True, value


def _pick(choice_lists: dict[str, Any]) -> dict[str, Any]:
    return {k: c[0] for k, c in choice_lists.items()
            if isinstance(c, list) and c and c[0] != ""}


def oracle_output(task: BfclTask) -> list[dict[str, dict[str, Any]]]:
    """The answer key as BFCL model output ``[{name: {arg: value}}]`` (original names).

    Irrelevance tasks get no call; relevance tasks (no key: any call counts) a bare call of
    their first function."""
    if task.category == "live_relevance":
        return [{task.functions[0]["name"]: {}}]
    docs = {f["name"]: f.get("parameters", {}) for f in task.functions}
    output = []
    for call in task.possible_answer or []:
        (name, args), = call.items()
        params = docs.get(name, {}).get("properties", {})
        required = docs.get(name, {}).get("required", [])
        picked = {k: first_acceptable(v, params.get(k), k in required) for k, v in args.items()}
        output.append({name: {k: v for k, (present, v) in picked.items() if present}})
    return output


def answer_key_defects(task: BfclTask) -> list[str]:
    """Why ``task``'s answer key is unsound: no output can meet it (a few BFCL keys omit a
    required parameter or name one the function does not have), or only one that breaks the
    function's own schema (a non-string answer for a ``string`` parameter, which text formats
    that write strings raw, like glm-xml, rightly read back as a string). Empty when sound."""
    docs = {f["name"]: f.get("parameters", {}) for f in task.functions}
    defects = []
    for call in task.possible_answer or []:
        (name, args), = call.items()
        doc = docs.get(name)
        if doc is None:
            defects.append(f"{name}: no such function")
            continue
        props = doc.get("properties", {})
        defects += [f"{name}: required {r!r} missing from the key"
                    for r in doc.get("required", [])
                    if not [c for c in args.get(r, []) if c != ""]]
        defects += [f"{name}: {k!r} is not a parameter" for k in args if k not in props]
        defects += [f"{name}: non-string answer for string parameter {k!r}"
                    for k, choices in args.items()
                    if props.get(k, {}).get("type") == "string"
                    and [c for c in choices if c != ""]
                    and not any(isinstance(c, str) and c != "" for c in choices)]
    return defects


def oracle_calls(task: BfclTask) -> list[ToolCall]:
    """`oracle_output` as tool calls under the sanitized names the model sees."""
    sanitized = {original: name for name, original in task.original_names.items()}
    return [ToolCall(name=sanitized.get(name, name), arguments=args)
            for call in oracle_output(task) for name, args in call.items()]


class OracleModel(StreamingModel):
    """Replies to each task's question with its answer key in format ``fmt_name``."""

    constraint_kinds = frozenset({"json_schema", "regex", "grammar:gbnf"})

    def __init__(self, tasks: Sequence[BfclTask], fmt_name: str = "hermes",
                 instructions: str = INSTRUCTIONS):
        self.name = "oracle"
        self.fmt_name = fmt_name
        # Keyed by the whole conversation sent: the same question recurs across categories
        # with other tools (and answers). ``instructions``: those the prompts are sent with.
        native = get_format(fmt_name).native
        self._by_prompt = {
            _prompt_key(task_messages(t, fmt_name, instructions), t.tools if native else ()): t
            for t in tasks}

    async def stream(self, messages: Sequence[Message], **kwargs) -> AsyncIterator[Delta]:
        task = self._by_prompt[_prompt_key(messages, kwargs.get("tools", ()))]
        calls = oracle_calls(task)
        fmt = get_format(self.fmt_name, task.tools)
        if fmt.native:
            completion = Completion(tool_calls=calls, model=self.name)
        else:
            completion = Completion(text=fmt.assistant_message("", calls).content,
                                    model=self.name)
        yield Delta(completion=completion)


def _prompt_key(messages: Sequence[Message], tools: Sequence[ToolSpec]) -> str:
    """What the model is sent; native tools count (they are not in the prompt text)."""
    return "\n".join([*(f"{m.role}: {m.content}" for m in messages),
                      *(t.model_dump_json() for t in tools)])
