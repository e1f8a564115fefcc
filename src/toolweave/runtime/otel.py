"""OpenTelemetry spans of a run, following the GenAI semantic conventions: ``invoke_agent`` for
the run, ``chat`` for each model turn and ``execute_tool`` for each tool call that ran, with
``gen_ai.*`` attributes and ``error.type`` on failures.

`RunSpans` is a recorder listener (`TraceRecorder`'s events, like the CLI's live view), so it
needs no hook of its own in the loop: the run span opens with the ``start`` event, each step's
turn and calls become child spans with the times the step recorded, and ``end`` closes the run.
Needs the ``otel`` extra (``opentelemetry-api``; the SDK and an exporter to send spans):

    from toolweave.runtime.otel import RunSpans
    agent.run("question", listeners=[RunSpans()])
"""

from __future__ import annotations

from typing import Any

from opentelemetry import trace as otel_trace
from opentelemetry.trace import SpanKind, Status, StatusCode

from toolweave.runtime.executor import NOT_RUN

# why a run stopped that counts as a failed operation (error.type)
FAILED_STOPS = frozenset({"error", "timeout", "cancelled"})
INSTRUMENTATION = "toolweave"


def _ns(seconds: float) -> int:
    return int(seconds * 1e9)


class RunSpans:
    """A listener that turns one run's recorder events into spans on ``tracer`` (default: the
    global tracer provider's). One instance per run."""

    def __init__(self, tracer: otel_trace.Tracer | None = None):
        self.tracer = tracer or otel_trace.get_tracer(INSTRUMENTATION)
        self.run_span: otel_trace.Span | None = None
        self._context: Any = None
        self._model = ""
        self._tokens = [0, 0]
        self._error: str | None = None

    def __call__(self, event: dict[str, Any]) -> None:
        kind = event.get("event")
        if kind == "start":
            self._start(event["trace"])
        elif self.run_span is None:
            return
        elif kind == "step":
            self._step(event["step"])
        elif kind == "meta" and "error" in event.get("meta", {}):
            # "ValueError: ..." -> the exception's class, as error.type wants
            self._error = str(event["meta"]["error"]).split(":", 1)[0]
        elif kind == "end":
            self._end(event)

    def _start(self, trace: dict[str, Any]) -> None:
        self._model = trace.get("model", "")
        agent = (trace.get("meta") or {}).get("agent") or trace.get("strategy", "agent")
        attributes = {"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": agent,
                      "gen_ai.agent.id": trace.get("id", ""),
                      "gen_ai.request.model": self._model,
                      "toolweave.strategy": trace.get("strategy", "")}
        conversation = (trace.get("meta") or {}).get("conversation")
        if isinstance(conversation, dict) and conversation.get("id"):
            attributes["gen_ai.conversation.id"] = conversation["id"]
        self.run_span = self.tracer.start_span(
            f"invoke_agent {agent}", kind=SpanKind.INTERNAL,
            start_time=_ns(trace.get("started_at", 0.0)), attributes=attributes)
        self._context = otel_trace.set_span_in_context(self.run_span)

    def _step(self, step: dict[str, Any]) -> None:
        completion = step.get("completion")
        if completion:
            usage, timings = completion.get("usage", {}), completion.get("timings", {})
            start = step["started_at"]
            end = start + timings.get("total_s", 0.0) if timings.get("total_s") else (
                step.get("ended_at") or start)
            tokens_in, tokens_out = usage.get("prompt_tokens", 0), usage.get(
                "completion_tokens", 0)
            self._tokens[0] += tokens_in
            self._tokens[1] += tokens_out
            span = self.tracer.start_span(
                f"chat {self._model}", context=self._context, kind=SpanKind.CLIENT,
                start_time=_ns(start), attributes={
                    "gen_ai.operation.name": "chat", "gen_ai.request.model": self._model,
                    "gen_ai.response.model": completion.get("model") or self._model,
                    "gen_ai.usage.input_tokens": tokens_in,
                    "gen_ai.usage.output_tokens": tokens_out,
                    "gen_ai.response.finish_reasons": [completion.get("finish_reason", "stop")],
                    "toolweave.step.index": step.get("index", 0),
                    "toolweave.step.kind": step.get("kind", "")})
            if step.get("kind") == "error":
                span.set_attribute("error.type", "unparsable_turn")
                span.set_status(Status(StatusCode.ERROR, step.get("error") or ""))
            span.end(end_time=_ns(end))
        calls = {c.get("id"): c for c in step.get("calls", [])}
        for obs in step.get("observations", []):
            if obs.get("error") in NOT_RUN or not obs.get("started_at"):
                continue  # answered by the repeat guard: no tool ran
            self._tool_span(obs, calls.get(obs.get("call_id"), {}))

    def _tool_span(self, obs: dict[str, Any], call: dict[str, Any]) -> None:
        span = self.tracer.start_span(
            f"execute_tool {obs.get('tool', '')}", context=self._context,
            kind=SpanKind.INTERNAL, start_time=_ns(obs["started_at"]), attributes={
                "gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": obs.get("tool", ""),
                "gen_ai.tool.call.id": obs.get("call_id", ""), "gen_ai.tool.type": "function"})
        if not obs.get("ok", True):
            span.set_attribute("error.type", obs.get("error") or "tool_error")
            span.set_status(Status(StatusCode.ERROR, str(obs.get("content", ""))[:200]))
        span.end(end_time=_ns(obs.get("ended_at") or obs["started_at"]))

    def _end(self, event: dict[str, Any]) -> None:
        span, self.run_span = self.run_span, None
        span.set_attribute("gen_ai.usage.input_tokens", self._tokens[0])
        span.set_attribute("gen_ai.usage.output_tokens", self._tokens[1])
        stop = event.get("stop_reason", "")
        span.set_attribute("toolweave.stop_reason", stop)
        if stop in FAILED_STOPS:
            span.set_attribute("error.type", self._error or stop)
            span.set_status(Status(StatusCode.ERROR, stop))
        span.end(end_time=_ns(event.get("ended_at") or 0.0) or None)


class RunSpansFactory:
    """Makes each run's `RunSpans` on one tracer; `shutdown` flushes and closes the tracer
    provider it made for an OTLP endpoint (spans still batched would be lost at exit)."""

    def __init__(self, tracer_provider: Any = None, owned: bool = False):
        self.tracer_provider, self.owned = tracer_provider, owned
        self._tracer = (tracer_provider.get_tracer(INSTRUMENTATION)
                        if tracer_provider is not None else None)

    def __call__(self) -> RunSpans:
        return RunSpans(self._tracer)  # None: the global provider's, looked up per run

    def shutdown(self) -> None:
        if self.owned:
            self.tracer_provider.shutdown()


def span_listener_factory(endpoint: str | None = None, service_name: str = "toolweave",
                          tracer_provider: Any = None) -> RunSpansFactory:
    """What makes each run's `RunSpans`: on ``tracer_provider``; else, with an OTLP/HTTP
    ``endpoint`` (``http://host:4318/v1/traces``), on a provider exporting there
    (``opentelemetry-sdk`` and ``opentelemetry-exporter-otlp-proto-http``); else on the global
    provider."""
    if tracer_provider is None and endpoint:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor

        provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint)))
        return RunSpansFactory(provider, owned=True)
    return RunSpansFactory(tracer_provider)
