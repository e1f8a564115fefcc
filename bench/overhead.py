"""Framework overhead per agent step, with an instant model and instant tools (issue 3).

    .venv-bench/bin/python bench/overhead.py [--repeats 5] [--tools 10,100,1000] [--profile]

Runs the same 20-step ReAct script (19 tool-call turns, then an answer) through toolweave and,
where they import, through smolagents (`ToolCallingAgent`) and LangGraph (`create_react_agent`),
each driven by a scripted model that answers instantly, with 10 / 100 / 1000 generated tools
registered (distinct names, 2-3 typed parameters each). Per-step overhead = run wall time / 20,
median of ``--repeats`` warm runs; the first run per tool set is reported apart (for toolweave it
builds and caches the turn grammar). A second script times one step that calls four tools which
each sleep 0.25 s (concurrent execution should make it ~0.25 s).

The scripted models do no decoding: toolweave's `Scripted` ignores the grammar it is handed and
the peers' fake models skip tool-schema conversion, so this measures loop overhead only. The
peers are installed only in .venv-bench (bench/requirements-peers.txt); missing ones are skipped.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import importlib
import io
import json
import pstats
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path

from rich.console import Console
from rich.table import Table

N_STEPS = 20  # 19 tool-call turns + 1 answer turn
N_CALL_STEPS = N_STEPS - 1
PARALLEL = 4
NAP_S = 0.25

console = Console(width=150)


# -- generated tools -----------------------------------------------------------------------------
# Written to a real module file so every framework can read signatures, docstrings and source
# (smolagents' @tool calls inspect.getsource).


def _tool_source(i: int) -> str:
    three = i % 2 == 0
    params = "city: str, count: int" + (", scale: float = 1.0" if three else "")
    scale_doc = "\n        scale: A scale factor." if three else ""
    ret = f'f"t{i:04d} {{city}} {{count}}"'
    return f'''
def t{i:04d}({params}) -> str:
    """Bench tool number {i}: echoes its arguments.

    Args:
        city: A city name.
        count: How many items.{scale_doc}
    """
    return {ret}


async def at{i:04d}({params}) -> str:
    """Bench tool number {i}: echoes its arguments.

    Args:
        city: A city name.
        count: How many items.{scale_doc}
    """
    return {ret}
'''


NAPS_SOURCE = '''
import asyncio
import time


async def nap{k}(label: str) -> str:
    """Sleeps a quarter second, then echoes its label.

    Args:
        label: Any text.
    """
    await asyncio.sleep({nap})
    return label


def sync_nap{k}(label: str) -> str:
    """Sleeps a quarter second, then echoes its label.

    Args:
        label: Any text.
    """
    time.sleep({nap})
    return label
'''


def generated_module(max_tools: int):
    tmp = Path(tempfile.mkdtemp(prefix="tw_overhead_"))
    src = "".join(_tool_source(i) for i in range(max_tools))
    src += "".join(NAPS_SOURCE.format(k=k, nap=NAP_S) for k in range(PARALLEL))
    (tmp / "tw_bench_tools.py").write_text(src)
    sys.path.insert(0, str(tmp))
    return importlib.import_module("tw_bench_tools")


def sync_tools(mod, n: int) -> list[Callable]:
    return [getattr(mod, f"t{i:04d}") for i in range(n)]


def async_tools(mod, n: int) -> list[Callable]:
    return [getattr(mod, f"at{i:04d}") for i in range(n)]


def script(n_tools: int) -> list[tuple[str, dict]]:
    """The 19 (tool name, arguments) calls, spread over the tool set, all distinct."""
    calls = []
    for k in range(N_CALL_STEPS):
        i = k * (n_tools - 1) // (N_CALL_STEPS - 1)
        calls.append((f"t{i:04d}", {"city": f"city{k}", "count": k}))
    return calls


def parallel_script() -> list[tuple[str, dict]]:
    return [(f"nap{k}", {"label": f"l{k}"}) for k in range(PARALLEL)]


def timed(run: Callable[[], object]) -> float:
    """Wall time of ``run()``, with the cyclic GC collected first and off meanwhile (as timeit
    does), so a full collection of the whole process heap does not land in one framework's run."""
    gc.collect()
    gc.disable()
    try:
        t0 = time.perf_counter()
        run()
        return time.perf_counter() - t0
    finally:
        gc.enable()


# -- toolweave -----------------------------------------------------------------------------------


class ToolweaveBench:
    name = "toolweave"

    def __init__(self, mod, use_async: bool = False):
        from toolweave.agents import Agent
        from toolweave.models import Scripted
        from toolweave.tools import ToolRegistry, tool

        self.Agent, self.Scripted, self.ToolRegistry, self.tool = Agent, Scripted, ToolRegistry, tool
        self.mod, self.use_async = mod, use_async
        self.loop = asyncio.new_event_loop()
        if use_async:
            self.name = "toolweave (async tools)"

    @staticmethod
    def _call(name: str, args: dict) -> str:
        return f'<tool_call>\n{json.dumps({"name": name, "arguments": args})}\n</tool_call>'

    def setup(self, n: int):
        fns = async_tools(self.mod, n) if self.use_async else sync_tools(self.mod, n)
        registry = self.ToolRegistry()
        for i, fn in enumerate(fns):
            registry.add(self.tool(fn, name=f"t{i:04d}"))
        self.registry = registry
        self.replies = [self._call(name, args) for name, args in script(n)] + ["The answer."]

    def _agent(self, registry, replies):
        return self.Agent(self.Scripted(list(replies)), registry, max_steps=N_STEPS + 5,
                          max_seconds=120)

    def _run(self, agent, expect_calls: int):
        trace = self.loop.run_until_complete(agent.arun("Run the script."))
        obs = [o for s in trace.steps for o in s.observations]
        assert trace.stop_reason == "answer", trace.stop_reason
        assert len(obs) == expect_calls and all(o.ok for o in obs), [o for o in obs if not o.ok]
        return trace

    def run_once(self) -> None:
        agent = self._agent(self.registry, self.replies)
        self.last = timed(lambda: self._run(agent, N_CALL_STEPS))

    def parallel_once(self) -> float:
        registry = self.ToolRegistry([self.tool(getattr(self.mod, f"nap{k}"))
                                      for k in range(PARALLEL)])
        turn = "\n".join(self._call(n, a) for n, a in parallel_script())
        agent = self._agent(registry, [turn, "Done."])
        return timed(lambda: self._run(agent, PARALLEL))


# -- smolagents ----------------------------------------------------------------------------------


class SmolagentsBench:
    name = "smolagents"

    def __init__(self, mod):
        import smolagents
        from smolagents import ToolCallingAgent, tool
        from smolagents.models import (
            ChatMessage,
            ChatMessageToolCall,
            ChatMessageToolCallFunction,
            MessageRole,
            Model,
        )
        from smolagents.monitoring import LogLevel, TokenUsage

        self.version = smolagents.__version__
        self.mod, self.tool, self.Agent, self.LogLevel = mod, tool, ToolCallingAgent, LogLevel

        class InstantModel(Model):
            """Returns the next scripted tool call(s); no schema conversion, no decoding."""

            def __init__(self, turns: list[list[tuple[str, dict]]]):
                super().__init__(model_id="scripted")
                self.turns, self.k = turns, 0

            def generate(self, messages, stop_sequences=None, response_format=None,
                         tools_to_call_from=None, **kwargs):
                calls = self.turns[self.k]
                self.k += 1
                return ChatMessage(
                    role=MessageRole.ASSISTANT, content="",
                    tool_calls=[ChatMessageToolCall(
                        function=ChatMessageToolCallFunction(name=n, arguments=a),
                        id=f"call_{self.k}_{j}", type="function") for j, (n, a) in enumerate(calls)],
                    token_usage=TokenUsage(input_tokens=0, output_tokens=0))

        self.InstantModel = InstantModel

    def _agent(self, tools, turns):
        return self.Agent(tools=tools, model=self.InstantModel(turns), max_steps=N_STEPS + 5,
                          verbosity_level=self.LogLevel.OFF)

    def setup(self, n: int):
        self.tools = [self.tool(fn) for fn in sync_tools(self.mod, n)]
        self.turns = [[c] for c in script(n)] + [[("final_answer", {"answer": "The answer."})]]

    def _run(self, agent, expect_calls: int):
        result = agent.run("Run the script.", return_full_result=True)
        assert result.state == "success" and result.output == "The answer.", result.state
        calls = sum(len(s.tool_calls or []) for s in agent.memory.steps
                    if hasattr(s, "tool_calls") and getattr(s, "error", None) is None)
        errors = [s.error for s in agent.memory.steps if getattr(s, "error", None)]
        assert not errors and calls == expect_calls + 1, (calls, errors)

    def run_once(self) -> None:
        agent = self._agent(self.tools, self.turns)
        dt = timed(lambda: self._run(agent, N_CALL_STEPS))
        self.last = dt

    def parallel_once(self) -> float:
        # smolagents tools are synchronous: the naps are time.sleep, run in its thread pool.
        tools = [self.tool(getattr(self.mod, f"sync_nap{k}")) for k in range(PARALLEL)]
        turns = [[(f"sync_nap{k}", {"label": f"l{k}"}) for k in range(PARALLEL)],
                 [("final_answer", {"answer": "The answer."})]]
        agent = self._agent(tools, turns)
        return timed(lambda: self._run(agent, PARALLEL))


# -- LangGraph -----------------------------------------------------------------------------------


class LangGraphBench:
    name = "langgraph"

    def __init__(self, mod):
        from importlib.metadata import version

        from langchain_core.language_models.fake_chat_models import FakeMessagesListChatModel
        from langchain_core.messages import AIMessage, ToolMessage
        from langchain_core.tools import StructuredTool

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from langgraph.prebuilt import create_react_agent

        self.version = version("langgraph")
        self.mod, self.AIMessage, self.ToolMessage = mod, AIMessage, ToolMessage
        self.StructuredTool, self.create = StructuredTool, create_react_agent

        class InstantChatModel(FakeMessagesListChatModel):
            """Replays AIMessages with tool_calls; binding tools is a no-op."""

            def bind_tools(self, tools, **kwargs):
                return self

        self.Model = InstantChatModel

    def _msgs(self, turns):
        out = []
        for k, calls in enumerate(turns):
            out.append(self.AIMessage(content="", tool_calls=[
                {"name": n, "args": a, "id": f"call_{k}_{j}", "type": "tool_call"}
                for j, (n, a) in enumerate(calls)]))
        out.append(self.AIMessage(content="The answer."))
        return out

    def _graph(self, tools, turns):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return self.create(self.Model(responses=self._msgs(turns)), tools)

    def _check(self, state, expect_calls: int):
        msgs = state["messages"]
        tool_msgs = [m for m in msgs if isinstance(m, self.ToolMessage)]
        assert msgs[-1].content == "The answer.", msgs[-1]
        assert len(tool_msgs) == expect_calls and all(m.status == "success" for m in tool_msgs), \
            [m for m in tool_msgs if m.status != "success"][:1]

    def setup(self, n: int):
        self.tools = [self.StructuredTool.from_function(fn) for fn in sync_tools(self.mod, n)]
        self.turns = [[c] for c in script(n)]

    def run_once(self) -> None:
        graph = self._graph(self.tools, self.turns)
        cfg = {"recursion_limit": 4 * N_STEPS}
        self.last = timed(lambda: self._check(
            graph.invoke({"messages": [("user", "Run the script.")]}, cfg), N_CALL_STEPS))

    def parallel_once(self) -> float:
        tools = [self.StructuredTool.from_function(coroutine=getattr(self.mod, f"nap{k}"))
                 for k in range(PARALLEL)]
        graph = self._graph(tools, [parallel_script()])

        async def go():
            t0 = time.perf_counter()
            state = await graph.ainvoke({"messages": [("user", "Run the script.")]})
            dt = time.perf_counter() - t0
            self._check(state, PARALLEL)
            return dt

        return asyncio.run(go())


# -- measuring -----------------------------------------------------------------------------------


def measure(benches: list, counts: list[int], repeats: int) -> dict:
    """{name: {n: (first_s, [warm_s...]), 'parallel': s}}.

    Warm repeats are interleaved round-robin across frameworks, so load from other processes
    on a shared machine falls on all of them alike.
    """
    out: dict = {b.name: {} for b in benches}
    for n in counts:
        for b in benches:
            b.setup(n)
            out[b.name][n] = (_one(b), [])
        for _ in range(repeats):
            for b in benches:
                out[b.name][n][1].append(_one(b))
        for b in benches:
            first, warm = out[b.name][n]
            console.log(f"{b.name:>24} {n:>5} tools: first {first / N_STEPS * 1e3:8.3f} ms/step, "
                        f"warm median {statistics.median(warm) / N_STEPS * 1e3:8.3f} "
                        f"min {min(warm) / N_STEPS * 1e3:8.3f} ms/step")
    for b in benches:
        out[b.name]["parallel"] = statistics.median(b.parallel_once() for _ in range(3))
    return out


def _one(bench) -> float:
    bench.run_once()  # times only the run call (agent/graph construction is excluded)
    return bench.last


def profile_toolweave(mod, n: int, runs: int = 20) -> None:
    bench = ToolweaveBench(mod)
    bench.setup(n)
    bench.run_once()  # warm the grammar cache
    agents = [bench._agent(bench.registry, bench.replies) for _ in range(runs)]
    gc.collect()
    prof = cProfile.Profile()
    prof.enable()
    for agent in agents:
        bench._run(agent, N_CALL_STEPS)
    prof.disable()
    for key in ("tottime", "cumulative"):
        buf = io.StringIO()
        stats = pstats.Stats(prof, stream=buf).strip_dirs().sort_stats(key)
        stats.print_stats(25)
        console.rule(f"cProfile: toolweave, {n} tools, {runs} warm runs, by {key}")
        print("\n".join(buf.getvalue().splitlines()[4:]))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--tools", default="10,100,1000")
    ap.add_argument("--profile", action="store_true",
                    help="also cProfile toolweave's warm runs at the largest tool count")
    ns = ap.parse_args()
    counts = [int(x) for x in ns.tools.split(",")]
    mod = generated_module(max(counts))

    benches: list = [ToolweaveBench(mod), ToolweaveBench(mod, use_async=True)]
    notes = []
    for cls, pkg in ((SmolagentsBench, "smolagents"), (LangGraphBench, "langgraph")):
        try:
            benches.append(cls(mod))
        except ImportError as exc:
            notes.append(f"{pkg} skipped (not importable here: {exc}); "
                         "install bench/requirements-peers.txt into .venv-bench")

    results = measure(benches, counts, ns.repeats)
    per_step = {name: {n: statistics.median(r[n][1]) / N_STEPS for n in counts}
                for name, r in results.items()}
    tw = per_step["toolweave"]
    peers = [b for b in benches if not isinstance(b, ToolweaveBench)]

    table = Table(title=f"Framework overhead per step (instant model, {N_STEPS}-step ReAct run, "
                        f"median of {ns.repeats} warm runs; ms/step)")
    table.add_column("framework")
    for n in counts:
        table.add_column(f"{n} tools", justify="right")
        table.add_column(f"first run\n{n} tools", justify="right")
    table.add_column(f"{PARALLEL}x{NAP_S:g}s tools\nin one step (s)", justify="right")
    for b in benches:
        r = results[b.name]
        label = b.name + (f" {b.version}" if hasattr(b, "version") else "")
        row = [label]
        for n in counts:
            row += [f"{per_step[b.name][n] * 1e3:.3f}", f"{r[n][0] / N_STEPS * 1e3:.3f}"]
        table.add_row(*row, f"{r['parallel']:.3f}")
    for p in peers:
        row = [f"ratio toolweave / {p.name}"]
        for n in counts:
            row += [f"{tw[n] / per_step[p.name][n]:.3f}", ""]
        table.add_row(*row, f"{results['toolweave']['parallel'] / results[p.name]['parallel']:.3f}",
                      style="dim")
    console.print(table)
    for note in notes:
        console.print(f"[yellow]note:[/] {note}")
    console.print("Scripted models ignore constraints and tool schemas: loop overhead only. "
                  "toolweave's first run per tool set includes building + caching the grammar. "
                  "smolagents' parallel step uses time.sleep tools (it has no async tools); "
                  "LangGraph's uses async tools via ainvoke.")

    ok = True
    if peers:
        fastest = {n: min(per_step[p.name][n] for p in peers) for n in counts}
        for n in counts:
            good = tw[n] <= fastest[n] / 5
            ok &= good
            console.print(f"{'PASS' if good else 'FAIL'}: {n} tools: toolweave {tw[n] * 1e3:.3f} "
                          f"ms/step <= fastest peer / 5 = {fastest[n] / 5 * 1e3:.3f} ms/step")
    else:
        console.print("[yellow]no peer imported: the 1/5-of-fastest-peer target is not checked")
    lo, hi = min(counts), max(counts)
    flat = tw[hi] <= 2 * tw[lo]
    ok &= flat
    console.print(f"{'PASS' if flat else 'FAIL'}: flat: toolweave {hi} tools {tw[hi] * 1e3:.3f} "
                  f"ms/step <= 2 x {lo} tools = {2 * tw[lo] * 1e3:.3f} ms/step")
    par = results["toolweave"]["parallel"]
    par_ok = par < NAP_S * 1.6
    ok &= par_ok
    console.print(f"{'PASS' if par_ok else 'FAIL'}: parallel step {par:.3f} s "
                  f"(~{NAP_S:g} s expected for {PARALLEL} concurrent calls)")
    console.print(f"[bold]{'PASS' if ok else 'FAIL'}[/]")

    if ns.profile:
        profile_toolweave(mod, lo)
        profile_toolweave(mod, hi)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
