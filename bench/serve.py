"""`toolweave serve` under load: runs/s and latency of ``POST /v1/runs`` with the Scripted
calculator model (no real model: what is measured is the server), at 1, 10 and 100 concurrent
clients on loopback.

    .venv/bin/python bench/serve.py                       # 300 runs per level
    .venv/bin/python bench/serve.py --runs 100 --levels 1,10
    .venv/bin/python bench/serve.py --interleaved default # 4 real-model runs at once

``--interleaved MODEL`` measures the other half of serving: several runs on one in-process model,
interleaved by the server, should still evaluate only the prompt tokens that are new to the
model's cache (each run's prefix state survives while the others use the model). It starts
``--concurrent`` react runs at once (one arithmetic question each, the built-in calculator) and
reports, per run, prompt tokens sent, evaluated and new per step — then the same runs one after
another, for comparison — and each concurrent run's wait for the model's turns (the model
layer's `ModelTurns` serves them first-come, first-served: the runs' waits per turn should
be alike, none served again and again while the others wait).

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


def start_server(folder: Path, port: int, model: str | None = None,
                 strategy: str = "react") -> subprocess.Popen:
    config = folder / "serve.json"
    config.write_text(json.dumps({
        "models": {"scripted": {"factory": SCRIPTED}} if model is None else {"real": model},
        "agents": {"calc": {"model": "scripted" if model is None else "real",
                            "settings": {"tool_choice": "first", "strategy": strategy}}},
        "default_agent": "calc",
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


INTERLEAVED_QUESTIONS = ["What is 1234 * 5678?", "What is 987 + 6543?", "What is 4096 / 16?",
                         "What is 321 - 123?", "What is 77 * 77?", "What is 1000 - 1?"]


async def interleaved(url: str, concurrent: int, max_seconds: float) -> list[dict]:
    """``concurrent`` runs started at once, then waited for: each one's prompt-token use."""
    async with httpx.AsyncClient(base_url=url, timeout=max_seconds) as http:
        posted = [await http.post("/v1/runs", json={"question": q})
                  for q in INTERLEAVED_QUESTIONS[:concurrent]]
        ids = [r.json()["id"] for r in posted]
        records = [await finished(http, i, max_seconds) for i in ids]
    return [prompt_use(r) for r in records]


async def finished(http: httpx.AsyncClient, run_id: str, max_seconds: float) -> dict:
    """The run's record once it has ended (or at ``max_seconds``)."""
    deadline = time.monotonic() + max_seconds
    while True:
        record = (await http.get(f"/v1/runs/{run_id}", params={"wait": 60})).json()
        if record["status"] not in ("queued", "running") or time.monotonic() > deadline:
            return record


def prompt_use(record: dict) -> dict:
    """A run record's steps' prompt tokens (sent, evaluated, new to the model's cache) and
    each model turn's time: waiting for the model (``queued_s``) and on it (``total_s``)."""
    trace = record.get("trace") or {}
    completions = [s["completion"] for s in trace.get("steps", []) if s.get("completion")]
    usage = [c["usage"] for c in completions]
    return {"status": record["status"], "answer": (record.get("answer") or "")[:40],
            "question": trace.get("question", ""),
            "steps": len(usage), "sent": sum(u["prompt_tokens"] for u in usage),
            "evaluated": sum(u["prompt_tokens_evaluated"] for u in usage),
            "new": sum(u.get("prompt_tokens_new", 0) for u in usage),
            "waits": [c["timings"].get("queued_s", 0.0) for c in completions],
            "model_s": sum(c["timings"]["total_s"] for c in completions),
            "wall_s": max(0.0, trace.get("ended_at", 0.0) - trace.get("started_at", 0.0))}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


def wait_table(rows: list[dict], title: str) -> Table:
    """Each run's wait for the model's turns: fair queueing keeps the runs' mean waits
    per turn close to one another (no run served again and again while others wait)."""
    table = Table(title=title)
    for name in ("run", "question", "turns", "on model s", "waited s", "wait/turn s",
                 "max wait s", "run wall s"):
        table.add_column(name, justify="right")
    for i, r in enumerate(rows, 1):
        waits = r["waits"] or [0.0]
        table.add_row(str(i), r["question"][:22], str(r["steps"]), f"{r['model_s']:.1f}",
                      f"{sum(waits):.1f}", f"{sum(waits) / len(waits):.2f}",
                      f"{max(waits):.2f}", f"{r['wall_s']:.1f}")
    every = [w for r in rows for w in r["waits"]]
    means = [sum(r["waits"]) / len(r["waits"]) for r in rows if r["waits"]]
    table.caption = (f"all turns: wait p50 {percentile(every, 0.5):.2f} s, "
                     f"p99 {percentile(every, 0.99):.2f} s; spread of wait/turn between runs "
                     f"(max - min) {max(means) - min(means):.2f} s" if means else "")
    return table


def interleaved_main(model: str, concurrent: int, max_seconds: float, console: Console,
                     strategy: str = "react") -> None:
    with tempfile.TemporaryDirectory(prefix="bench-serve-") as tmp:
        port = free_port()
        proc = start_server(Path(tmp), port, model, strategy)
        try:
            url = f"http://127.0.0.1:{port}"
            asyncio.run(interleaved(url, 1, max_seconds))  # load the model, warm its prefix
            together = asyncio.run(interleaved(url, concurrent, max_seconds))
            alone = [asyncio.run(interleaved(url, 1, max_seconds))[0]
                     for _ in range(concurrent)]
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(30)
    table = Table(title=f"toolweave serve, {model}: prompt tokens per step, {concurrent} "
                        f"{strategy} runs at once vs one at a time")
    for name in ("runs", "status", "steps", "sent/step", "evaluated/step", "new/step",
                 "evaluated / new"):
        table.add_column(name, justify="right")
    for label, rows in ((f"{concurrent} at once", together), ("one at a time", alone)):
        steps = sum(r["steps"] for r in rows) or 1
        ev, new = sum(r["evaluated"] for r in rows), sum(r["new"] for r in rows)
        table.add_row(label, ",".join(sorted({r["status"] for r in rows})), str(steps),
                      f"{sum(r['sent'] for r in rows) / steps:.0f}", f"{ev / steps:.0f}",
                      f"{new / steps:.0f}", f"{ev / new:.2f}" if new else "-")
    console.print(table)
    console.print(wait_table(together, f"{concurrent} runs at once: each run's wait for the "
                                       f"model's turns"))
    console.print("[dim]new: prompt tokens past the longest prefix the model had cached (in its "
                  "live context or a saved state); evaluated / new near 1 means interleaving "
                  "re-read nothing (target <= 1.3).[/]")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--interleaved", metavar="MODEL",
                        help="measure prompt-cache use of concurrent runs on a real model")
    parser.add_argument("--concurrent", type=int, default=4, help="runs at once (--interleaved)")
    parser.add_argument("--strategy", default="react", help="the agent's strategy (--interleaved)")
    parser.add_argument("--runs", type=int, default=300, help="runs started per level")
    parser.add_argument("--levels", default="1,10,100", help="concurrent clients per level")
    parser.add_argument("--max-seconds", type=float, default=120.0, help="bound per level")
    args = parser.parse_args()
    console = Console(width=120)
    if args.interleaved:
        interleaved_main(args.interleaved, args.concurrent, max(args.max_seconds, 900), console,
                         args.strategy)
        return
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
