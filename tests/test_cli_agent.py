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


@pytest.mark.model
def test_run_with_a_session_file_continues_the_conversation_and_chat_reads_it(tmp_path):
    session = tmp_path / "chat.jsonl"
    traces = [tmp_path / "1.jsonl", tmp_path / "2.jsonl"]
    for question, trace_path in zip(["What is 12 * 3?", "And that plus 4?"], traces):
        out = run_cli("run", question, "--model", "tiny", "--max-steps", "2", "--session",
                      str(session), "--trace", str(trace_path))
        assert out.returncode == 0, out.stderr
    lines = [json.loads(line) for line in session.read_text().splitlines()]
    assert lines[0]["session"] == 1
    assert [line["turn"]["question"] for line in lines[1:]] == ["What is 12 * 3?",
                                                                "And that plus 4?"]
    first, second = Trace.load(traces[0]), Trace.load(traces[1])
    assert second.meta["conversation"]["previous"] == first.id
    # `chat` continues the same file; an empty line ends it
    proc = subprocess.run([sys.executable, "-m", "toolweave", "chat", "--model", "tiny",
                           "--max-steps", "1", "--session", str(session)],
                          input="Thanks!\n\n", capture_output=True, text=True, timeout=600,
                          cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert "continuing: 2 earlier turns" in proc.stdout
    assert len(session.read_text().splitlines()) == 4


def test_a_session_file_of_another_version_is_a_clear_error(tmp_path):
    session = tmp_path / "old.jsonl"
    session.write_text('{"session": 0}\n')
    out = run_cli("run", "Hi", "--model", "tiny", "--session", str(session))
    assert out.returncode == 1
    assert "version 1" in out.stderr and "Traceback" not in out.stderr


def test_run_with_an_allow_list_naming_no_tool_is_one_clear_error():
    out = run_cli("run", "What is 2+2?", "--allow", "calculator", "--allow", "send_money")
    assert out.returncode == 1
    assert "send_money" in out.stderr and "Traceback" not in out.stderr


async def test_the_terminal_asks_before_a_tool_that_requires_confirmation(monkeypatch):
    from toolweave.cli import commands as cli
    from toolweave.types import ToolCall

    assert cli.terminal_confirm(interactive=False) is None  # piped: such calls are refused
    confirm = cli.terminal_confirm(interactive=True)
    prompts: list[str] = []
    for reply, expected in [("y", True), ("yes\n", True), ("", False), ("n", False)]:
        monkeypatch.setattr(cli.console, "input",
                            lambda prompt, r=reply: prompts.append(prompt) or r)
        assert await confirm(ToolCall(name="send_money", arguments={"to": "bob"})) is expected
    assert "send_money" in prompts[0] and "bob" in prompts[0]

    def closed(prompt):
        raise EOFError

    monkeypatch.setattr(cli.console, "input", closed)
    assert await confirm(ToolCall(name="send_money")) is False
