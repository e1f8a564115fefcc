"""Per-call cost of the python tool's bubblewrap sandbox against the unsandboxed subprocess.

    .venv/bin/python bench/python_sandbox.py [--calls 30]

Times whole tool calls (Tool.invoke: spawn, run, collect output, wait for every process to be
gone) of a few small programs, sequentially, after one warm-up call per mode. Prints median and
95th percentile per program and mode, and the median difference.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from rich.console import Console
from rich.table import Table

from toolweave.tools.builtins import make_python
from toolweave.tools.builtins.sandbox import Sandbox
from toolweave.types import ToolCall

PROGRAMS = {
    "pass": "pass",
    "print(2 + 2)": "print(2 + 2)",
    "import json, math; work": "import json, math\nprint(json.dumps([math.sqrt(i) for i in range(1000)])[:20])",  # noqa: E501
    "write + read a file": "open('f.txt', 'w').write('x' * 10000)\nprint(len(open('f.txt').read()))",  # noqa: E501
}


async def time_calls(tools: list, code: str, calls: int) -> list[list[float]]:
    """Milliseconds per call for each tool; calls alternate between the tools, so load that
    drifts during the run weighs on both alike."""
    call = ToolCall(name="python", arguments={"code": code})
    for tool in tools:
        await tool.invoke(call)  # warm-up
    times: list[list[float]] = [[] for _ in tools]
    for _ in range(calls):
        for tool, kept in zip(tools, times, strict=True):
            started = time.perf_counter()
            obs = await tool.invoke(call)
            kept.append((time.perf_counter() - started) * 1000)
            if not obs.ok:
                raise SystemExit(f"{code!r} failed: {obs.content}")
    return times


def p95(times: list[float]) -> float:
    return sorted(times)[max(0, round(0.95 * len(times)) - 1)]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=30)
    args = parser.parse_args()
    console = Console(width=120)
    problem = Sandbox().problem()
    if problem is not None:
        raise SystemExit(f"no sandbox here: {problem}")
    sandboxed, plain = make_python(), make_python(unsandboxed=True)
    table = Table(title=f"python tool, ms per call ({args.calls} calls each, modes alternating)")
    for column in ("program", "unsandboxed p50", "p95", "bwrap p50", "p95", "added p50",
                   "added min"):
        table.add_column(column, justify="left" if column == "program" else "right")
    for name, code in PROGRAMS.items():
        before, after = await time_calls([plain, sandboxed], code, args.calls)
        b50, a50 = statistics.median(before), statistics.median(after)
        table.add_row(name, f"{b50:.1f}", f"{p95(before):.1f}", f"{a50:.1f}",
                      f"{p95(after):.1f}", f"{a50 - b50:+.1f}", f"{min(after) - min(before):+.1f}")
    console.print(table)


if __name__ == "__main__":
    asyncio.run(main())
