"""A real `toolweave serve` process killed with SIGKILL mid-run and started again: every run
is listed, and the unfinished one is resumed from its stored trace and finishes, with no
finished tool call run again."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from serving import SCRIPTED, free_port

import toolweave

pytestmark = pytest.mark.server


def start_server(config: Path, port: int, log: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(Path(toolweave.__file__).parents[1])}
    env.pop("TOOLWEAVE_SERVE_KEYS", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "toolweave.cli", "serve", "--port", str(port),
         "--config", str(config), "--log-level", "warning"],
        env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"serve exited with {proc.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    pytest.fail(f"serve not ready after 30 s:\n{log.read_text()}")


def test_a_server_killed_mid_run_lists_every_run_after_a_restart(tmp_path):
    config = tmp_path / "serve.json"
    config.write_text(json.dumps({
        "models": {"quick": {"factory": SCRIPTED},
                   "slow": {"factory": SCRIPTED, "options": {"delay_s": 0.4, "steps": 10}}},
        "agents": {"quick": {"model": "quick"},
                   "slow": {"model": "slow", "settings": {"max_steps": 12}}},
        "default_agent": "quick",
        "database": str(tmp_path / "runs.sqlite")}))
    port, log = free_port(), tmp_path / "serve.log"
    url = f"http://127.0.0.1:{port}"
    proc = start_server(config, port, log)
    try:
        done = httpx.post(f"{url}/v1/runs", json={"question": "6 * 7"}).json()["id"]
        assert httpx.get(f"{url}/v1/runs/{done}", params={"wait": 10},
                         timeout=15).json()["status"] == "completed"
        going = httpx.post(f"{url}/v1/runs", json={"question": "2 + 3", "agent": "slow"}
                           ).json()["id"]
        deadline = time.monotonic() + 15
        while len(httpx.get(f"{url}/v1/runs/{going}").json()["trace"]["steps"]) < 2:
            assert time.monotonic() < deadline, "the slow run made no steps"
            time.sleep(0.1)
        before = httpx.get(f"{url}/v1/runs/{going}").json()["trace"]["steps"]
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
    assert proc.returncode == -signal.SIGKILL

    proc = start_server(config, port, log)
    try:
        listed = {r["id"]: r for r in httpx.get(f"{url}/v1/runs").json()["runs"]}
        assert set(listed) == {done, going}
        assert listed[done]["status"] == "completed"
        assert listed[done]["answer"] == "The answer is 42."
        assert listed[going]["status"] in ("interrupted", "running")  # being resumed
        resumed = httpx.get(f"{url}/v1/runs/{going}", params={"wait": 30}, timeout=40).json()
        assert resumed["status"] == "completed" and resumed["answer"] == "The answer is 5."
        steps = resumed["trace"]["steps"]
        assert [s["kind"] for s in steps] == ["act"] * 10 + ["answer"]
        # the steps finished before the kill were kept, not redone: same calls, same times
        for old, new in zip(before, steps, strict=False):
            assert old["calls"] == new["calls"]
            assert old["observations"] == new["observations"]
        expressions = [s["calls"][0]["arguments"]["expression"] for s in steps[:-1]]
        assert len(set(expressions)) == 10  # each call ran once
        (resume,) = resumed["trace"]["meta"]["resumes"]
        assert resume["replayed_steps"] >= len(before)
        # the server goes on taking runs
        again = httpx.post(f"{url}/v1/runs", json={"question": "1 + 1"}).json()["id"]
        assert httpx.get(f"{url}/v1/runs/{again}", params={"wait": 10},
                         timeout=15).json()["answer"] == "The answer is 2."
    finally:
        proc.terminate()
        proc.wait(10)
