"""`McpServer`: one connection to one MCP server, over stdio or streamable HTTP.

Each connection lives in a background task of its own. The SDK runs anyio task groups whose
scopes must be entered and exited in one task, and a transport failure (an HTTP server that
goes away, say) cancels the task that hosts them: kept in a private task, that cancellation
ends the connection, not the caller's agent run. A dead server then shows up as a failed
observation on the next call, and ``McpServer`` can be entered and exited from different tasks.
The ``mcp`` SDK is imported on first use only, so ``import toolweave`` stays fast.
"""

from __future__ import annotations

import asyncio
import shlex
from contextlib import AsyncExitStack
from typing import Any, Self

from toolweave.tools._output import DEFAULT_MAX_OUTPUT_CHARS
from toolweave.tools.mcp.failures import (
    McpError,
    McpTimeoutError,
    McpToolError,
    describe_exit,
    describe_failure,
    one_line_tail,
    root_cause,
)
from toolweave.tools.mcp.names import is_http, sanitize, server_name, tool_names
from toolweave.tools.mcp.results import result_text
from toolweave.tools.mcp.stdio import StdioProcess
from toolweave.tools.registry import ToolRegistry
from toolweave.tools.tool import Tool
from toolweave.types import ToolSpec

# Time the SDK may need to wind a connection down (close stdin, wait 2 s, SIGTERM, wait 2 s,
# SIGKILL); only used as a backstop on top of the start-up timeout.
_SHUTDOWN_GRACE_S = 10.0
# How long a call that lost its connection waits for the process to be reaped or the transport
# to report its failure, so that the error can say what happened ("exited with code 3").
_SETTLE_S = 1.0
# The SDK's per-request timeout runs this much longer than the Tool's, so that through
# `Tool.invoke` a slow call always reads ``error="timeout"`` like any other tool's.
_BACKSTOP_S = 1.0
# Marks "use call_timeout_s" in `McpServer.call_tool`, where None already means "no limit".
_CALL_TIMEOUT: Any = object()


class _StartupTimeout(Exception):
    """The server did not finish initialize + tools/list within ``startup_timeout_s``."""


class McpServer:
    """One connection to one MCP server, used as ``async with McpServer(target) as server``.

    ``target`` is a command line (``"uvx mcp-server-fetch"``, split like a shell would and run
    with this process's environment less its secrets: `stdio.server_environment`) or a streamable-HTTP endpoint (``"http://host:port/mcp"``).
    Entering connects, initializes and lists the tools, all within ``startup_timeout_s``;
    any failure raises `McpError` with one line saying what went wrong. Exiting closes the
    connection and stops a subprocess (stdin closed, then SIGTERM, then SIGKILL).

    A subprocess's stderr is kept in a temporary file rather than mixed into the terminal; its
    last lines appear in error messages and `stderr_tail` returns them.
    """

    def __init__(
        self,
        target: str,
        *,
        name: str | None = None,
        startup_timeout_s: float = 20.0,
        call_timeout_s: float | None = 60.0,
        max_output_chars: int | None = DEFAULT_MAX_OUTPUT_CHARS,
    ) -> None:
        """
        Args:
            target: a command line (stdio) or an ``http://`` / ``https://`` URL.
            name: the server's name in messages and tool-name prefixes; defaults to the URL's
                host or the command's (or, for launchers like python/npx/uvx, the script's)
                base name.
            startup_timeout_s: seconds for connecting, ``initialize`` and ``tools/list``.
            call_timeout_s: seconds one tool call may take; None for no limit.
            max_output_chars: the output cap of each tool (see `Tool`).
        """
        self.target = target.strip()
        if not self.target:
            raise McpError("MCP server target is empty: pass a command line or an http(s) URL")
        self.name = name or server_name(self.target)
        self.startup_timeout_s = startup_timeout_s
        self.call_timeout_s = call_timeout_s
        self.max_output_chars = max_output_chars
        self._argv: list[str] = []
        if not is_http(self.target):
            try:
                self._argv = shlex.split(self.target)
            except ValueError as exc:
                raise McpError(f"cannot parse MCP server command {self.target!r}: {exc}") from None
        self._stdio = StdioProcess(self._argv) if self._argv else None
        self._runner: asyncio.Task[None] | None = None
        self._ready: asyncio.Future[None] | None = None
        self._closing = asyncio.Event()
        self._stop_scope: Any = None
        self._session: Any = None
        self._phase = "start"
        self._failure: BaseException | None = None
        self._dead: str | None = None
        self._tools: list[Tool] = []

    def __repr__(self) -> str:
        return f"McpServer(name={self.name!r}, target={self.target!r})"

    @property
    def connected(self) -> bool:
        """Whether the connection is up (entered, started and not closed or lost)."""
        return (self._session is not None and self._dead is None
                and self._runner is not None and not self._runner.done())

    async def __aenter__(self) -> Self:
        if self._runner is not None:
            raise McpError(f"MCP server {self.name!r} was already entered; connect a new McpServer")
        self._ready = asyncio.get_running_loop().create_future()
        self._runner = asyncio.create_task(self._run(), name=f"mcp server {self.name}")
        try:
            await asyncio.wait({self._ready, self._runner}, return_when=asyncio.FIRST_COMPLETED,
                               timeout=self.startup_timeout_s + _SHUTDOWN_GRACE_S)
        except asyncio.CancelledError:
            self._hurry()
            raise
        if self._ready.done():
            return self
        if not self._runner.done():  # the runner's own deadline failed to end it; end it now
            self._failure = _StartupTimeout()
            self._hurry()
            await asyncio.wait({self._runner}, timeout=_SHUTDOWN_GRACE_S)
        raise McpError(self._startup_message()) from None

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection and stop the subprocess; safe to call more than once."""
        if self._runner is None:
            return
        self._dead = self._dead or f"MCP server {self.name!r} was closed"
        self._closing.set()
        try:
            await asyncio.shield(self._runner)
        except asyncio.CancelledError:
            self._hurry()  # still bounded: the SDK's own shutdown is shielded and timed
            raise

    def tools(self) -> list[Tool]:
        """One `Tool` per MCP tool, in the server's order, with names made valid and unique.

        A name like ``math.mul`` becomes ``math_mul``; calls still reach ``math.mul``.
        """
        if self._session is None and not self._tools:
            raise McpError(f"MCP server {self.name!r} is not connected: use "
                           "`async with McpServer(...)` before asking for its tools")
        return list(self._tools)

    def registry(self) -> ToolRegistry:
        """A new `ToolRegistry` holding this server's tools."""
        return ToolRegistry(self.tools())

    def stderr_tail(self, lines: int = 20) -> str:
        """The last ``lines`` lines the server process wrote to stderr ("" for HTTP servers)."""
        text = self._stderr_bytes().decode("utf-8", errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    async def call_tool(self, name: str, arguments: dict[str, Any] | None = None, *,
                        timeout_s: float | None = _CALL_TIMEOUT) -> str:
        """Call the tool whose MCP name is ``name`` and return its content as text.

        Raises `McpToolError` when the tool reports failure, `McpTimeoutError` after
        ``timeout_s`` (default: ``call_timeout_s``) and `McpError` when the server is gone.
        """
        from mcp.shared.exceptions import MCPError
        from mcp_types import CONNECTION_CLOSED, REQUEST_TIMEOUT

        session = self._live_session()
        timeout = self.call_timeout_s if timeout_s is _CALL_TIMEOUT else timeout_s
        try:
            result = await session.call_tool(name, arguments or {}, read_timeout_seconds=timeout)
        except MCPError as exc:
            if exc.code == REQUEST_TIMEOUT:
                raise McpTimeoutError(f"MCP server {self.name!r}: tool {name!r} got no answer "
                                      f"within {timeout:g} s") from None
            if exc.code == CONNECTION_CLOSED:
                raise McpError(await self._connection_lost(exc.message)) from None
            raise McpError(f"MCP server {self.name!r} rejected the call to {name!r}: "
                           f"{exc.message}") from None
        except McpError:
            raise
        except Exception as exc:  # noqa: BLE001 - a bad result or a transport fault
            raise McpError(f"MCP server {self.name!r}: call to {name!r} failed: "
                           f"{type(exc).__name__}: {exc}") from None
        if result.is_error:
            raise McpToolError(result_text(result) or f"tool {name!r} failed and gave no reason")
        return result_text(result)

    # -- the connection's own task ---------------------------------------------------------

    async def _run(self) -> None:
        import anyio
        from mcp.client.session import ClientSession
        from mcp_types import Implementation

        info = Implementation(name="toolweave", version="0.1.0")
        try:
            with anyio.CancelScope() as self._stop_scope:
                async with AsyncExitStack() as stack:
                    read, write = await self._open_transport(stack)
                    session = await stack.enter_async_context(
                        ClientSession(read, write, client_info=info))
                    # Innermost scope, so it can end before the stack's task groups do.
                    with anyio.move_on_after(self.startup_timeout_s) as deadline:
                        self._phase = "initialize"
                        await session.initialize()
                        self._phase = "tools/list"
                        listed = await _list_tools(session)
                    if deadline.cancelled_caught:
                        # A server that does not answer will not read its closed stdin
                        # either; killing it now spares the SDK's 2 s grace period.
                        if self._stdio is not None:
                            self._stdio.kill()
                        raise _StartupTimeout()
                    self._tools = self._make_tools(listed)
                    self._session = session
                    self._phase = "running"
                    assert self._ready is not None
                    self._ready.set_result(None)
                    await self._closing.wait()
        except BaseException as exc:  # noqa: BLE001 - kept for the error messages
            self._failure = exc
        finally:
            if self._stdio is not None:
                self._stdio.close()

    async def _open_transport(self, stack: AsyncExitStack) -> tuple[Any, Any]:
        if is_http(self.target):
            from mcp.client.streamable_http import streamable_http_client

            self._phase = "connect"
            return await stack.enter_async_context(streamable_http_client(self.target))
        if self._stdio is None:
            raise McpError(f"MCP server command {self.target!r} is empty")
        self._phase = "spawn"
        return await self._stdio.open(stack)

    def _make_tools(self, listed: list[Any]) -> list[Tool]:
        by_name = {t.name: t for t in listed}
        tools = []
        for name, original in tool_names(by_name).items():
            mcp_tool = by_name[original]
            parameters = dict(mcp_tool.input_schema or {})
            parameters.setdefault("type", "object")
            spec = ToolSpec(name=name, description=mcp_tool.description or mcp_tool.title or "",
                            parameters=parameters)
            tools.append(Tool.from_callable(spec, self._caller(original),
                                            timeout_s=self.call_timeout_s,
                                            max_output_chars=self.max_output_chars))
        return tools

    def _caller(self, mcp_name: str) -> Any:
        backstop = None if self.call_timeout_s is None else self.call_timeout_s + _BACKSTOP_S

        async def call(arguments: dict[str, Any]) -> str:
            return await self.call_tool(mcp_name, arguments, timeout_s=backstop)

        call.__name__ = sanitize(mcp_name)
        return call

    # -- failures ---------------------------------------------------------------------------

    def _live_session(self) -> Any:
        if self._dead is not None:
            raise McpError(self._dead)
        if self._runner is None:
            raise McpError(f"MCP server {self.name!r} is not connected: use "
                           "`async with McpServer(...)` first")
        if self._session is None or self._runner.done():
            self._dead = (f"MCP server {self.name!r} is not running any more "
                          f"({self._exit_reason() or 'closed'})")
            raise McpError(self._dead)
        return self._session

    async def _connection_lost(self, detail: str) -> str:
        """Why a call found its connection closed; remembered when the server is gone."""
        # The pipe closes a moment before the process is reaped, and an HTTP transport
        # reports its failure a moment after the call hears of it: wait for either.
        deadline = asyncio.get_running_loop().time() + _SETTLE_S
        while self._exit_reason() is None and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.02)
        reason = self._exit_reason()
        if reason is None and is_http(self.target):
            # HTTP: this call's stream broke, but the server may well be up.
            return f"MCP server {self.name!r} dropped the call ({detail})"
        tail = one_line_tail(self._stderr_bytes())
        self._dead = (f"MCP server {self.name!r} is not running any more ({reason or detail})"
                      + (f"; its stderr ends with: {tail}" if tail else ""))
        return self._dead

    def _exit_reason(self) -> str | None:
        if self._stdio is not None and self._stdio.returncode is not None:
            return describe_exit(self._stdio.returncode)
        if self._runner is not None and self._runner.done() and self._failure is not None:
            return describe_failure(self._failure, self.target, self._argv)
        return None

    def _startup_message(self) -> str:
        failure = root_cause(self._failure)
        prefix = f"MCP server {self.name!r}"
        if isinstance(failure, McpError):
            return str(failure)
        if isinstance(failure, _StartupTimeout):
            what = (f"timed out after {self.startup_timeout_s:g} s during start-up "
                    f"(no answer to {self._phase})")
        elif self._stdio is not None and self._stdio.returncode is not None:
            what = f"{describe_exit(self._stdio.returncode)} during start-up"
        else:
            what = describe_failure(failure, self.target, self._argv, phase=self._phase)
        tail = one_line_tail(self._stderr_bytes())
        return f"{prefix} {what}" + (f"; its stderr ends with: {tail}" if tail else "")

    def _stderr_bytes(self) -> bytes:
        return b"" if self._stdio is None else self._stdio.stderr_bytes()

    def _hurry(self) -> None:
        """End the connection task at once (cancelled start-up or close)."""
        self._closing.set()
        if self._stdio is not None and not (self._ready and self._ready.done()):
            self._stdio.kill()  # a server still starting has nothing to flush or save
        if self._stop_scope is not None:
            self._stop_scope.cancel()
        elif self._runner is not None:
            self._runner.cancel()


async def _list_tools(session: Any) -> list[Any]:
    from mcp_types import PaginatedRequestParams

    # Follow the cursor, but never forever: a server whose cursor loops is a broken server.
    result = await session.list_tools()
    tools = list(result.tools)
    for _ in range(1000):
        if not result.next_cursor:
            return tools
        result = await session.list_tools(params=PaginatedRequestParams(cursor=result.next_cursor))
        tools.extend(result.tools)
    return tools

