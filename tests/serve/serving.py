"""Helpers for the serve tests: a config on the Scripted calculator model (no real model) and a
real server on loopback (uvicorn in a thread)."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

SCRIPTED = "toolweave.serve.scripted_model:calculator_script"


def scripted_config(tmp_path, **extra: Any) -> dict[str, Any]:
    """A config with two agents on the Scripted calculator model: ``calc`` answers at once,
    ``slow`` takes three 0.3 s turns of calls before answering."""
    return {
        "models": {"scripted": {"factory": SCRIPTED},
                   "slow": {"factory": SCRIPTED, "options": {"delay_s": 0.3, "steps": 3}}},
        "toolsets": {"default": {"builtins": True}},
        "agents": {"calc": {"model": "scripted"},
                   "slow": {"model": "slow", "settings": {"max_steps": 8}}},
        "default_agent": "calc",
        "database": str(tmp_path / "runs.sqlite"),
        **extra,
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def running_server(config: dict[str, Any]) -> Iterator[str]:
    """Serve ``config`` on a free loopback port in a thread; yields the base URL."""
    import uvicorn

    from toolweave.serve import ServeConfig, create_app

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(ServeConfig.model_validate(config)),
                                           host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


def mcp_adder_script() -> Any:
    """A fresh model for one run: it calls the MCP demo server's ``add`` tool on the first two
    numbers of the question, then answers with the number the tool sent back."""
    import json
    import re

    from toolweave.models.scripted import Scripted

    def reply(messages) -> str:
        if messages[-1].role == "user" and "<tool_response>" not in messages[-1].content:
            a, b = (int(n) for n in re.findall(r"\d+", messages[-1].content)[:2])
            body = json.dumps({"name": "add", "arguments": {"a": a, "b": b}})
            return f"I will add them.\n<tool_call>\n{body}\n</tool_call>"
        numbers = re.findall(r"-?\d+", messages[-1].content)
        return f"The sum is {numbers[-1]}." if numbers else "The tool sent no number."

    return Scripted([reply, reply], name="scripted-mcp-adder")
