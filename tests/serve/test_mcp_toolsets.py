"""Tool sets of MCP servers in the serve config, against real stdio MCP servers
(tests/tools/mcp_servers): a run's calls reach the server's tools, and a server that cannot
start leaves its tool set out — refused with a clear 503 — while the server and its other
tool sets keep working."""

from __future__ import annotations

import sys
from pathlib import Path

import httpx
from serving import running_server, scripted_config

SERVERS = Path(__file__).parents[1] / "tools" / "mcp_servers"
DEMO = f"{sys.executable} {SERVERS / 'demo_server.py'}"
ADDER = "serving:mcp_adder_script"
MISSING = "no-such-mcp-server-xyz --flag"
DYING = (f"{sys.executable} -c \"import sys; print('config file missing', file=sys.stderr);"
         " sys.exit(2)\"")


def test_a_run_calls_a_tool_of_the_toolsets_mcp_server(tmp_path):
    config = scripted_config(
        tmp_path,
        models={"adder": {"factory": ADDER}},
        toolsets={"with_mcp": {"builtins": True, "mcp": [DEMO]}},
        agents={"adder": {"model": "adder", "toolset": "with_mcp"}},
        default_agent="adder")
    with running_server(config) as url, httpx.Client(base_url=url, timeout=30) as http:
        assert http.get("/healthz").json()["unavailable_toolsets"] == {}
        started = http.post("/v1/runs", json={"question": "Add 12345 and 54321."})
        assert started.status_code == 202, started.text
        run = http.get(f"/v1/runs/{started.json()['id']}", params={"wait": 20}).json()
    assert run["status"] == "completed", run.get("error")
    step = run["trace"]["steps"][0]
    assert [c["name"] for c in step["calls"]] == ["add"]
    observation = step["observations"][0]
    # the sum was computed by the MCP server process: the model only read it back
    assert observation["ok"] and observation["content"].strip() == "66666", observation
    assert run["answer"] == "The sum is 66666."


def test_mcp_servers_that_cannot_start_leave_the_server_up_for_other_toolsets(tmp_path):
    config = scripted_config(
        tmp_path,
        toolsets={"default": {"builtins": True},
                  "missing": {"mcp": [MISSING]},
                  "dying": {"builtins": False, "mcp": [DYING]}},
        agents={"calc": {"model": "scripted"},
                "broken": {"model": "scripted", "toolset": "missing"}},
        default_agent="calc")
    with running_server(config) as url, httpx.Client(base_url=url, timeout=30) as http:
        health = http.get("/healthz").json()
        assert health["status"] == "ok"
        assert set(health["unavailable_toolsets"]) == {"missing", "dying"}
        assert "command 'no-such-mcp-server-xyz' not found" in \
            health["unavailable_toolsets"]["missing"]

        refused = http.post("/v1/runs", json={"question": "What is 2 * 3?", "agent": "broken"})
        assert refused.status_code == 503
        error = refused.json()["error"]
        assert error["type"] == "service_unavailable_error"
        assert error["message"].startswith("tool set 'missing' is unavailable: MCP server "
                                           "'no-such-mcp-server-xyz' could not start: command "
                                           "'no-such-mcp-server-xyz' not found")

        died = http.post("/v1/runs", json={"question": "What is 2 * 3?", "toolset": "dying"})
        assert died.status_code == 503
        message = died.json()["error"]["message"]
        assert "tool set 'dying' is unavailable" in message
        assert "exited with code 2" in message and "config file missing" in message

        chat = http.post("/v1/chat/completions", json={
            "model": "broken", "messages": [{"role": "user", "content": "What is 2 * 3?"}]})
        assert chat.status_code == 503
        assert "tool set 'missing' is unavailable" in chat.json()["error"]["message"]

        assert http.get("/v1/runs").json()["runs"] == []  # refused runs leave nothing behind

        ok = http.post("/v1/runs", json={"question": "What is 6 * 7?"})
        assert ok.status_code == 202
        run = http.get(f"/v1/runs/{ok.json()['id']}", params={"wait": 20}).json()
        assert run["status"] == "completed" and "42" in run["answer"]


def test_a_run_left_unfinished_on_an_unavailable_toolset_waits_for_a_later_restart(tmp_path):
    """At start-up, an interrupted run whose tool set did not come up is not resumed now, but
    is not written off either: a restart with its MCP server working resumes it."""
    from toolweave.serve.store import RunRecord, SQLiteRunStore

    store = SQLiteRunStore(tmp_path / "runs.sqlite")
    store.create(RunRecord(id="run_left", agent="broken", question="What is 2 * 3?",
                           status="running", request={"question": "What is 2 * 3?",
                                                      "source": "runs"}))
    store.append_event("run_left", {"event": "start", "run": "run_left", "trace": {
        "id": "run_left", "question": "What is 2 * 3?"}})
    store.close()
    config = scripted_config(
        tmp_path, toolsets={"default": {"builtins": True}, "missing": {"mcp": [MISSING]}},
        agents={"calc": {"model": "scripted"},
                "broken": {"model": "scripted", "toolset": "missing"}},
        default_agent="calc")
    with running_server(config) as url, httpx.Client(base_url=url, timeout=30) as http:
        run = http.get("/v1/runs/run_left").json()
        assert http.get("/healthz").json()["status"] == "ok"
    assert run["status"] == "interrupted"
    assert run["error"].startswith("not resumed: tool set 'missing' is unavailable")
    assert not run["error"].startswith("cannot resume")  # what `recover` would skip for good
