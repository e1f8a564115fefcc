"""`toolweave run`, `trace show`, `tools list` and `--mcp`, run as a user would."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from toolweave.types import Trace

ROOT = Path(__file__).resolve().parents[1]
DEMO_SERVER = ROOT / "tests" / "tools" / "mcp_servers" / "demo_server.py"


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "toolweave", *args], capture_output=True,
                          text=True, timeout=600, cwd=ROOT)


def test_tools_list_shows_builtins_and_mcp_tools():
    out = run_cli("tools", "list", "--docs", "examples/docs",
                  "--mcp", f"{sys.executable} {DEMO_SERVER}")
    assert out.returncode == 0, out.stderr
    for name in ("search_docs", "calculator", "add", "echo"):
        assert name in out.stdout


def test_dead_mcp_server_is_one_clear_error():
    out = run_cli("tools", "list", "--mcp", "no-such-command-xyz")
    assert out.returncode == 1
    assert "no-such-command-xyz" in out.stderr and "Traceback" not in out.stderr


@pytest.mark.model
def test_run_shows_steps_writes_a_trace_and_trace_show_reads_it(tmp_path):
    trace_path = tmp_path / "run.jsonl"
    out = run_cli("run", "What is 1234 * 5678?", "--docs", "examples/docs", "--tool-choice",
                  "first", "--max-steps", "4", "--trace", str(trace_path))
    assert out.returncode == 0, out.stderr
    assert "step 0" in out.stdout and "calculator" in out.stdout
    trace = Trace.load(trace_path)
    assert trace.steps[0].calls[0].name == "calculator"
    assert trace.stop_reason in {"answer", "max_steps", "stuck"}
    png = tmp_path / "timeline.png"
    shown = run_cli("trace", "show", str(trace_path), "--timeline", str(png))
    assert shown.returncode == 0 and "step 0" in shown.stdout
    assert png.stat().st_size > 5000


@pytest.mark.model
def test_run_with_mcp_tools_and_json_output():
    out = run_cli("run", "Add 2 and 3.", "--model", "tiny", "--no-builtins", "--mcp",
                  f"{sys.executable} {DEMO_SERVER}", "--tool-choice", "first", "--max-steps",
                  "2", "--json")
    assert out.returncode == 0, out.stderr
    trace = json.loads(out.stdout)
    assert trace["steps"][0]["calls"], trace  # the first turn had to call one of the MCP tools
    assert trace["stop_reason"] in {"answer", "max_steps", "max_tokens", "stuck"}


def test_bad_trace_file_is_a_clear_error(tmp_path):
    bad = tmp_path / "x.jsonl"
    bad.write_text("not json\n")
    out = run_cli("trace", "show", str(bad))
    assert out.returncode == 1 and "no toolweave trace" in out.stderr
