"""OpenTelemetry spans of runs, model turns and tool calls (GenAI semantic conventions),
caught with the SDK's in-memory exporter."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("opentelemetry.sdk")

from opentelemetry.sdk.trace import TracerProvider  # noqa: E402
from opentelemetry.sdk.trace.export import SimpleSpanProcessor  # noqa: E402
from opentelemetry.sdk.trace.export.in_memory_span_exporter import (  # noqa: E402
    InMemorySpanExporter,
)
from opentelemetry.trace import StatusCode  # noqa: E402

from toolweave import Agent, Scripted, tool  # noqa: E402
from toolweave.runtime.otel import RunSpans, span_listener_factory  # noqa: E402
from toolweave.types import Completion, Usage  # noqa: E402


@tool
def lookup(city: str) -> str:
    """The population of ``city``."""
    return {"Oslo": "709000"}[city]


def turn(text: str, prompt: int, completion: int) -> Completion:
    return Completion(text=text, usage=Usage(prompt_tokens=prompt, completion_tokens=completion))


def call(name: str, **arguments) -> str:
    return f'<tool_call>\n{json.dumps({"name": name, "arguments": arguments})}\n</tool_call>'


@pytest.fixture
def spans():
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider, exporter


def test_a_run_gives_an_agent_span_with_chat_and_tool_spans_inside(spans):
    provider, exporter = spans
    model = Scripted([turn(call("lookup", city="Oslo") + "\n" + call("lookup", city="Rome"),
                           120, 30), turn("Oslo has 709000 people.", 180, 12)])
    trace = Agent(model, [lookup]).run(
        "How many people live in Oslo and Rome?",
        listeners=[span_listener_factory(tracer_provider=provider)()])
    finished = exporter.get_finished_spans()
    by_op = {}
    for span in finished:
        by_op.setdefault(span.attributes["gen_ai.operation.name"], []).append(span)
    (run,) = by_op["invoke_agent"]
    assert run.name == "invoke_agent react"
    assert run.attributes["gen_ai.request.model"] == "scripted"
    assert run.attributes["gen_ai.usage.input_tokens"] == 300
    assert run.attributes["gen_ai.usage.output_tokens"] == 42
    assert "error.type" not in run.attributes and run.status.status_code != StatusCode.ERROR
    chats = sorted(by_op["chat"], key=lambda s: s.start_time)
    assert [c.name for c in chats] == ["chat scripted", "chat scripted"]
    assert [c.attributes["gen_ai.usage.input_tokens"] for c in chats] == [120, 180]
    assert [c.attributes["gen_ai.usage.output_tokens"] for c in chats] == [30, 12]
    tools = {s.attributes["gen_ai.tool.call.id"]: s for s in by_op["execute_tool"]}
    calls = trace.steps[0].calls
    assert set(tools) == {c.id for c in calls}
    oslo, rome = tools[calls[0].id], tools[calls[1].id]
    assert oslo.name == "execute_tool lookup" and oslo.attributes["gen_ai.tool.name"] == "lookup"
    assert "error.type" not in oslo.attributes
    assert rome.attributes["error.type"] == trace.steps[0].observations[1].error
    assert rome.status.status_code == StatusCode.ERROR
    for child in [*chats, *tools.values()]:  # every span sits inside the run's span
        assert child.parent.span_id == run.context.span_id
        assert child.context.trace_id == run.context.trace_id
        assert run.start_time <= child.start_time <= child.end_time <= run.end_time
    obs = trace.steps[0].observations[0]
    assert oslo.start_time == int(obs.started_at * 1e9)


def test_a_failed_run_carries_the_exception_class_as_its_error_type(spans):
    provider, exporter = spans
    with pytest.raises(Exception, match="script exhausted"):
        Agent(Scripted([call("lookup", city="Oslo")]), [lookup]).run(
            "Oslo?", listeners=[RunSpans(provider.get_tracer("test"))])
    run = next(s for s in exporter.get_finished_spans()
               if s.attributes["gen_ai.operation.name"] == "invoke_agent")
    assert run.attributes["error.type"] == "ScriptExhaustedError"
    assert run.status.status_code == StatusCode.ERROR


def test_the_server_makes_spans_per_run_when_given_a_provider(spans, tmp_path):
    pytest.importorskip("fastapi")
    import sys
    import threading
    from pathlib import Path

    import httpx
    import uvicorn

    sys.path.insert(0, str(Path(__file__).parents[1] / "serve"))
    from serving import free_port, scripted_config

    from toolweave.serve import ServeConfig, create_app
    from toolweave.serve.app import telemetry_listeners

    provider, exporter = spans
    config = ServeConfig.model_validate(scripted_config(tmp_path))
    assert telemetry_listeners(config) == []  # off by default
    on = config.model_copy(update={"telemetry": config.telemetry.model_copy(
        update={"enabled": True})})
    (factory,) = telemetry_listeners(on)  # the global provider's, looked up per run
    assert isinstance(factory(), RunSpans) and factory.tracer_provider is None
    port = free_port()
    app = create_app(config, run_listeners=[span_listener_factory(tracer_provider=provider)])
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        while not server.started:
            thread.join(0.02)
        url = f"http://127.0.0.1:{port}"
        run_id = httpx.post(f"{url}/v1/runs", json={"question": "6 * 7"}).json()["id"]
        httpx.get(f"{url}/v1/runs/{run_id}", params={"wait": 10}, timeout=15)
    finally:
        server.should_exit = True
        thread.join(10)
    names = sorted(s.name for s in exporter.get_finished_spans())
    assert names == ["chat scripted-calculator", "chat scripted-calculator",
                     "execute_tool calculator", "invoke_agent calc"]
    run = next(s for s in exporter.get_finished_spans() if s.name == "invoke_agent calc")
    assert run.attributes["gen_ai.agent.id"] == run_id
