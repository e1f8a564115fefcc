"""MCP client tests against real MCP servers (tests/tools/mcp_servers), over stdio and HTTP."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from mcp_types import (
    BlobResourceContents,
    CallToolResult,
    EmbeddedResource,
    ImageContent,
    TextContent,
    TextResourceContents,
)

from toolweave.tools.mcp import McpError, McpServer, McpToolError, connect_mcp
from toolweave.tools.mcp.names import server_name, tool_names
from toolweave.tools.mcp.results import result_text
from toolweave.types import ToolCall

SERVERS = Path(__file__).parent / "mcp_servers"
DEMO = f"{sys.executable} {SERVERS / 'demo_server.py'}"
NOTES = f"{sys.executable} {SERVERS / 'notes_server.py'}"
LIMIT_S = 20  # no test may hang: each one's MCP work is bounded by this


def bounded(coro):
    return asyncio.wait_for(coro, LIMIT_S)


def call(name: str, **arguments) -> ToolCall:
    return ToolCall(name=name, arguments=arguments)


# -- processes ---------------------------------------------------------------------------------


def _children() -> set[int]:
    """PIDs of this process's live (not zombie) children, from /proc."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z" and int(fields[1]) == os.getpid():
            found.add(int(entry.name))
    return found


@pytest.fixture(autouse=True)
def no_leftover_processes(request):
    """Every server a test starts through McpServer is gone when the test ends."""
    if not Path("/proc/self/stat").exists():
        yield
        return
    before = _children()
    yield
    deadline = time.monotonic() + 5
    while (left := _children() - before) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not left, f"server processes left running: {left}"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_http_server() -> tuple[subprocess.Popen, str]:
    port = _free_port()
    proc = subprocess.Popen([sys.executable, str(SERVERS / "demo_server.py"), "--http", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"demo_server.py --http exited with code {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc, f"http://127.0.0.1:{port}/mcp"
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError("demo_server.py --http did not start listening within 20 s")


def _stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.fixture(scope="module")
def http_url():
    proc, url = _start_http_server()
    yield url
    _stop(proc)


@pytest.fixture
def own_http_server():
    """An HTTP server for one test (for tests that kill it)."""
    proc, url = _start_http_server()
    yield url
    _stop(proc)


# -- stdio -------------------------------------------------------------------------------------


async def test_stdio_lists_tools_with_their_schemas():
    async with McpServer(DEMO) as server:
        tools = server.tools()
    assert server.name == "demo_server"
    assert [t.name for t in tools] == ["add", "echo", "slow", "fail", "crash", "big", "math_mul"]
    add = tools[0].spec
    assert add.description == "Add two integers."
    assert add.parameters["type"] == "object"
    assert add.parameters["required"] == ["a", "b"]
    assert {k: v["type"] for k, v in add.parameters["properties"].items()} == {
        "a": "integer", "b": "integer"}
    assert tools[-1].spec.description.startswith("Multiply two numbers")


async def test_stdio_calls_return_observations_and_map_sanitized_names_back():
    async def run():
        async with McpServer(DEMO) as server:
            registry = server.registry()
            return await registry.invoke_all([
                call("add", a=2, b=40), call("echo", text="héllo\nworld"),
                call("math_mul", a=1.5, b=4), call("add", a=1, b=1),
            ])

    add, echo, mul, add2 = await bounded(run())
    assert (add.ok, add.content, add.tool) == (True, "42", "add")
    assert echo.content == "héllo\nworld"
    assert (mul.ok, mul.content, mul.tool) == (True, "6.0", "math_mul")
    assert add2.content == "2"


async def test_tool_error_becomes_failed_observation_with_its_message():
    async def run():
        async with McpServer(DEMO) as server:
            return await server.registry().invoke(call("fail", message="the disk is on fire"))

    obs = await bounded(run())
    assert not obs.ok
    assert obs.error == "McpToolError"
    assert "the disk is on fire" in obs.content


async def test_server_side_argument_errors_come_back_as_failed_observations():
    async def run():
        async with McpServer(DEMO) as server:
            return await server.registry().invoke(call("add", a="not a number", b=1))

    obs = await bounded(run())
    assert not obs.ok and obs.error == "McpToolError"


async def test_slow_call_times_out_quickly_and_the_server_stays_usable():
    async def run():
        async with McpServer(DEMO, call_timeout_s=0.5) as server:
            registry = server.registry()
            started = time.monotonic()
            slow = await registry.invoke(call("slow", seconds=5))
            elapsed = time.monotonic() - started
            after = await registry.invoke(call("add", a=1, b=2))
            return slow, elapsed, after

    slow, elapsed, after = await bounded(run())
    assert not slow.ok and slow.error == "timeout"
    assert "timed out after 0.5 s" in slow.content
    assert elapsed < 3
    assert after.ok and after.content == "3"


async def test_direct_call_tool_raises_a_clear_timeout():
    from toolweave.tools.mcp import McpTimeoutError

    async def run():
        async with McpServer(DEMO, call_timeout_s=0.3) as server:
            with pytest.raises(McpTimeoutError, match="'slow' got no answer within 0.3 s"):
                await server.call_tool("slow", {"seconds": 5})
            with pytest.raises(McpToolError, match="nope"):
                await server.call_tool("fail", {"message": "nope"})
            return await server.call_tool("math.mul", {"a": 2, "b": 3})

    assert await bounded(run()) == "6.0"


async def test_big_output_is_capped_by_the_tool():
    async def run():
        async with McpServer(DEMO, max_output_chars=1000, call_timeout_s=30) as server:
            return await server.registry().invoke(call("big", n=10_000_000))

    obs = await bounded(run())
    assert obs.ok
    assert obs.truncated_chars == 10_000_000 - 1000
    assert obs.content.startswith("x" * 1000) and len(obs.content) < 1100


async def test_crash_mid_call_fails_clearly_and_later_calls_too():
    async def run():
        async with McpServer(DEMO) as server:
            registry = server.registry()
            crashed = await registry.invoke(call("crash"))
            started = time.monotonic()
            later = await registry.invoke(call("add", a=1, b=2))
            return crashed, later, time.monotonic() - started, server.connected

    crashed, later, later_s, connected = await bounded(run())
    assert not crashed.ok and crashed.error == "McpError"
    assert "MCP server 'demo_server' is not running any more (exited with code 3)" in crashed.content
    assert not later.ok and "not running any more" in later.content
    assert later_s < 1
    assert not connected


async def test_a_crash_fails_the_calls_in_flight_too():
    async def run():
        async with McpServer(DEMO) as server:
            return await server.registry().invoke_all([call("slow", seconds=15), call("crash")])

    slow, crashed = await bounded(run())
    assert not slow.ok and "not running any more" in slow.content
    assert not crashed.ok and "not running any more" in crashed.content


async def test_cancelled_start_up_leaves_no_process():
    server = McpServer(f"{sys.executable} -c \"import time; time.sleep(60)\"")
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(server.__aenter__(), 0.5)
    # no_leftover_processes checks that the half-started server was stopped


async def test_calls_after_close_fail_clearly():
    async with McpServer(DEMO) as server:
        add = server.tools()[0]
    obs = await add.invoke(call("add", a=1, b=2))
    assert not obs.ok and "MCP server 'demo_server' was closed" in obs.content


async def test_tools_before_connecting_is_an_error():
    with pytest.raises(McpError, match="not connected"):
        McpServer(DEMO).tools()


async def test_enter_and_exit_may_happen_in_different_tasks():
    server = McpServer(DEMO)
    await bounded(asyncio.create_task(server.__aenter__()))
    assert (await server.call_tool("add", {"a": 2, "b": 2})) == "4"
    await bounded(asyncio.create_task(server.aclose()))
    assert not server.connected


# -- start-up failures -------------------------------------------------------------------------


async def test_missing_command_is_reported_by_name():
    with pytest.raises(McpError) as info:
        await bounded(McpServer("no-such-mcp-server-xyz --flag").__aenter__())
    assert str(info.value) == ("MCP server 'no-such-mcp-server-xyz' could not start: "
                               "command 'no-such-mcp-server-xyz' not found")
    assert info.value.__suppress_context__  # no traceback soup behind the one line


async def test_command_that_exits_at_once_reports_its_code_and_stderr():
    target = (f"{sys.executable} -c \"import sys; print('config file missing', file=sys.stderr);"
              " sys.exit(2)\"")
    with pytest.raises(McpError) as info:
        await bounded(McpServer(target, startup_timeout_s=5).__aenter__())
    message = str(info.value)
    assert "exited with code 2 during start-up" in message
    assert "config file missing" in message
    assert "\n" not in message


async def test_http_with_nothing_listening_fails_fast():
    url = f"http://127.0.0.1:{_free_port()}/mcp"
    started = time.monotonic()
    with pytest.raises(McpError, match="cannot connect to http://127.0.0.1:"):
        await bounded(McpServer(url, startup_timeout_s=3).__aenter__())
    assert time.monotonic() - started < 3


async def test_server_that_never_answers_times_out():
    started = time.monotonic()
    with pytest.raises(McpError, match=r"timed out after 2 s during start-up \(no answer to "
                                       r"initialize\)"):
        await bounded(McpServer(f"{sys.executable} -c \"import time; time.sleep(60)\"",
                                startup_timeout_s=2).__aenter__())
    # The unresponsive process is killed at once instead of waiting out a grace period.
    assert time.monotonic() - started < 4


async def test_bad_targets_are_rejected_at_construction():
    with pytest.raises(McpError, match="empty"):
        McpServer("  ")
    with pytest.raises(McpError, match="cannot parse"):
        McpServer('python "unclosed')


# -- streamable HTTP ---------------------------------------------------------------------------


async def test_http_lists_and_calls_tools(http_url):
    async def run():
        async with McpServer(http_url) as server:
            registry = server.registry()
            observations = await registry.invoke_all(
                [call("add", a=3, b=4), call("math_mul", a=2, b=5), call("fail", message="no")])
            return server.name, registry.names(), observations

    name, names, (add, mul, fail) = await bounded(run())
    assert name == "127.0.0.1"
    assert names == ["add", "echo", "slow", "fail", "crash", "big", "math_mul"]
    assert add.content == "7" and mul.content == "10.0"
    assert not fail.ok and fail.error == "McpToolError" and "no" in fail.content


async def test_http_timeout(http_url):
    async def run():
        async with McpServer(http_url, call_timeout_s=0.5) as server:
            registry = server.registry()
            return (await registry.invoke(call("slow", seconds=5)),
                    await registry.invoke(call("echo", text="still here")))

    slow, echo = await bounded(run())
    assert slow.error == "timeout"
    assert echo.ok and echo.content == "still here"


async def test_http_server_dying_fails_calls_without_cancelling_the_caller(own_http_server):
    async def run():
        async with McpServer(own_http_server) as server:
            registry = server.registry()
            crashed = await registry.invoke(call("crash"))
            later = await registry.invoke(call("add", a=1, b=2))
            # The transport's failure must not have cancelled this task.
            await asyncio.sleep(0.05)
            again = await registry.invoke(call("add", a=1, b=2))
            return crashed, later, again

    crashed, later, again = await bounded(run())
    assert not crashed.ok and crashed.error == "McpError"
    assert not later.ok and "MCP server '127.0.0.1' is not running any more" in later.content
    assert not again.ok and again.content == later.content


# -- several servers ---------------------------------------------------------------------------


async def test_connect_mcp_merges_tools_and_prefixes_clashing_names(http_url):
    async def run():
        async with connect_mcp([DEMO, NOTES], startup_timeout_s=20) as registry:
            names = registry.names()
            observations = await registry.invoke_all([
                call("demo_server_echo", text="a"), call("notes_server_echo", text="b"),
                call("count_words", text="one two three"), call("add", a=1, b=1)])
            return names, observations

    names, (echo_demo, echo_notes, count, add) = await bounded(run())
    assert names == ["add", "demo_server_echo", "slow", "fail", "crash", "big", "math_mul",
                     "notes_server_echo", "count_words"]
    assert echo_demo.content == "a" and echo_notes.content == "notes: b"
    assert count.content == "3" and add.content == "2"


async def test_connect_mcp_same_server_twice_gets_distinct_prefixes():
    async with connect_mcp([NOTES, NOTES]) as registry:
        assert registry.names() == ["notes_server_echo", "notes_server_count_words",
                                    "notes_server_2_echo", "notes_server_2_count_words"]
        assert (await registry.invoke(call("notes_server_2_echo", text="x"))).content == "notes: x"


async def test_connect_mcp_closes_the_others_when_one_fails():
    with pytest.raises(McpError, match="could not start: command 'no-such-mcp-server-xyz'"):
        async with connect_mcp([DEMO, "no-such-mcp-server-xyz", NOTES]):
            pytest.fail("should not get here")
    # no_leftover_processes checks that DEMO and NOTES were stopped


# -- pure helpers ------------------------------------------------------------------------------


def test_tool_names_are_sanitized_and_unique():
    long = "a." * 50
    mapping = tool_names(["math.mul", "math_mul", "fs/read file", long, "ok-name"])
    assert list(mapping) == ["math_mul", "math_mul_2", "fs_read_file", ("a_" * 32), "ok-name"]
    assert mapping["math_mul"] == "math.mul" and mapping["math_mul_2"] == "math_mul"
    assert all(len(name) <= 64 for name in mapping)


@pytest.mark.parametrize("target, name", [
    ("http://localhost:8000/mcp", "localhost"),
    ("https://tools.example.com/mcp", "tools.example.com"),
    ("uvx mcp-server-fetch", "mcp-server-fetch"),
    ("npx -y @modelcontextprotocol/server-filesystem /tmp", "server-filesystem"),
    ("/usr/bin/python3.11 servers/files.py --root /tmp", "files"),
    ("python -c 'print(1)'", "python"),
    ("uv run weather.py", "weather"),
    ("/opt/bin/my-server --port 3", "my-server"),
])
def test_server_names(target, name):
    assert server_name(target) == name


def test_result_text_renders_every_content_kind():
    result = CallToolResult(content=[
        TextContent(text="hello"),
        ImageContent(data="aGVsbG8=", mime_type="image/png"),
        EmbeddedResource(resource=TextResourceContents(uri="file:///a.txt", text="inside")),
        EmbeddedResource(resource=BlobResourceContents(uri="file:///b.bin", blob="AAAA",
                                                       mime_type="application/octet-stream")),
    ])
    assert result_text(result) == ("hello\n[image: image/png, 5 bytes]\ninside\n"
                                   "[resource: file:///b.bin, application/octet-stream, 3 bytes]")
    structured = CallToolResult(content=[], structured_content={"a": [1, 2], "b": "é"})
    assert result_text(structured) == '{"a":[1,2],"b":"é"}'


async def test_a_stdio_server_gets_the_environment_without_its_secrets(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-not-for-servers")
    monkeypatch.setenv("GITHUB_TOKEN", "ghp-given")
    monkeypatch.setenv("TOOLWEAVE_MCP_PASS_ENV", "GITHUB_TOKEN")
    monkeypatch.setenv("SOME_SETTING", "kept")
    async def run():
        async with McpServer(f"{sys.executable} {SERVERS / 'env_server.py'}") as server:
            return await server.registry().invoke_all([call("env_names")])

    [obs] = await bounded(run())
    names = set(obs.content.split(","))
    assert "OPENAI_API_KEY" not in names
    assert {"GITHUB_TOKEN", "SOME_SETTING", "PATH"} <= names
