"""`LlamaCpp` calls take fair turns on their shared model (`ModelTurns`), without a real model:
the loaded instance's ``generate`` is replaced by a fake critical section on the model's own
worker thread, so what runs is the backend's real admission and hand-off code."""

from __future__ import annotations

import asyncio
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace

import pytest

from toolweave.models._turns import ModelTurns
from toolweave.models.llama_cpp import LlamaCpp, _Loaded
from toolweave.types import Completion, Message


class FakeLoaded(_Loaded):
    """A `_Loaded` without llama.cpp: ``generate`` records who ran and holds the model for
    ``turn_s`` (or until ``gate`` opens)."""

    def __init__(self, turn_s: float = 0.01):
        self.turns = ModelTurns()
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="fake-llama")
        self.formatter = lambda messages, tools: SimpleNamespace(prompt=messages[-1]["content"])
        self.renders_tools, self.markers, self.stops = True, (), []
        self.turn_s, self.ran, self.inside = turn_s, [], 0
        self.gate: threading.Event | None = None

    def generate(self, prompt, gbnf, max_tokens, temperature, stops, on_text, cancelled):
        self.inside += 1
        assert self.inside == 1, "two turns on one context at once"
        self.ran.append(prompt)
        if self.gate is not None:
            self.gate.wait(5)
        time.sleep(self.turn_s)
        self.inside -= 1
        if prompt.startswith("fail"):
            raise RuntimeError(f"llama.cpp failed on {prompt}")
        if on_text is not None:
            on_text(prompt)
        return Completion(text=f"answer to {prompt}")


def fake_model(loaded: FakeLoaded) -> LlamaCpp:
    model = LlamaCpp.__new__(LlamaCpp)  # no GGUF file: the loaded instance is the fake
    model.name, model._loaded = "fake", loaded
    return model


def ask(text: str) -> list[Message]:
    return [Message(role="user", content=text)]


async def wait_for_queue(loaded: FakeLoaded, n: int) -> None:
    deadline = time.monotonic() + 5
    while loaded.turns.waiting < n:
        assert time.monotonic() < deadline
        await asyncio.sleep(0.001)


async def test_concurrent_calls_run_in_arrival_order_and_report_their_wait():
    loaded = FakeLoaded(turn_s=0.02)
    model = fake_model(loaded)
    loaded.gate = threading.Event()
    first = asyncio.create_task(model.complete(ask("q0")))
    while not loaded.ran:
        await asyncio.sleep(0.001)
    calls = [first]
    for i in range(1, 5):
        call = model.stream(ask(f"q{i}")) if i % 2 else None
        calls.append(asyncio.create_task(
            collect(call) if call is not None else model.complete(ask(f"q{i}"))))
        await wait_for_queue(loaded, i)
    loaded.gate.set()
    done = await asyncio.wait_for(asyncio.gather(*calls), 10)
    assert loaded.ran == [f"q{i}" for i in range(5)]
    assert [c.text for c in done] == [f"answer to q{i}" for i in range(5)]
    waits = [c.timings.queued_s for c in done]
    assert waits[0] < 0.01 and all(w >= 0.02 for w in waits[1:])  # behind the earlier turns
    assert waits[1:] == sorted(waits[1:])


async def collect(stream) -> Completion:
    final = None
    async for delta in stream:
        final = delta.completion or final
    return final


async def test_a_call_cancelled_while_queued_never_reaches_the_model():
    """Cancelled in the queue, a turn costs nothing: before, it still ran its whole prefill
    on the model when its place in the worker's queue came up."""
    loaded = FakeLoaded()
    model = fake_model(loaded)
    loaded.gate = threading.Event()
    running = asyncio.create_task(model.complete(ask("running")))
    while not loaded.ran:
        await asyncio.sleep(0.001)
    doomed = asyncio.create_task(model.complete(ask("doomed")))
    await wait_for_queue(loaded, 1)
    after = asyncio.create_task(model.complete(ask("after")))
    await wait_for_queue(loaded, 2)
    doomed.cancel()
    with pytest.raises(asyncio.CancelledError):
        await doomed
    loaded.gate.set()
    await asyncio.wait_for(asyncio.gather(running, after), 5)
    assert loaded.ran == ["running", "after"]
    assert not loaded.turns.held


async def test_a_call_cancelled_mid_turn_keeps_the_model_until_its_worker_stops():
    loaded = FakeLoaded()
    model = fake_model(loaded)
    loaded.gate = threading.Event()
    running = asyncio.create_task(model.complete(ask("running")))
    while not loaded.ran:
        await asyncio.sleep(0.001)
    running.cancel()
    with pytest.raises(asyncio.CancelledError):
        await running
    assert loaded.turns.held  # the worker still uses the context: nobody else may start
    nxt = asyncio.create_task(model.complete(ask("next")))
    await asyncio.sleep(0.02)
    assert loaded.ran == ["running"]
    loaded.gate.set()
    assert (await asyncio.wait_for(nxt, 5)).text == "answer to next"


async def test_a_failing_turn_releases_the_model():
    loaded = FakeLoaded()
    model = fake_model(loaded)
    with pytest.raises(RuntimeError, match="failed on fail-1"):
        await model.complete(ask("fail-1"))
    with pytest.raises(RuntimeError, match="failed on fail-2"):
        await collect(model.stream(ask("fail-2")))
    assert (await asyncio.wait_for(model.complete(ask("ok")), 5)).text == "answer to ok"
    assert not loaded.turns.held and loaded.turns.waiting == 0
