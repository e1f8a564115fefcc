"""Real servers on loopback for the OpenAI-compatible backend: llama-cpp-python's server with the
tiny embedded model, and a scripted stdlib HTTP server for retries and protocol errors."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import BinaryIO

import httpx
import pytest

Body = bytes | Callable[[BinaryIO], None]


def free_port() -> int:
    """A loopback port nothing listens on (right now)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def unused_port() -> int:
    return free_port()


@pytest.fixture(scope="session")
def llama_server():
    """``python -m llama_cpp.server`` with the tiny model; yields its ``/v1`` base URL."""
    from toolweave.models.embedded import EMBEDDED

    port = free_port()
    cmd = [sys.executable, "-m", "llama_cpp.server", "--model", str(EMBEDDED["tiny"].path()),
           "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "2048"]
    # stderr to a file, not a pipe: a chatty server must never block on a full pipe
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=log)
        base = f"http://127.0.0.1:{port}/v1"
        try:
            _wait_ready(proc, base, log)
            yield base
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _wait_ready(proc: subprocess.Popen, base: str, log, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            log.seek(0)
            pytest.fail(f"llama_cpp.server exited with {proc.returncode}:\n"
                        f"{log.read().decode(errors='replace')[-3000:]}")
        try:
            if httpx.get(f"{base}/models", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    log.seek(0)
    pytest.fail(f"llama_cpp.server not ready after {timeout_s} s:\n"
                f"{log.read().decode(errors='replace')[-3000:]}")


class ScriptedServer:
    """A stdlib HTTP server answering each request with the next scripted response.

    A response is ``(status, headers, body)``; the last one repeats once the script runs out.
    ``body`` is bytes, or a callable that writes the body to the socket's file as it likes (a
    stream of pings, tokens trickling in); the connection closes when it returns.
    Every request is recorded as ``{"method", "path", "headers", "json"}``.
    """

    def __init__(self) -> None:
        self.script: list[tuple[int, dict[str, str], Body]] = []
        self.requests: list[dict] = []
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.02,),
                                        daemon=True)  # a short poll: fast shutdown
        self._thread.start()

    def answer(self, *responses: tuple[int, dict[str, str], Body]) -> ScriptedServer:
        self.script = list(responses)
        return self

    def _next(self) -> tuple[int, dict[str, str], Body]:
        return self.script.pop(0) if len(self.script) > 1 else self.script[0]

    def _handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                server.requests.append({"method": self.command, "path": self.path,
                                        "headers": dict(self.headers),
                                        "json": json.loads(raw) if raw else None})
                status, headers, body = server._next()
                self.send_response(status)
                headers = {"Content-Type": "text/event-stream", **headers}
                for key, value in headers.items():
                    self.send_header(key, value)
                if callable(body):  # no length: the body ends when the connection closes
                    self.end_headers()
                    try:
                        body(self.wfile)
                    except OSError:  # the client went away: the stream is over
                        pass
                    return
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = _serve

            def log_message(self, *args) -> None:  # keep test output clean
                pass

        return Handler

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)


@pytest.fixture
def scripted():
    server = ScriptedServer()
    try:
        yield server
    finally:
        server.close()
