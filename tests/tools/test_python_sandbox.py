"""The python tool's sandbox (bubblewrap): escape attempts, limits, and the refusal without it.

Each escape attempt also runs unsandboxed, where it must succeed: that proves the attempt
really escapes (so its failure in the sandbox means something) and shows what the opt-in
"unsandboxed" mode leaves open. Tests needing a working bwrap skip, saying why, where it is
missing or cannot start (`make test` installs it where it can).
"""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from toolweave.tools.builtins import builtin_tools, make_python
from toolweave.tools.builtins.sandbox import Sandbox
from toolweave.types import ToolCall

PROBLEM = Sandbox().problem()
needs_sandbox = pytest.mark.skipif(PROBLEM is not None, reason=f"no sandbox here: {PROBLEM}")
MODES = [pytest.param("sandboxed", marks=needs_sandbox), "unsandboxed"]
SRC = Path(__file__).resolve().parents[2] / "src"


async def run(tool, code: str):
    return await tool.invoke(ToolCall(name=tool.name, arguments={"code": code}))


def python_tool(mode: str, **limits):
    return make_python(unsandboxed=mode == "unsandboxed", **limits)


def host_processes_with(marker: str) -> list[int]:
    """Pids on the host whose command line contains ``marker``."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
            except OSError:
                continue
            if marker.encode() in cmdline:
                found.append(int(entry))
    return found


def kill_all(pids: list[int]) -> None:
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


# --- escape attempts ----------------------------------------------------------------------------

READ_EVERY_ENVIRON = """
import os
found = set()
for pid in [str(os.getppid())] + os.listdir("/proc"):
    if pid.isdigit():
        try:
            data = open(f"/proc/{pid}/environ", "rb").read()
        except OSError:
            continue
        found |= {v.decode() for v in data.split(b"\\0") if v.startswith(b"TOOLWEAVE_SECRET=")}
print(sorted(found))
"""


@pytest.mark.parametrize("mode", MODES)
def test_parent_secrets_are_not_readable_through_proc(mode):
    # /proc/<pid>/environ shows a process's environment as it was exec'ed, so the secret must
    # be there at the agent process's start: run the tool in a fresh process holding it.
    secret = secrets.token_hex(8)
    script = textwrap.dedent(f"""
        import asyncio
        from toolweave.tools.builtins import make_python
        from toolweave.types import ToolCall
        tool = make_python(unsandboxed={mode == "unsandboxed"})
        call = ToolCall(name="python", arguments={{"code": {READ_EVERY_ENVIRON!r}}})
        obs = asyncio.run(tool.invoke(call))
        print(obs.ok, obs.content)
    """)
    env = {**os.environ, "TOOLWEAVE_SECRET": secret, "PYTHONPATH": str(SRC)}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("True"), done.stdout
    assert (secret in done.stdout) == (mode == "unsandboxed"), done.stdout


@pytest.mark.parametrize("mode", MODES)
async def test_host_processes_are_invisible(mode):
    marker = f"toolweave-host-{secrets.token_hex(6)}"
    host = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", marker])
    try:
        obs = await run(python_tool(mode), textwrap.dedent("""
            import os
            pids = [p for p in os.listdir("/proc") if p.isdigit()]
            lines = []
            for p in pids:
                try:
                    cmdline = open(f"/proc/{p}/cmdline", "rb").read().replace(b"\\0", b" ")
                except OSError:
                    continue
                if b"toolweave-host-" in cmdline:
                    lines.append(cmdline)
            print(len(pids))
            print(b"\\n".join(lines).decode(errors="replace"))
        """))
    finally:
        host.kill()
        host.wait()
    assert obs.ok, obs.content
    seen = int(obs.content.split("\n", 1)[0])
    if mode == "sandboxed":
        assert marker not in obs.content
        assert seen <= 3, obs.content  # bwrap's init, the launcher-turned-program, nothing else
    else:
        assert marker in obs.content


@pytest.mark.parametrize("mode", MODES)
async def test_no_network_even_to_loopback(mode):
    server = socket.create_server(("127.0.0.1", 0))
    server.setblocking(False)
    port = server.getsockname()[1]
    try:
        obs = await run(python_tool(mode), textwrap.dedent(f"""
            import socket
            try:
                socket.create_connection(("127.0.0.1", {port}), timeout=3).sendall(b"hi")
                print("connected")
            except OSError as exc:
                print("blocked:", exc)
        """))
        try:
            server.accept()[0].close()
            reached = True
        except BlockingIOError:
            reached = False
    finally:
        server.close()
    assert obs.ok, obs.content
    if mode == "sandboxed":
        assert obs.content.startswith("blocked") and not reached, obs.content
    else:
        assert obs.content.startswith("connected") and reached


@pytest.mark.parametrize("mode", MODES)
async def test_writes_outside_its_folder_do_not_reach_the_host(mode, tmp_path):
    target = tmp_path / "escaped.txt"
    obs = await run(python_tool(mode), textwrap.dedent(f"""
        import os
        try:
            os.makedirs({str(tmp_path)!r}, exist_ok=True)
            open({str(target)!r}, "w").write("out")
            print("wrote")
        except OSError as exc:
            print("refused:", exc)
    """))
    assert obs.ok, obs.content
    assert target.exists() == (mode == "unsandboxed")


@needs_sandbox
async def test_interpreter_and_system_folders_are_read_only():
    probe = Path(sys.prefix) / f"toolweave-escape-{secrets.token_hex(4)}"
    try:
        obs = await run(make_python(), textwrap.dedent(f"""
            for path in [{str(probe)!r}, "/usr/toolweave-escape", "/etc/toolweave-escape"]:
                try:
                    open(path, "w").write("x")
                    print("wrote", path)
                except OSError as exc:
                    print("refused", type(exc).__name__)
        """))
    finally:
        if probe.exists():
            probe.unlink()
    assert obs.ok and "wrote" not in obs.content and obs.content.count("refused") == 3


DAEMON = """
import os, sys
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:  # the classic double fork: a daemon in its own session
        null = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(null, fd)
        os.execv(sys.executable, [sys.executable, "-c", "import time; time.sleep(30)", "{marker}"])
    os._exit(0)
os.wait()
print("parent done")
"""


@pytest.mark.parametrize("mode", MODES)
async def test_daemonised_children_die_with_the_call(mode):
    marker = f"toolweave-daemon-{secrets.token_hex(6)}"
    obs = await run(python_tool(mode, timeout_s=10), DAEMON.format(marker=marker))
    # The daemon execs after the parent returns: give it time to show up if it survived.
    deadline = time.monotonic() + 1.5
    survivors: list[int] = []
    while time.monotonic() < deadline and not survivors:
        survivors = host_processes_with(marker)
        await asyncio.sleep(0.1)
    kill_all(survivors)
    assert obs.ok and obs.content == "parent done\n", obs.content
    assert bool(survivors) == (mode == "unsandboxed")


@needs_sandbox
async def test_a_cancelled_call_leaves_no_process_behind():
    marker = f"toolweave-cancel-{secrets.token_hex(6)}"
    code = DAEMON.format(marker=marker).replace('os.wait()', 'import time; time.sleep(30)')
    task = asyncio.create_task(run(make_python(timeout_s=30), code))
    for _ in range(50):  # until the daemon runs (inside the sandbox; visible from the host)
        await asyncio.sleep(0.1)
        if host_processes_with(marker):
            break
    assert host_processes_with(marker), "the daemon never started"
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await asyncio.sleep(0.2)
    survivors = host_processes_with(marker)
    kill_all(survivors)
    assert survivors == []


# --- limits ---------------------------------------------------------------------------------------

@needs_sandbox
async def test_a_fork_bomb_hits_the_process_limit_and_says_so():
    started = time.monotonic()
    obs = await run(make_python(timeout_s=10, sandbox=Sandbox(max_processes=16)),
                    "import os\nwhile True:\n    os.fork()")
    assert not obs.ok and obs.error == "PythonExecError"
    assert "process limit: at most 16 processes" in obs.content
    assert "BlockingIOError" in obs.content
    assert time.monotonic() - started < 10  # stopped by the limit, not by the timeout


@needs_sandbox
async def test_threads_count_towards_the_process_limit():
    obs = await run(make_python(sandbox=Sandbox(max_processes=8)), textwrap.dedent("""
        import threading, time
        threads = []
        try:
            for _ in range(50):
                t = threading.Thread(target=time.sleep, args=(2,), daemon=True)
                t.start()
                threads.append(t)
        except RuntimeError as exc:
            print("stopped at", len(threads), exc)
    """))
    assert obs.ok and obs.content.startswith("stopped at"), obs.content
    assert int(obs.content.split()[2]) < 8


@needs_sandbox
async def test_file_size_and_folder_size_are_limited():
    obs = await run(make_python(sandbox=Sandbox(max_file_mb=1, folder_mb=4)), textwrap.dedent("""
        try:
            open("big", "wb").write(b"x" * 2_000_000)
        except OSError as exc:
            print("file:", exc.strerror)
        written = 0
        try:
            for i in range(10):
                with open(f"part{i}", "wb") as f:
                    f.write(b"x" * 1_000_000)
                written += 1
        except OSError as exc:
            print("folder:", exc.strerror, written)
    """))
    assert obs.ok, obs.content
    assert "file: File too large" in obs.content
    assert "folder: No space left on device" in obs.content


# --- what still works -----------------------------------------------------------------------------

@needs_sandbox
async def test_ordinary_programs_work_in_the_sandbox():
    obs = await run(make_python(), textwrap.dedent("""
        import json, math, os, subprocess, sys, tempfile
        print(math.factorial(20), json.dumps({"a": [1, 2]}))
        with open("notes.txt", "w") as f:
            f.write("kept")
        print(open("notes.txt").read(), os.listdir("."), os.getcwd())
        with tempfile.NamedTemporaryFile("w", delete=False) as f:
            f.write("temp")
        print(open(f.name).read())
        child = subprocess.run([sys.executable, "-c", "print(6 * 7)"], capture_output=True,
                               text=True)
        print(child.stdout.strip())
        print(sorted(os.environ))
    """))
    assert obs.ok, obs.content
    lines = obs.content.splitlines()
    assert lines[0] == '2432902008176640000 {"a": [1, 2]}'
    assert lines[1] == "kept ['notes.txt'] /sandbox"
    assert lines[2:4] == ["temp", "42"]
    assert lines[4] == "['HOME', 'LANG', 'PATH', 'PWD', 'TMPDIR']"


@needs_sandbox
async def test_each_call_gets_a_fresh_folder():
    python = make_python()
    first = await run(python, "open('mine.txt', 'w').write('1'); print('ok')")
    second = await run(python, "import os; print(os.listdir('.'))")
    assert first.ok and second.ok and second.content == "[]\n"


# --- without a sandbox ----------------------------------------------------------------------------

async def test_missing_bwrap_is_refused_with_the_fix():
    obs = await run(make_python(sandbox=Sandbox(bwrap="/nonexistent/bwrap")), "print('ran')")
    assert not obs.ok and obs.error == "SandboxUnavailableError"
    assert "ran" not in obs.content.replace("runs", "")
    assert "/nonexistent/bwrap" in obs.content
    assert "apt-get install bubblewrap" in obs.content and "--python-unsandboxed" in obs.content


def fake_bwrap(tmp_path: Path, body: str) -> str:
    path = tmp_path / "bwrap"
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(0o755)
    return str(path)


@pytest.mark.parametrize("body, shown", [
    ('echo "bwrap: No permissions to create new namespace" >&2; exit 1',
     "No permissions to create new namespace"),
    ("exit 0", "bwrap exited without a message"),  # "succeeded" without running anything
])
async def test_a_sandbox_that_does_not_start_is_refused(tmp_path, body, shown):
    obs = await run(make_python(sandbox=Sandbox(bwrap=fake_bwrap(tmp_path, body))), "print(1)")
    assert not obs.ok and obs.error == "SandboxUnavailableError"
    assert "sandbox did not start" in obs.content and shown in obs.content
    assert "--python-unsandboxed" in obs.content


def test_problem_names_the_missing_binary(tmp_path):
    assert "/nonexistent/bwrap" in Sandbox(bwrap="/nonexistent/bwrap").problem()
    broken = Sandbox(bwrap=fake_bwrap(tmp_path, "echo 'bwrap: no userns' >&2; exit 1"))
    assert "no userns" in broken.problem()


async def test_unsandboxed_opt_in_runs_without_bwrap():
    python = make_python(unsandboxed=True, sandbox=Sandbox(bwrap="/nonexistent/bwrap"))
    obs = await run(python, "print('ran')")
    assert obs.ok and obs.content == "ran\n"
    assert "python" in builtin_tools(python_unsandboxed=True)


def test_cli_refuses_python_without_a_sandbox(tmp_path):
    # No bwrap on this PATH (the interpreter is called by its full path).
    env = {**os.environ, "PATH": str(tmp_path), "PYTHONPATH": str(SRC)}
    cli = [sys.executable, "-m", "toolweave", "tools", "list"]
    refused = subprocess.run([*cli, "--python"], env=env, capture_output=True, text=True,
                             timeout=120)
    assert refused.returncode == 1
    assert "bubblewrap" in refused.stderr and "Traceback" not in refused.stderr
    allowed = subprocess.run([*cli, "--python-unsandboxed"], env=env, capture_output=True,
                             text=True, timeout=120)
    assert allowed.returncode == 0, allowed.stderr
    assert "python" in allowed.stdout


@pytest.mark.parametrize("mode", MODES)
async def test_a_program_killed_by_a_signal_is_reported_so(mode):
    obs = await run(python_tool(mode), "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)")
    assert not obs.ok and obs.content.startswith("PythonExecError: killed by SIGKILL")


@needs_sandbox
@pytest.mark.parametrize("code", [
    "def f():\n    1/0\nf()",
    "1/",
    "import sys; sys.exit('bye')",
    "try:\n    1/0\nexcept Exception as e:\n    raise ValueError('x') from e",
    "print(sorted(globals()), __name__)\nimport sys; print(sys.argv)",
    "import pickle\ndef g(): pass\nprint(len(pickle.dumps(g)))",
])
async def test_programs_read_as_under_python_c(code):
    # The sandbox's launcher runs the program in its own interpreter: no trace of it may show.
    inside = await run(make_python(), code)
    plain = await run(make_python(unsandboxed=True), code)
    assert (inside.ok, inside.content) == (plain.ok, plain.content)


@needs_sandbox
async def test_the_program_has_no_privileges():
    obs = await run(make_python(), textwrap.dedent("""
        import os
        status = dict(line.split(":", 1) for line in open("/proc/self/status"))
        print(os.getuid(), status["CapEff"].strip(), status["CapPrm"].strip(),
              status["NoNewPrivs"].strip())
    """))
    uid, effective, permitted, no_new_privs = obs.content.split()
    assert int(effective, 16) == 0 and int(permitted, 16) == 0 and no_new_privs == "1"
    assert uid != "0"
