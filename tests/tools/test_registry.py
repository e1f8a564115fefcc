"""Behaviour of `ToolRegistry` and `load_tools`."""

import asyncio
import time
from pathlib import Path

import pytest

from toolweave.tools import (
    DuplicateToolError,
    ToolLoadError,
    ToolRegistry,
    UnknownToolError,
    load_tools,
    tool,
)
from toolweave.types import ToolCall


def alpha(x: int) -> int:
    """First."""
    return x


def beta(x: int) -> int:
    """Second."""
    return x * 2


@tool
def gamma() -> str:
    """Third."""
    return "g"


@pytest.fixture
def registry():
    return ToolRegistry([beta, gamma, alpha])


@pytest.fixture
def sample_module(monkeypatch):
    monkeypatch.syspath_prepend(str(Path(__file__).parent))
    return "toolweave_sample_tools"


def test_container_protocol(registry):
    assert len(registry) == 3
    assert "alpha" in registry and "delta" not in registry
    assert [t.name for t in registry] == ["beta", "gamma", "alpha"]
    assert registry.get("gamma") is gamma
    assert registry["beta"].name == "beta"


def test_specs_keep_insertion_order(registry):
    assert [s.name for s in registry.specs()] == ["beta", "gamma", "alpha"]
    assert registry.specs() == registry.specs()


def test_add_works_as_a_decorator():
    reg = ToolRegistry()

    @reg.add
    def hello(name: str) -> str:
        return f"hi {name}"

    assert reg.names() == ["hello"] and reg.get("hello") is hello


def test_duplicate_names_are_rejected(registry):
    with pytest.raises(DuplicateToolError, match="'alpha' is already registered"):
        registry.add(alpha)
    with pytest.raises(DuplicateToolError):
        registry.add(tool(beta, name="gamma"))
    assert len(registry) == 3


def test_unknown_name_lists_close_matches(registry):
    with pytest.raises(UnknownToolError) as info:
        registry.get("alpah")
    assert isinstance(info.value, KeyError)
    assert "Did you mean 'alpha'?" in str(info.value)
    assert "beta, gamma, alpha" in str(info.value)


def test_include_composes_sources(registry):
    combined = ToolRegistry().include(registry).include([tool(alpha, name="alpha2")])
    assert combined.names() == ["beta", "gamma", "alpha", "alpha2"]
    with pytest.raises(DuplicateToolError):
        combined.include(registry)


async def test_invoke_runs_the_named_tool(registry):
    obs = await registry.invoke(ToolCall(id="c1", name="beta", arguments={"x": 21}))
    assert obs.ok and obs.content == "42" and obs.call_id == "c1"


async def test_invoke_unknown_tool_is_an_observation(registry):
    obs = await registry.invoke(ToolCall(name="gama"))
    assert not obs.ok and obs.error == "unknown_tool" and obs.tool == "gama"
    assert "Did you mean 'gamma'?" in obs.content
    assert "Available tools: beta, gamma, alpha." in obs.content


async def test_invoke_all_overlaps_and_keeps_call_order():
    @tool
    async def nap(seconds: float, label: str) -> str:
        await asyncio.sleep(seconds)
        return label

    @tool
    def doze(seconds: float, label: str) -> str:
        time.sleep(seconds)
        return label

    reg = ToolRegistry([nap, doze])
    calls = [ToolCall(name="nap", arguments={"seconds": 0.3, "label": "first"}),
             ToolCall(name="doze", arguments={"seconds": 0.2, "label": "second"}),
             ToolCall(name="missing")]
    first, second, missing = await reg.invoke_all(calls)
    assert [first.content, second.content] == ["first", "second"]
    assert [o.call_id for o in (first, second, missing)] == [c.id for c in calls]
    assert not missing.ok
    # Each started before the other ended: they ran at the same time.
    assert first.started_at < second.ended_at and second.started_at < first.ended_at


def test_load_a_single_tool(sample_module):
    assert load_tools(f"{sample_module}:shout").names() == ["shout"]


def test_load_a_plain_function_and_a_nested_attribute(sample_module):
    assert load_tools(f"{sample_module}:reverse").names() == ["reverse"]
    assert load_tools(f"{sample_module}:Namespace.inner").names() == ["shout"]


def test_load_a_list_and_a_registry(sample_module):
    assert load_tools(f"{sample_module}:TOOLS").names() == ["shout", "whisper"]
    assert load_tools(f"{sample_module}:REGISTRY").names() == ["reverse"]
    combined = ToolRegistry().include(load_tools(f"{sample_module}:TOOLS")) \
        .include(load_tools(f"{sample_module}:REGISTRY"))
    assert combined.names() == ["shout", "whisper", "reverse"]


async def test_loaded_tools_work(sample_module):
    reg = load_tools(f"{sample_module}:TOOLS")
    obs = await reg.invoke(ToolCall(name="whisper", arguments={"text": "HeLLo"}))
    assert obs.content == "hello"


@pytest.mark.parametrize("spec, message", [
    ("no_such_module_xyz:tool", "no module named 'no_such_module_xyz'"),
    ("toolweave_sample_tools:missing", "has no attribute 'missing'"),
    ("toolweave_sample_tools:NOT_A_TOOL", "names a int"),
    ("toolweave_sample_tools", "should look like 'package.module:attribute'"),
    (":shout", "should look like"),
])
def test_load_errors_are_clear(sample_module, spec, message):
    with pytest.raises(ToolLoadError, match=message):
        load_tools(spec)


def test_load_error_lists_what_the_module_has(sample_module):
    with pytest.raises(ToolLoadError) as info:
        load_tools(f"{sample_module}:shoot")
    assert "shout" in str(info.value) and "whisper" in str(info.value)
