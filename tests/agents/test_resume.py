"""Resuming a killed run (`Agent.resume`, `toolweave run --resume`): real processes killed
with SIGKILL mid-call, then resumed; no finished call runs twice, a non-idempotent call left in
flight is reported and never repeated, an idempotent one runs again."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from toolweave.agents import Agent
from toolweave.models import Scripted
from toolweave.runtime.replay import OUTCOME_UNKNOWN, ResumeError, RunFinished
from toolweave.tools import tool
from toolweave.trace_file import read_run
from toolweave.types import Trace

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
WORKER = HERE / "resume_worker.py"
QUESTION = "Look up order 42, charge it 30 and ship it."


def call(tool_name: str, thought: str = "", /, **arguments) -> str:
    body = json.dumps({"name": tool_name, "arguments": arguments})
    return f"{thought}\n<tool_call>\n{body}\n</tool_call>"


@pytest.fixture
def counts(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "counts"
    folder.mkdir()
    monkeypatch.setenv("RESUME_COUNTS", str(folder))
    return folder


def calls_of(counts: Path, name: str) -> list[str]:
    path = counts / name
    return path.read_text().splitlines() if path.exists() else []


def worker(*args: str) -> list[str]:
    return [sys.executable, str(WORKER), *args]


def env() -> dict[str, str]:
    # the worktree's package first, and the worker's folder for `--tools resume_worker:TOOLS`
    path = os.pathsep.join([str(ROOT / "src"), str(HERE), os.environ.get("PYTHONPATH", "")])
    return {**os.environ, "PYTHONPATH": path}


def kill_when_started(replies: list[str], trace_path: Path, counts: Path, tool: str) -> None:
    """Run the worker until ``tool`` has been called (it blocks), then SIGKILL it."""
    (counts / f"block-{tool}").touch()
    proc = subprocess.Popen(worker("run", QUESTION, str(trace_path), json.dumps(replies)),
                            env=env(), cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not calls_of(counts, tool):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise AssertionError(f"the worker never called {tool}: {proc.communicate()}")
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    (counts / f"block-{tool}").unlink()


def test_a_killed_run_resumes_without_repeating_a_call_and_reports_the_one_in_flight(
        tmp_path, counts):
    trace_path = tmp_path / "run.jsonl"
    kill_when_started([call("lookup", "Price first.", order="42"),
                       call("charge", "Charge it.", order="42", amount=30),
                       call("ship", "Ship it.", order="42"),
                       "never reached"], trace_path, counts, "ship")

    # the killed run's trace shows the call that was in flight
    killed = Trace.load(trace_path)
    assert [c.name for s in killed.steps for c in s.calls] == ["lookup", "charge"]
    assert killed.stop_reason == ""
    assert [c["name"] for c in killed.meta["in_flight"]] == ["ship"]
    assert read_run(trace_path).pending is not None  # the turn that made it, to make again
    shown = subprocess.run([sys.executable, "-m", "toolweave", "trace", "show", str(trace_path)],
                           env=env(), cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert "in flight when the run stopped" in shown.stdout and "ship" in shown.stdout
    with open(trace_path, "a") as f:  # as if killed while writing a line
        f.write('{"event": "step", "run": "' + killed.id + '", "step": {"ind')

    answer = "Order 42 cost 30 EUR and was charged; whether it shipped is unknown."
    out = subprocess.run(worker("cli", str(trace_path), json.dumps([answer, answer])),
                         env=env(), cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "outcome unknown, not repeated" in out.stdout and "ship" in out.stdout
    assert "resuming the run" in out.stdout and answer in out.stdout

    # no finished call ran again, and the non-idempotent call in flight was not repeated
    assert (calls_of(counts, "lookup"), calls_of(counts, "charge"), calls_of(counts, "ship")) \
        == (["42"], ["42 30"], ["42"])
    resumed = Trace.load(trace_path)
    assert resumed.id == killed.id and (resumed.answer, resumed.stop_reason) == (answer, "answer")
    ship = resumed.steps[2]
    assert [c.name for c in ship.calls] == ["ship"]
    assert ship.observations[0].error == OUTCOME_UNKNOWN and not ship.observations[0].ok
    assert [c["name"] for c in resumed.meta["resumes"][-1]["outcome_unknown"]] == ["ship"]
    assert "in_flight" not in resumed.meta
    # one run in the file, its finished steps written once
    lines = trace_path.read_text().splitlines()
    torn = [line for line in lines if line.endswith('"step": {"ind')]
    assert len(torn) == 1  # the torn line stayed a line of its own
    events = [json.loads(line) for line in lines if line not in torn]
    assert [e["event"] for e in events].count("start") == 1
    assert [e["step"]["index"] for e in events if e["event"] == "step"] == [0, 1, 2, 3]


def test_an_idempotent_call_in_flight_runs_again_on_resume(tmp_path, counts):
    trace_path = tmp_path / "run.jsonl"
    kill_when_started([call("lookup", order="42"), call("track", order="42"), "x"],
                      trace_path, counts, "track")
    answer = "Order 42 costs 30 EUR and is in Lyon."
    out = subprocess.run(worker("resume", str(trace_path), json.dumps([answer, answer])),
                         env=env(), cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == {"answer": answer, "stop_reason": "answer"}
    assert (calls_of(counts, "lookup"), calls_of(counts, "track")) == (["42"], ["42", "42"])
    trace = Trace.load(trace_path)
    assert trace.steps[1].observations[0].content == "order 42 is in Lyon"
    assert [c["name"] for c in trace.meta["resumes"][-1]["rerun"]] == ["track"]


# -- in process: the run is cancelled (Ctrl-C) while a call hangs ----------------------------

SENDING: list[asyncio.Event] = []


@tool(idempotent=False)
async def send(to: str) -> str:
    """Send a message."""
    SENDING[-1].set()
    await asyncio.sleep(30)
    return "sent"


@tool
def find(name: str) -> str:
    """Find a person's address."""
    return f"{name} lives at 1 Main St"


async def interrupted_run(path: Path) -> Trace:
    """A run cancelled while its ``send`` call hangs; its trace as read back."""
    SENDING.append(asyncio.Event())
    model = Scripted([call("find", name="Ada"), call("send", to="Ada"), "x"])
    run = asyncio.create_task(Agent(model, [find, send]).arun(
        "Find Ada and send her a note.", trace_path=path))
    await asyncio.wait_for(SENDING[-1].wait(), 30)
    run.cancel()
    with pytest.raises(asyncio.CancelledError):
        await run
    return Trace.load(path)


async def test_an_interrupted_run_names_its_hung_call_and_resumes(tmp_path):
    path = tmp_path / "t.jsonl"
    trace = await interrupted_run(path)
    assert trace.stop_reason == "cancelled"
    assert [c["name"] for c in trace.meta["in_flight"]] == ["send"]
    model = Scripted(["Ada lives at 1 Main St; the note may not have been sent."] * 2)
    resumed = await Agent(model, [find, send]).aresume(path)
    assert resumed.stop_reason == "answer" and resumed.id == trace.id
    assert resumed.steps[1].observations[0].error == OUTCOME_UNKNOWN
    # the model was asked only for what came after the replayed steps
    assert len(model.calls) == 1


async def test_resuming_a_finished_run_says_so(tmp_path):
    path = tmp_path / "t.jsonl"
    await Agent(Scripted([call("find", name="Ada"), "At 1 Main St."] * 2), [find]).arun(
        "Where does Ada live?", trace_path=path)
    before = path.read_text()
    with pytest.raises(RunFinished, match="already finished.*nothing to resume") as done:
        await Agent(Scripted([]), [find]).aresume(path)
    assert done.value.trace.answer == "At 1 Main St."
    assert path.read_text() == before  # nothing appended
    out = subprocess.run([sys.executable, "-m", "toolweave", "run", "--resume", str(path)],
                         env=env(), cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and "already finished" in " ".join(out.stderr.split())
    assert "At 1 Main St." in out.stdout


@pytest.mark.parametrize("content", [
    b"\x00\xffnot a trace at all\n",
    b'{"event": "start", "run": "run_1", "trace": {"id": "run_1", "quest',  # torn start
    b'{"event": "start", "run": "run_1", "trace": {"id": "run_1"}}\n',  # no question
    b"",
])
async def test_resuming_a_torn_or_garbage_trace_is_a_clear_error(tmp_path, content):
    path = tmp_path / "bad.jsonl"
    path.write_bytes(content)
    with pytest.raises(ResumeError, match="cannot resume"):
        await Agent(Scripted([]), [find]).aresume(path)
    assert path.read_bytes() == content
    out = subprocess.run([sys.executable, "-m", "toolweave", "run", "--resume", str(path)],
                         env=env(), cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 1 and "cannot resume" in " ".join(out.stderr.split())
    assert "Traceback" not in out.stderr


async def test_resuming_without_a_tool_the_run_called_is_a_clear_error(tmp_path):
    path = tmp_path / "t.jsonl"
    await interrupted_run(path)
    with pytest.raises(ResumeError, match="does not have: send"):
        await Agent(Scripted([]), [find]).aresume(path)
    with pytest.raises(ResumeError, match="does not have: find, send"):
        await Agent(Scripted([]), []).aresume(path)
    with pytest.raises(ResumeError, match="nowhere.jsonl"):
        await Agent(Scripted([]), [find]).aresume(tmp_path / "nowhere.jsonl")


def test_tools_say_whether_a_call_may_run_twice():
    @tool(stateful=True)
    def move(src: str, dst: str) -> str:
        """Move a file."""
        return "moved"

    assert find.idempotent and not send.idempotent
    assert not move.idempotent  # a state change is not safe to repeat, unless declared so
    assert tool(stateful=True, idempotent=True)(find.fn).idempotent


# -- every strategy resumes, unchanged: the replay is below them -------------------------------

@tool
async def add(a: int, b: int) -> int:
    """Add two integers."""
    ADDED.append((a, b))
    return a + b


@tool(idempotent=False)
async def mul(a: int, b: int) -> int:
    """Multiply two integers."""
    SENDING[-1].set()
    await asyncio.sleep(30)
    return a * b


ADDED: list[tuple[int, int]] = []
PREACT_PLAN = "1. add - add 2 and 3\n2. mul - multiply the sum by 4\n3. final answer - the product"


@pytest.mark.parametrize("strategy, replies, rest, kinds", [
    ("preact", [PREACT_PLAN, call("add", a=2, b=3), "1. mul - multiply 5 by 4\n2. final answer "
                "- the product", call("mul", a=5, b=4)],
     ["1. final answer - unknown", "Not known: the product was not confirmed.", "x"],
     ["plan", "act", "plan", "act", "plan", "answer"]),
    # a DAG runs both tasks at once: ``add`` finished, but its step (the plan's) was not
    # recorded when the run stopped, so it is idempotent work lost and done again
    ("dag", ["1. What is (2+3)*4?", '1. add({"a": 2, "b": 3})\n2. mul({"a": 5, "b": 4})\njoin()'],
     ["Answer: Not known: the product was not confirmed."],
     ["plan", "plan", "act", "answer"]),
])
async def test_other_strategies_resume_from_their_trace(tmp_path, strategy, replies, rest, kinds):
    path = tmp_path / "t.jsonl"
    SENDING.append(asyncio.Event())
    ADDED.clear()
    run = asyncio.create_task(Agent(Scripted(replies), [add, mul], strategy=strategy).arun(
        "(2+3)*4?", trace_path=path))
    await asyncio.wait_for(SENDING[-1].wait(), 30)
    run.cancel()
    with pytest.raises(asyncio.CancelledError):
        await run
    assert "mul" in [c["name"] for c in Trace.load(path).meta["in_flight"]]
    adds = len(ADDED)

    # the agent's own strategy is not used: the trace's is
    resumed = await Agent(Scripted(rest), [add, mul], strategy="react").aresume(path)
    assert (resumed.stop_reason, resumed.answer) == (
        "answer", "Not known: the product was not confirmed.")
    assert [s.kind for s in resumed.steps] == kinds
    observed = {c.name: o for s in resumed.steps
                for c, o in zip(s.calls, s.observations, strict=True)}
    assert observed["mul"].error == OUTCOME_UNKNOWN and observed["add"].content == "5"
    assert len(ADDED) == adds + (strategy == "dag")


async def interrupted_sum(path: Path, **settings) -> None:
    """A react run that added 2 and 3, then was cancelled while multiplying."""
    SENDING.append(asyncio.Event())
    model = Scripted([call("add", a=2, b=3), call("mul", a=5, b=4), "x", "x"])
    run = asyncio.create_task(Agent(model, [add, mul], **settings).arun(
        "(2+3)*4?", trace_path=path))
    await asyncio.wait_for(SENDING[-1].wait(), 30)
    run.cancel()
    with pytest.raises(asyncio.CancelledError):
        await run


async def test_a_resumed_run_keeps_the_settings_it_was_started_with(tmp_path):
    path = tmp_path / "t.jsonl"
    await interrupted_sum(path, max_steps=2)
    # the agent's own budget (8 steps) is not the run's: its two steps are spent
    resumed = await Agent(Scripted(["Unknown."]), [add, mul]).aresume(path)
    assert (resumed.stop_reason, resumed.answer) == ("max_steps", "Unknown.")


async def test_a_replay_that_goes_another_way_stops_before_running_anything(tmp_path):
    path = tmp_path / "t.jsonl"
    await interrupted_sum(path)
    ADDED.clear()
    # the recorded turn no longer makes the call its step recorded (another code or setup)
    text = path.read_text().replace('\\"a\\": 2, \\"b\\": 3', '\\"a\\": 7, \\"b\\": 8')
    path.write_text(text)
    with pytest.raises(ResumeError, match=r"went another way.*add\(a=7, b=8\)"):
        await Agent(Scripted([]), [add, mul]).aresume(path)
    assert ADDED == []
    assert Trace.load(path).stop_reason == "error"  # and it can be resumed again once mended
