"""The package face: the public names import from `toolweave`, lazily and cheaply."""

import subprocess
import sys

import pytest

import toolweave

HEAVY = ("llama_cpp", "torch", "ray", "matplotlib", "transformers", "bm25s")


def test_every_public_name_imports_from_the_package():
    for name in toolweave.__all__:
        assert getattr(toolweave, name) is not None, name
    from toolweave import Agent, Scripted, ToolRegistry, load_model, tool  # noqa: F401

    assert toolweave.Agent.__module__ == "toolweave.agents.agent"
    assert "Agent" in dir(toolweave)
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        toolweave.Nope  # noqa: B018


def test_importing_the_package_and_its_face_loads_no_heavy_library():
    code = ("import sys, toolweave; from toolweave import Agent, tool, ToolRegistry, Scripted, "
            f"load_model, Trace; print(','.join(m for m in {HEAVY!r} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == ""


def test_a_run_through_the_face_alone():
    from toolweave import Agent, Scripted, tool

    @tool
    def capital(country: str) -> str:
        """The capital city of ``country``."""
        return {"France": "Paris"}.get(country, "unknown")

    reply = '<tool_call>\n{"name": "capital", "arguments": {"country": "France"}}\n</tool_call>'
    trace = Agent(Scripted([reply, "Paris."]), [capital]).run("What is the capital of France?")
    assert trace.answer == "Paris." and trace.steps[0].observations[0].content == "Paris"
