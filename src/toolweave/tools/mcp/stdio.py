"""The subprocess side of a stdio MCP connection: launching it, its stderr and its exit.

The SDK's ``stdio_client`` runs the server and speaks to it; this keeps what the SDK does not
offer: the server's stderr (in a temporary file, not mixed into the user's terminal, so its last
lines can go into error messages), its exit code and a quick kill of an unresponsive server.
"""

from __future__ import annotations

import os
import re
import signal
import tempfile
from collections.abc import Mapping
from contextlib import AsyncExitStack
from typing import IO, Any

_STDERR_TAIL_BYTES = 8192


PASS_ENV = "TOOLWEAVE_MCP_PASS_ENV"  # comma-separated secrets a user hands every server
_SECRET = re.compile(r"KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|AUTH|COOKIE|SESSION",
                     re.IGNORECASE)


def server_environment(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment a stdio MCP server starts with: this process's, without the variables
    named like secrets (``OPENAI_API_KEY``, ``GITHUB_TOKEN``…) — a third-party server gets
    no key it was not given — except those listed in ``$TOOLWEAVE_MCP_PASS_ENV``."""
    environ = os.environ if environ is None else environ
    passed = {n.strip() for n in environ.get(PASS_ENV, "").split(",") if n.strip()}
    return {name: value for name, value in environ.items()
            if name in passed or not _SECRET.search(name)}


class StdioProcess:
    """One MCP server subprocess started with the SDK's ``stdio_client``."""

    def __init__(self, argv: list[str]) -> None:
        self.argv = argv
        self.process: Any = None
        self._stderr: IO[bytes] | None = None
        self._stderr_at_exit = b""

    async def open(self, stack: AsyncExitStack) -> tuple[Any, Any]:
        """Start the server; its stdio streams stay open until ``stack`` closes."""
        from mcp.client.stdio import StdioServerParameters, stdio_client

        # Closed by `close` when the connection ends, after its tail is kept for messages.
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115
        # The SDK passes only a handful of variables by default; servers expect the user's
        # environment (paths, proxies, locale) as a shell gives it — but not its secrets.
        params = StdioServerParameters(command=self.argv[0], args=self.argv[1:],
                                       env=server_environment())
        client = stdio_client(params, errlog=self._stderr)  # type: ignore[arg-type]
        streams = await stack.enter_async_context(client)
        self.process = _spawned_process(client)
        return streams

    @property
    def returncode(self) -> int | None:
        """The exit code once the process has ended (negative: killed by that signal)."""
        return None if self.process is None else self.process.returncode

    def stderr_bytes(self) -> bytes:
        """The last few KiB the server wrote to stderr."""
        if self._stderr is None:
            return self._stderr_at_exit
        # pread leaves the file offset alone: the child writes through the same open file.
        fd = self._stderr.fileno()
        size = os.fstat(fd).st_size
        start = max(0, size - _STDERR_TAIL_BYTES)
        return os.pread(fd, size - start, start)

    def kill(self) -> None:
        """SIGKILL the server and its children (used when it does not answer at start-up)."""
        process = self.process
        if process is None or process.returncode is not None:
            return
        try:
            # The SDK starts the server in a session of its own: kill its children too.
            if hasattr(os, "killpg") and os.getpgid(process.pid) == process.pid:
                os.killpg(process.pid, signal.SIGKILL)
            else:
                process.kill()
        except OSError:
            pass  # already gone

    def close(self) -> None:
        """Release the stderr file, keeping its tail for later messages."""
        if self._stderr is not None:
            self._stderr_at_exit = self.stderr_bytes()
            self._stderr.close()
            self._stderr = None


def _spawned_process(client: Any) -> Any:
    """The server's process, read from the suspended ``stdio_client`` generator.

    The SDK does not expose it, yet an exit code ("exited with code 3") and a quick kill
    after a start-up timeout both need it. If the SDK's internals change this returns None
    and the messages simply do without the exit code.
    """
    frame = getattr(getattr(client, "gen", None), "ag_frame", None)
    process = frame.f_locals.get("process") if frame is not None else None
    if hasattr(process, "returncode") and hasattr(process, "pid"):
        return process
    return None
