"""With ``telemetry.otlp_endpoint`` set, a server exports its runs' spans over OTLP/HTTP: caught
here by a small OTLP receiver on loopback (protobuf bodies decoded with opentelemetry-proto)."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import httpx
import pytest
from serving import running_server, scripted_config

pytest.importorskip("opentelemetry.exporter.otlp.proto.http")
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (  # noqa: E402
    ExportTraceServiceRequest,
)


class Receiver(BaseHTTPRequestHandler):
    bodies: list[tuple[str, bytes]] = []

    def do_POST(self):  # noqa: N802 - http.server's name
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Receiver.bodies.append((self.path, body))
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def test_spans_are_exported_over_otlp_when_an_endpoint_is_set(tmp_path):
    receiver = HTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    Receiver.bodies = []
    endpoint = f"http://127.0.0.1:{receiver.server_port}/v1/traces"
    config = scripted_config(tmp_path, telemetry={
        "enabled": True, "otlp_endpoint": endpoint, "service_name": "toolweave-test"})
    try:
        with running_server(config) as url:
            run_id = httpx.post(f"{url}/v1/runs", json={"question": "6 * 7"}).json()["id"]
            httpx.get(f"{url}/v1/runs/{run_id}", params={"wait": 10}, timeout=15)
        # the server's shutdown flushed the batched spans
    finally:
        receiver.shutdown()
    spans, services = [], set()
    for path, body in Receiver.bodies:
        assert path == "/v1/traces"
        request = ExportTraceServiceRequest.FromString(body)
        for resource_spans in request.resource_spans:
            services |= {a.value.string_value for a in resource_spans.resource.attributes
                         if a.key == "service.name"}
            spans += [s for scope in resource_spans.scope_spans for s in scope.spans]
    assert services == {"toolweave-test"}
    names = sorted(s.name for s in spans)
    assert names == ["chat scripted-calculator", "chat scripted-calculator",
                     "execute_tool calculator", "invoke_agent calc"]
    run = next(s for s in spans if s.name == "invoke_agent calc")
    attributes = {a.key: a.value for a in run.attributes}
    assert attributes["gen_ai.agent.id"].string_value == run_id
    assert attributes["gen_ai.operation.name"].string_value == "invoke_agent"
