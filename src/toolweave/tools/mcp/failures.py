"""MCP errors, and one-line descriptions of why an MCP connection failed.

The SDK reports failures as nested anyio exception groups around an ``MCPError``, an
``OSError`` from the spawn or an ``httpx2`` transport error; users get one line naming the
server and the cause instead.
"""

from __future__ import annotations

import asyncio
import signal
from typing import Any

from toolweave.errors import ToolweaveError


class McpError(ToolweaveError):
    """An MCP server could not be started, reached or used; the message names the server."""


class McpTimeoutError(McpError, TimeoutError):
    """An MCP request got no answer in time."""


class McpToolError(ToolweaveError):
    """An MCP tool reported failure (``isError``); the message is the tool's own text."""


_PHASES = {
    "spawn": "while starting the process",
    "connect": "while connecting",
    "initialize": "during initialize",
    "tools/list": "while listing its tools",
}


def describe_exit(returncode: int) -> str:
    """``exited with code 3`` or ``was killed by SIGKILL``."""
    if returncode >= 0:
        return f"exited with code {returncode}"
    try:
        return f"was killed by {signal.Signals(-returncode).name}"
    except ValueError:
        return f"was killed by signal {-returncode}"


def describe_failure(exc: BaseException | None, target: str, argv: list[str],
                     phase: str | None = None) -> str:
    """What went wrong, as the end of a sentence starting with the server's name."""
    cause = root_cause(exc)
    when = f" {_PHASES.get(phase, '')}".rstrip() if phase else ""
    if cause is None:
        return f"stopped{when}"
    command = argv[0] if argv else target
    if isinstance(cause, FileNotFoundError) and phase == "spawn":
        return f"could not start: command {command!r} not found"
    if isinstance(cause, PermissionError) and phase == "spawn":
        return f"could not start: command {command!r} is not executable"
    if isinstance(cause, OSError) and phase == "spawn":
        return f"could not start {command!r}: {cause.strerror or cause}"
    http = _http_failure(cause, target)
    if http is not None:
        return http
    code = getattr(cause, "code", None)
    if type(cause).__name__ == "MCPError":
        if code == -32000:  # CONNECTION_CLOSED
            return f"closed the connection{when}"
        if code == -32601 and phase == "initialize" and target.startswith(("http:", "https:")):
            return f"answered 'Not Found' during initialize: is {target} the MCP endpoint?"
        return f"answered with an error{when}: {cause} (code {code})"
    return f"failed{when}: {_exception_text(cause)}"


def root_cause(exc: BaseException | None) -> BaseException | None:
    """The first leaf of nested exception groups that is not a cancellation."""
    if exc is None:
        return None
    if isinstance(exc, BaseExceptionGroup):
        for inner in exc.exceptions:
            found = root_cause(inner)
            if found is not None:
                return found
        return None
    if isinstance(exc, asyncio.CancelledError):
        return None
    return exc


def one_line_tail(data: bytes, lines: int = 5, max_chars: int = 600) -> str:
    """The last few non-blank lines of ``data``, joined with `` | `` and cut to ``max_chars``."""
    text = data.decode("utf-8", errors="replace")
    kept = [line.strip() for line in text.splitlines() if line.strip()][-lines:]
    joined = " | ".join(kept)
    return joined if len(joined) <= max_chars else "…" + joined[-max_chars:]


def _http_failure(cause: BaseException, target: str) -> str | None:
    try:
        import httpx2
    except ImportError:  # an SDK without httpx2: fall back to the generic message
        return None
    if isinstance(cause, httpx2.ConnectError):
        return f"cannot connect to {target} ({cause or 'connection refused'}); is the server running?"
    if isinstance(cause, httpx2.TimeoutException):
        return f"timed out talking to {target} ({type(cause).__name__})"
    if isinstance(cause, httpx2.HTTPError):
        return f"HTTP error from {target}: {_exception_text(cause)}"
    return None


def _exception_text(exc: Any) -> str:
    message = str(exc).strip()
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__
