"""Every parser that reads model (or server) output, as a fuzz target, and a seeded mutation
generator over real outputs taken from the test cases.

Shared by ``bench/fuzz.py`` (≥ 100k inputs per parser) and ``tests/test_parser_properties.py``
(hypothesis, bounded for CI), so both hold each parser to the same contract: on any text it
raises nothing but its documented error type, and what it returns is sound (no internal parser
error it swallowed, nothing a trace could not write as UTF-8 JSON).
"""

from __future__ import annotations

import ast
import json
import random
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

from toolweave.agents import preact
from toolweave.agents.dag import plan as dag_plan
from toolweave.errors import ServerError
from toolweave.formats import FORMATS, ParsedTurn, get_format
from toolweave.models._openai_sse import ChunkAccumulator, SseDecoder
from toolweave.tools.arguments import ArgumentError, Prepare, custom_input, validated_arguments
from toolweave.tools.schema import build_arguments_model, json_schema
from toolweave.types import Completion, Constraint, ToolSpec

TESTS = Path(__file__).parents[1] / "tests"


class BadResult(Exception):
    """A parser returned, but what it returned is wrong (it swallowed an internal error, or a
    trace could not write it)."""


@dataclass(frozen=True)
class Target:
    """One parser: ``run(text)`` raises only ``allowed`` (its documented errors), or
    `BadResult` when its result breaks the contract. ``corpus``: which seeds suit it."""

    name: str
    run: Callable[[str], None]
    allowed: tuple[type[BaseException], ...]
    corpus: Literal["text", "sse"] = "text"


def _writable(value: Any) -> None:
    """What a trace would write: JSON, then UTF-8."""
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except (ValueError, TypeError, RecursionError) as exc:
        raise BadResult(f"not writable: {type(exc).__name__}") from exc


# -- the tool-call formats ---------------------------------------------------------------------

WEATHER = ToolSpec(name="get_weather", description="Weather for a city.", parameters={
    "type": "object", "properties": {"city": {"type": "string"},
                                     "unit": {"type": "string", "enum": ["c", "f"]}},
    "required": ["city"]})
ADD = ToolSpec(name="add", description="Add two integers.", parameters={
    "type": "object", "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
    "required": ["a", "b"]})
NOTE = ToolSpec(name="save_note", description="Save a note.", parameters={
    "type": "object", "properties": {"title": {"type": "string"},
                                     "tags": {"type": "array", "items": {"type": "string"}},
                                     "meta": {"type": "object"}, "extra": {}},
    "required": ["title"]})
DATE = ToolSpec(name="day_of_week", description="Weekday of a date.", kind="custom",
                input_format=Constraint.regex(r"\d{4}-\d{2}-\d{2}"))
TOOLS = [WEATHER, ADD, NOTE, DATE]
TOOL_NAMES = [t.name for t in TOOLS]


def _check_turn(turn: ParsedTurn) -> None:
    if not isinstance(turn, ParsedTurn):
        raise BadResult(f"returned {type(turn).__name__}, not a ParsedTurn")
    for error in turn.errors:
        if error.message.startswith("internal parser error"):
            raise BadResult(error.message[:120])
    try:
        turn.model_dump_json()
    except Exception as exc:  # noqa: BLE001 - any failure to write is the finding
        raise BadResult(f"not writable: {type(exc).__name__}") from exc


def format_target(name: str) -> Target:
    """A format's parser, unbound and bound to `TOOLS`, on whole and cut-off turns."""
    formats = (FORMATS[name], get_format(name, TOOLS))

    def run(text: str) -> None:
        cut = Completion(text=text, finish_reason="length")
        for fmt in formats:
            _check_turn(fmt.parse(text))
            _check_turn(fmt.parse_completion(cut))

    return Target(name, run, ())


# -- plans ---------------------------------------------------------------------------------------

def _run_dag_plan(text: str) -> None:
    whole = dag_plan.parse_plan(text)
    streamed = dag_plan.PlanParser()
    for start in range(0, len(text), 97):  # as a stream arrives: in pieces, lines split
        streamed.feed(text[start:start + 97])
    if [asdict(t) for t in streamed.finish().tasks] != [asdict(t) for t in whole.tasks]:
        raise BadResult("the streamed plan differs from the whole one")
    problems = dag_plan.validate(whole, TOOL_NAMES)
    results = {task.id: f"result {task.id}" for task in whole.tasks}
    for task in whole.tasks:
        dag_plan.substitute(task.args, results)
    _writable({"plan": [t.line for t in whole.tasks], "tasks": [asdict(t) for t in whole.tasks],
               "problems": problems, "subqueries": dag_plan.parse_subqueries(text)})


def _run_preact_plan(text: str) -> None:
    steps = preact.parse_plan(text, TOOL_NAMES)
    if not steps or not steps[-1].final:
        raise BadResult("the plan does not end with its final-answer step")
    for step in steps:
        step.model_dump_json()


# -- arguments -----------------------------------------------------------------------------------

def _typed_tool(a: int, b: float = 0.0, city: str = "", tags: list[str] | None = None,
                mode: Literal["fast", "slow"] = "fast", meta: dict[str, Any] | None = None,
                flag: bool = False) -> str:
    """A tool with one parameter of each kind the schema layer handles."""
    return ""


@cache
def _prepares() -> list[Prepare]:
    model, params = build_arguments_model(_typed_tool, "typed_tool", {})
    return [validated_arguments(model, params, json_schema(model)),
            custom_input(DATE, pass_dict=False),
            custom_input(ToolSpec(name="free", kind="custom"), pass_dict=True)]


def _argument_sets(text: str) -> list[dict[str, Any]]:
    """The dicts a model's text can become: itself as JSON, the calls parsed out of it, and
    the text in each parameter."""
    sets: list[dict[str, Any]] = [{"input": text}, {"a": text, "b": text, "city": text},
                                  {"tags": [text], "mode": text, "meta": {text: text}}]
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        value = None
    if isinstance(value, dict):
        sets.append(value)
    for fmt in ("hermes", "glm-xml"):
        sets += [call.arguments for call in FORMATS[fmt].parse(text).calls]
    if isinstance(args := dag_plan.parse_args(text), dict):
        sets.append(args)
    return sets


def _run_arguments(text: str) -> None:
    for arguments in _argument_sets(text):
        for prepare in _prepares():
            try:
                prepare(arguments)
            except ArgumentError as exc:
                if not isinstance(exc.message, str):
                    raise BadResult("an ArgumentError without a text message") from exc


# -- the OpenAI-compatible stream ----------------------------------------------------------------

def _run_sse(body: str) -> None:
    decoder, acc = SseDecoder("fuzz"), ChunkAccumulator("fuzz")
    for start in range(0, len(body), 113):  # as the network delivers it: in pieces
        for data in decoder.feed(body[start:start + 113]):
            acc.event(data)
    for data in decoder.close():
        acc.event(data)
    acc.check_ended()
    completion = acc.completion("fuzz")
    try:
        completion.model_dump_json()
    except Exception as exc:  # noqa: BLE001 - any failure to write is the finding
        raise BadResult(f"not writable: {type(exc).__name__}") from exc


TARGETS: list[Target] = [
    *(format_target(name) for name in ("hermes", "openai", "glm-xml", "plaintext")),
    Target("dag-plan", _run_dag_plan, ()),
    Target("preact-plan", _run_preact_plan, ()),
    Target("arguments", _run_arguments, (ArgumentError,)),
    Target("openai-sse", _run_sse, (ServerError,), corpus="sse"),
]


def check(target: Target, text: str) -> BaseException | None:
    """Run ``target`` on ``text``; the exception that breaks its contract, or None."""
    try:
        target.run(text)
    except target.allowed:
        return None
    except Exception as exc:  # noqa: BLE001 - any other exception is a finding
        return exc
    return None


# -- seeds ---------------------------------------------------------------------------------------

SEED_FILES = ["formats/test_hermes_format.py", "formats/test_glm_xml_format.py",
              "formats/test_plaintext_format.py", "formats/test_openai_format.py",
              "formats/test_format_properties.py", "formats/toolweave_format_cases.py",
              "agents/test_dag.py", "agents/test_preact.py", "tools/test_tool.py"]


@cache
def text_seeds() -> tuple[str, ...]:
    """Every string (and bytes) literal of the format, plan and tool tests: real model turns,
    plans and the malformed variants the tests already know about."""
    seeds: set[str] = set()
    for name in SEED_FILES:
        path = TESTS / name
        if not path.exists():
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            value = getattr(node, "value", None) if isinstance(node, ast.Constant) else None
            if isinstance(value, bytes):
                value = value.decode("utf-8", "surrogateescape")
            if isinstance(value, str) and 4 <= len(value) <= 5000:
                seeds.add(value)
    return tuple(sorted(seeds))


def sse_body(text: str, rng: random.Random) -> str:
    """A well-formed chat-completions stream whose content (or a tool call's arguments) is
    ``text``, cut into pieces as a server streams it."""
    pieces = [text[i:i + rng.randint(1, 12)] for i in range(0, len(text), 12)] or [""]
    chunks: list[dict[str, Any]] = [{"model": "m", "choices": [{"index": 0,
                                                                 "delta": {"content": p}}]}
                                    for p in pieces]
    if rng.random() < 0.5:
        chunks.append({"choices": [{"index": 0, "delta": {"tool_calls": [
            {"index": 0, "id": "c1", "type": "function",
             "function": {"name": "add", "arguments": text}}]}}]})
    chunks.append({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
    chunks.append({"choices": [], "usage": {"prompt_tokens": 5, "completion_tokens": 3,
                                            "prompt_tokens_details": {"cached_tokens": 1}}})
    events = [json.dumps(c) for c in chunks] + ["[DONE]"]
    return "".join(f"data: {e}\n\n" if rng.random() < 0.9 else f": ping\r\ndata: {e}\r\n\r\n"
                   for e in events)


# -- mutation ------------------------------------------------------------------------------------

CONTROL_TOKENS = ["<|im_start|>", "<|im_end|>", "<|endoftext|>", "<think>", "</think>",
                  "<|eot_id|>", "<|start_header_id|>", "<|python_tag|>", "[TOOL_CALLS]",
                  "<|user|>", "<|assistant|>", "<|observation|>", "<tool_response>",
                  "</tool_response>", "<|im_start|>system\n", "<s>", "</s>"]
MARKUP = ["<tool_call>", "</tool_call>", "<arg_key>", "</arg_key>", "<arg_value>",
          "</arg_value>", "CALL ", "CALL add\n", "\nEND\n", "END", '{"name": ', '"arguments": ',
          "{", "}", "[", "]", '"', "'", "\\", ":", ",", "\n", "\r\n", "\r", " ", "\t", "```",
          "```json\n", "join()", "Thought: ", "1. ", "2. add(", ")", "$1", "${2}", "- ",
          " - ", "final answer", "data: ", "\n\n", ": ping\n", "[DONE]", "null", "true",
          '"\\ud800"', '"\\udfff"', "1e999", "-0", "NaN", "Infinity", "1" + "0" * 5000,
          '{"a": 1}', "[1, 2]", '"choices": ', '"delta": ', '"content": ', '"tool_calls": ',
          '"index": ', '"function": ', '"usage": ', '"error": ']
ODD_CHARS = ["\x00", "\x1b", "\x7f", "\x85", "\u2028", "\u2029", "\ufeff", "\ufffd", "\u200b",
             "\u2060", "\ud800", "\udbff", "\udc00", "\udfff", "\U0001f642", "é", "中", "\u0301"]
NEST_OPENERS = ["[", "{", '{"a": ', '[{"a": ', "(", "<tool_call>", "((", "{'a': "]
# JSON values of surprising types, for shape mutations of stream chunks
ODD_VALUES: list[Any] = ["", "x", 0, -1, 1.5, 10**30, True, False, None, [], {}, [1], ["x"],
                         {"a": 1}, {"content": "x"}, "\ud800", 1e308, [[[[[]]]]]]


class Mutator:
    """Seeded mutations of seed texts: inserted markup, control tokens, odd and invalid
    characters, corrupted UTF-8, deep nesting, repetition, splices, cuts."""

    def __init__(self, rng: random.Random, seeds: Sequence[str], max_chars: int = 100_000):
        self.rng = rng
        self.seeds = seeds
        self.max_chars = max_chars
        self.ops: list[Callable[[str], str]] = [
            self.insert_markup, self.insert_markup, self.insert_odd_char, self.delete_span,
            self.repeat_span, self.splice, self.nest, self.corrupt_utf8, self.cut,
            self.insert_control_token, self.replace_chars]

    def text(self) -> str:
        """A seed with one to four mutations."""
        text = self.rng.choice(self.seeds)
        for _ in range(self.rng.randint(1, 4)):
            text = self.rng.choice(self.ops)(text)
        return text[:self.max_chars]

    def sse(self) -> str:
        """A stream: a well-formed one around a mutated text, then maybe its chunks' shapes
        and its bytes mutated."""
        body = sse_body(self.text()[:4000], self.rng)
        if self.rng.random() < 0.6:
            body = self.reshape_chunks(body)
        if self.rng.random() < 0.4:
            body = self.rng.choice(self.ops)(body)
        return body[:self.max_chars]

    def _at(self, text: str) -> int:
        return self.rng.randint(0, len(text))

    def insert_markup(self, text: str) -> str:
        at = self._at(text)
        return text[:at] + self.rng.choice(MARKUP) + text[at:]

    def insert_control_token(self, text: str) -> str:
        at = self._at(text)
        return text[:at] + self.rng.choice(CONTROL_TOKENS) + text[at:]

    def insert_odd_char(self, text: str) -> str:
        at = self._at(text)
        odd = self.rng.choice(ODD_CHARS) if self.rng.random() < 0.7 else chr(
            self.rng.randint(0, 0x10FFFF))
        return text[:at] + odd + text[at:]

    def replace_chars(self, text: str) -> str:
        chars = list(text)
        for _ in range(self.rng.randint(1, 8)):
            if chars:
                chars[self.rng.randrange(len(chars))] = chr(self.rng.randint(0, 0x10FFFF))
        return "".join(chars)

    def delete_span(self, text: str) -> str:
        a, b = sorted((self._at(text), self._at(text)))
        return text[:a] + text[b:]

    def repeat_span(self, text: str) -> str:
        a, b = sorted((self._at(text), self._at(text)))
        times = self.rng.choice([2, 3, 10, 100, 1000])
        return text[:a] + text[a:b][:200] * times + text[b:]

    def splice(self, text: str) -> str:
        other = self.rng.choice(self.seeds)
        return text[:self._at(text)] + other[self.rng.randint(0, len(other)):]

    def nest(self, text: str) -> str:
        # rarely very deep: such an input costs a parser ~0.5 s, a thousand shallow ones less
        depth = self.rng.choice([3, 30, 70, 300, 900, 1100, 5000] if self.rng.random() < 0.995
                                else [50_000])
        opener = self.rng.choice(NEST_OPENERS)
        closer = "".join({"[": "]", "{": "}", "(": ")"}.get(c, "") for c in reversed(opener)
                         if c in "[{(")
        at = self._at(text)
        body = opener * depth + ("1" + closer * depth if self.rng.random() < 0.5 else "")
        return text[:at] + body + text[at:]

    def corrupt_utf8(self, text: str) -> str:
        data = bytearray(text.encode("utf-8", "surrogatepass"))
        for _ in range(self.rng.randint(1, 6)):
            if data and self.rng.random() < 0.5:
                data[self.rng.randrange(len(data))] = self.rng.randrange(256)
            else:
                data.insert(self.rng.randint(0, len(data)), self.rng.randrange(0x80, 0x100))
        return bytes(data).decode("utf-8", "surrogateescape")

    def cut(self, text: str) -> str:
        return text[:self._at(text)]

    def reshape_chunks(self, body: str) -> str:
        """One ``data:`` event's JSON with a node replaced by a value of another type."""
        lines = body.split("\n")
        events = [i for i, line in enumerate(lines) if line.startswith("data: {")]
        if not events:
            return body
        i = self.rng.choice(events)
        chunk = json.loads(lines[i][len("data: "):])
        lines[i] = "data: " + json.dumps(self._reshape(chunk))
        return "\n".join(lines)

    def _reshape(self, node: Any) -> Any:
        children = (list(node.items()) if isinstance(node, dict)
                    else list(enumerate(node)) if isinstance(node, list) else [])
        if not children or self.rng.random() < 0.3:
            return self.rng.choice(ODD_VALUES)
        key, child = self.rng.choice(children)
        node[key] = self._reshape(child)
        return node


def inputs(target: Target, rng: random.Random) -> Callable[[], str]:
    """A generator of inputs for ``target``: mutated text, or mutated streams."""
    mutator = Mutator(rng, text_seeds())
    return mutator.sse if target.corpus == "sse" else mutator.text
