"""`toolweave serve` under load: runs/s and latency of ``POST /v1/runs`` with the Scripted
calculator model (no real model: what is measured is the server), at 1, 10 and 100 concurrent
clients on loopback.

    .venv/bin/python bench/serve.py                       # 300 runs per level
    .venv/bin/python bench/serve.py --runs 100 --levels 1,10

A real `toolweave serve` process is started with a config in a temporary folder (its SQLite
store there too). Per level, ``--runs`` runs are started by that many clients at once
(httpx, one connection each); each POST's latency is timed; then the level waits until every
run has finished. Traffic stays on loopback, bounded in count and in time (``--max-seconds``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from rich.console import Console
from rich.table import Table

SRC = Path(__file__).resolve().parents[1] / "src"
SCRIPTED = "toolweave.serve.scripted_model:calculator_script"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(folder: Path, port: int) -> subprocess.Popen:
    config = folder / "serve.json"
    config.write_text(json.dumps({
        "models": {"scripted": {"factory": SCRIPTED}},
        "agents": {"calc": {"model": "scripted"}}, "default_agent": "calc",
        "limits": {"max_active_runs_per_key": 10_000},
        "database": str(folder / "runs.sqlite")}))
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    env.pop("TOOLWEAVE_SERVE_KEYS", None)
    proc = subprocess.Popen([sys.executable, "-m", "toolweave.cli", "serve", "--port", str(port),
                             "--config", str(config), "--log-level", "warning"], env=env,
                            stdout=subprocess.DEVNULL, stderr=(folder / "serve.log").open("w"))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.1)
        if proc.poll() is not None:
            break
    proc.kill()
    sys.exit(f"serve did not start:\n{(folder / 'serve.log').read_text()}")


def server_cpu_s(pid: int) -> float:
    """The server process's CPU time so far (Linux /proc; -1 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return -1.0


async def level(url: str, pid: int, clients: int, runs: int, max_seconds: float) -> dict:
    """``runs`` POSTs by ``clients`` concurrent clients; then wait for every run to end."""
    latencies: list[float] = []
    failures = 0
    ids: list[str] = []
    todo = iter(range(runs))

    tls = ssl.create_default_context()  # unused on http://, but each client would build one

    async def client() -> None:
        # a client of its own per simulated caller: one shared pool of 100 connections costs
        # the bench more CPU than the server spends (httpx's pool scans its connections)
        async with httpx.AsyncClient(base_url=url, timeout=max_seconds, verify=tls) as http:
            await requests(http)

    async def requests(http: httpx.AsyncClient) -> None:
        nonlocal failures
        for i in todo:
            start = time.perf_counter()
            response = await http.post("/v1/runs", json={"question": f"What is {i} * 7?"})
            latencies.append(time.perf_counter() - start)
            if response.status_code == 202:
                ids.append(response.json()["id"])
            else:
                failures += 1

    async with httpx.AsyncClient(base_url=url, timeout=max_seconds) as http:
        cpu_before, client_before = server_cpu_s(pid), time.process_time()
        started = time.perf_counter()
        await asyncio.wait_for(asyncio.gather(*(client() for _ in range(clients))), max_seconds)
        posted = time.perf_counter() - started
        while time.perf_counter() - started < max_seconds:  # every run to its end
            going = await http.get("/v1/runs", params={"status": "running", "limit": 1})
            queued = await http.get("/v1/runs", params={"status": "queued", "limit": 1})
            if not going.json()["runs"] and not queued.json()["runs"]:
                break
            await asyncio.sleep(0.02)
        finished = time.perf_counter() - started
        cpu = server_cpu_s(pid) - cpu_before
        client_cpu = time.process_time() - client_before
        done = 0
        for run_id in ids[-5:]:  # spot-check that runs really answered
            record = (await http.get(f"/v1/runs/{run_id}")).json()
            done += record["status"] == "completed" and bool(record["answer"])
    latencies.sort()
    return {"clients": clients, "runs": runs, "failures": failures,
            "post_per_s": runs / posted, "done_per_s": runs / finished,
            "p50_ms": 1000 * statistics.median(latencies),
            "p99_ms": 1000 * latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))],
            "cpu_ms": 1000 * cpu / runs if cpu >= 0 else float("nan"),
            "client_cpu_ms": 1000 * client_cpu / runs,
            "checked": f"{done}/{min(5, len(ids))}"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=300, help="runs started per level")
    parser.add_argument("--levels", default="1,10,100", help="concurrent clients per level")
    parser.add_argument("--max-seconds", type=float, default=120.0, help="bound per level")
    args = parser.parse_args()
    console = Console(width=120)
    with tempfile.TemporaryDirectory(prefix="bench-serve-") as tmp:
        port = free_port()
        proc = start_server(Path(tmp), port)
        try:
            url = f"http://127.0.0.1:{port}"
            asyncio.run(level(url, proc.pid, 1, 5, args.max_seconds))  # warm-up: first run
            rows = [asyncio.run(level(url, proc.pid, int(c), args.runs, args.max_seconds))
                    for c in args.levels.split(",")]
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(15)
    table = Table(title=f"toolweave serve: POST /v1/runs, Scripted model, {args.runs} runs "
                        f"per level (loopback, {os.cpu_count()} cores)")
    for name in ("clients", "started/s", "done/s", "p50 ms", "p99 ms", "server CPU/run",
                 "client CPU/run", "errors", "answers"):
        table.add_column(name, justify="right")
    for r in rows:
        table.add_row(str(r["clients"]), f"{r['post_per_s']:.0f}", f"{r['done_per_s']:.0f}",
                      f"{r['p50_ms']:.1f}", f"{r['p99_ms']:.1f}", f"{r['cpu_ms']:.1f} ms",
                      f"{r['client_cpu_ms']:.1f} ms",
                      str(r["failures"]),
                      r["checked"])
    console.print(table)
    console.print("[dim]started/s: POSTs answered per second; done/s: runs per second until "
                  "the level's last run ended; p50/p99: one POST's latency; CPU/run: the server "
                  "process's and the load generator's (they share the machine's cores).[/]")


if __name__ == "__main__":
    main()
