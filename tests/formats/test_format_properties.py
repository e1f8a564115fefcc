"""Properties every format keeps: parsing never raises, and written calls read back unchanged."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from toolweave.formats import FORMATS, ParsedTurn, get_format
from toolweave.types import Completion

sys.path.insert(0, str(Path(__file__).parent))  # pytest runs with --import-mode=importlib
from toolweave_format_cases import (
    ALL_FORMATS,
    ALL_TOOLS,
    TEXT_FORMATS,
    adversarial_text,
    calls,
    same,
    thoughts,
)

SETTINGS = settings(deadline=None, max_examples=100,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])

# Both the registry's unbound formats and formats bound to the tool set.
PARSERS = [(name, bound) for name in ALL_FORMATS for bound in (False, True)]


def _format(name: str, bound: bool):
    return get_format(name, ALL_TOOLS) if bound else FORMATS[name]


def _never_fails(turn: ParsedTurn) -> None:
    assert isinstance(turn, ParsedTurn)
    assert not any(e.message.startswith("internal parser error") for e in turn.errors), \
        turn.errors


@pytest.mark.parametrize("name,bound", PARSERS)
@SETTINGS
@given(text=st.one_of(st.text(), adversarial_text))
def test_parse_never_raises(name, bound, text):
    fmt = _format(name, bound)
    _never_fails(fmt.parse(text))
    _never_fails(fmt.parse_completion(Completion(text=text, finish_reason="length")))


@pytest.mark.parametrize("name", ALL_FORMATS)
@pytest.mark.parametrize("text", [
    "[" * 100_000,
    "<tool_call>" + '{"name": ' * 50_000,
    "<tool_call>\n" + '{"name": "add", "arguments": ' + "[" * 100_000 + "}\n</tool_call>",
    "<tool_call>add\n<arg_key>a</arg_key>\n<arg_value>" + "[" * 100_000 + "</arg_value>",
    "CALL add\na: " + "[" * 100_000 + "\nEND",
    "<tool_call>" * 20_000,
    "CALL x\n" * 20_000,
    "\x00\ud800\udfff",
])
def test_parse_survives_pathological_input(name, text):
    for bound in (False, True):
        _never_fails(_format(name, bound).parse(text))


@pytest.mark.parametrize("name", TEXT_FORMATS)
@SETTINGS
@given(data=st.data())
def test_written_calls_read_back(name, data):
    fmt = get_format(name, ALL_TOOLS)
    thought = data.draw(thoughts(name), label="thought")
    written = data.draw(calls(name), label="calls")
    message = fmt.assistant_message(thought, written)
    turn = fmt.parse(message.content)
    assert turn.ok, (message.content, turn.errors)
    assert [c.name for c in turn.calls] == [c.name for c in written]
    for got, want in zip(turn.calls, written, strict=True):
        assert same(got.arguments, want.arguments), (message.content, got, want)
    assert turn.text == thought.strip()


@SETTINGS
@given(data=st.data())
def test_openai_calls_read_back(data):
    fmt = FORMATS["openai"]
    thought = data.draw(thoughts("openai"))
    written = data.draw(calls("hermes"))
    message = fmt.assistant_message(thought, written)
    turn = fmt.parse_completion(Completion(text=message.content, tool_calls=message.tool_calls))
    assert turn.ok
    assert [(c.id, c.name, c.arguments) for c in turn.calls] == \
        [(c.id, c.name, c.arguments) for c in written]


@pytest.mark.parametrize("name", TEXT_FORMATS)
@SETTINGS
@given(data=st.data())
def test_render_is_deterministic_and_lists_tools_in_order(name, data):
    tools = data.draw(st.permutations(ALL_TOOLS))
    fmt = FORMATS[name]
    text = fmt.render(tools)
    assert text == fmt.render(list(tools))
    positions = [text.index(t.name) for t in tools]
    assert positions == sorted(positions)
