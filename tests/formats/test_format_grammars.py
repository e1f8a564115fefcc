"""Each text format's grammar: built once per tool set, accepted by llama.cpp, and what the real
tiny model writes under it parses cleanly into calls valid under each tool's schema."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import jsonschema
import pytest

from toolweave.formats import FORMATS, get_format
from toolweave.formats.base import function_schema
from toolweave.types import Constraint, Message, ToolCall, ToolSpec

sys.path.insert(0, str(Path(__file__).parent))  # pytest runs with --import-mode=importlib
from toolweave_format_cases import ALL_TOOLS, DATE_PATTERN, MODEL_TOOLS, TEXT_FORMATS

NESTED = ToolSpec(name="book", description="Book a trip.", parameters={
    "type": "object", "properties": {
        "trip": {"type": "object", "properties": {
            "from": {"type": "string"}, "to": {"type": "string"},
            "legs": {"type": "array", "items": {"type": "object", "properties": {
                "day": {"type": "integer", "minimum": 1}}, "required": ["day"]}}},
            "required": ["from", "to"]},
        "class": {"type": ["string", "null"]},
        "code": {"type": "string", "pattern": "^[A-Z]{3}$"},
        "when": {"const": "now"}},
    "required": ["trip"]})
NO_ARGS = ToolSpec(name="now", description="The time.")
JSON_INPUT = ToolSpec(name="post", kind="custom", input_format=Constraint.json_schema(
    {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}))
TOOL_SETS = {"none": [], "all": ALL_TOOLS, "odd": [NESTED, NO_ARGS, JSON_INPUT]}


@pytest.mark.parametrize("name", TEXT_FORMATS)
def test_grammar_is_built_once_per_tool_set(name, monkeypatch):
    fmt = FORMATS[name]
    builds = []
    original = type(fmt).build_grammar
    monkeypatch.setattr(type(fmt), "build_grammar",
                        lambda self, tools, *rest, **kw: builds.append(1)
                        or original(self, tools, *rest, **kw))
    tools = [ToolSpec(name="only_here", description=f"unique to {__name__} {name}")]
    first = fmt.grammar(tools)
    assert fmt.grammar(list(tools)) is first
    assert get_format(name, tools).grammar(tools) is first  # bound copies share the cache
    assert len(builds) == 1
    assert fmt.grammar([*tools, NO_ARGS]) is not first and len(builds) == 2
    # a cap on the calls is another grammar, built once too
    fewer = fmt.grammar(tools, max_calls=1)
    assert fewer is not first and fmt.grammar(tools, max_calls=1) is fewer and len(builds) == 3


@pytest.mark.model
@pytest.mark.parametrize("tool_set", TOOL_SETS)
@pytest.mark.parametrize("name", TEXT_FORMATS)
async def test_grammar_compiles_in_llama_cpp(tiny, name, tool_set):
    grammar = FORMATS[name].grammar(TOOL_SETS[tool_set])
    # llama.cpp parses and checks the grammar before sampling the first token
    await tiny.complete([Message(role="user", content="hi")], constraint=grammar, max_tokens=1)


PROMPTS = [
    "What's the weather in Paris?",
    "What is 2 + 40?",
    "Which day of the week was 2024-05-01?",
    "Weather in Tokyo in fahrenheit please.",
    "Say hello to me.",
    "Add 17 and 25.",
]


def _check_call(call: ToolCall, tools: dict[str, ToolSpec]) -> None:
    assert call.name in tools, call
    tool = tools[call.name]
    jsonschema.validate(call.arguments, function_schema(tool))
    if tool.kind == "custom":
        assert re.fullmatch(DATE_PATTERN, call.arguments["input"]), call


@pytest.mark.model
@pytest.mark.parametrize("name", TEXT_FORMATS)
async def test_constrained_turns_parse_into_valid_calls(tiny, name):
    tools = MODEL_TOOLS[name]
    fmt = get_format(name, tools)
    grammar = fmt.grammar(tools)
    assert grammar is fmt.grammar(tools)
    # One worked example: the 135M model rarely calls a tool from the docs alone.
    example = [Message(role="user", content="What's the weather in Rome?"),
               fmt.assistant_message("I will check the weather.",
                                     [ToolCall(name="get_weather", arguments={"city": "Rome"})])]
    system = Message(role="system", content=fmt.render(tools))
    by_name = {t.name: t for t in tools}
    calls = 0
    for prompt in PROMPTS:
        completion = await tiny.complete(
            [system, *example, Message(role="user", content=prompt)],
            constraint=grammar, max_tokens=200)
        turn = fmt.parse_completion(completion)
        if completion.finish_reason == "length":  # a prefix of a valid turn: only cut short
            assert all("cut off" in e.message for e in turn.errors), (completion.text, turn)
        else:
            assert turn.ok, (completion.text, turn.errors)
        for call in turn.calls:
            _check_call(call, by_name)
        calls += len(turn.calls)
    assert calls >= 2  # the call half of the grammar was exercised, not only free text


@pytest.mark.model
@pytest.mark.parametrize("name", ["hermes", "glm-xml", "plaintext"])
async def test_required_call_grammar_always_produces_a_call(tiny, name):
    """With require_call the model cannot answer from memory: the turn parses into calls."""
    from toolweave.formats import get_format
    from toolweave.types import Message, ToolSpec

    tools = [ToolSpec(name="lookup", description="Look a word up.",
                      parameters={"type": "object", "properties": {"word": {"type": "string"}},
                                  "required": ["word"]})]
    fmt = get_format(name, tools)
    grammar = fmt.grammar(tools, require_call=True)
    assert grammar is not fmt.grammar(tools)  # a separate cached variant
    for question in ("What is the capital of France?", "Hello!"):
        completion = await tiny.complete(
            [Message(role="system", content=fmt.render(tools)),
             Message(role="user", content=question)], constraint=grammar, max_tokens=200)
        turn = fmt.parse_completion(completion)
        assert turn.ok and turn.calls and turn.calls[0].name == "lookup", completion.text
