"""A python tool: run a short program in a separate interpreter, sandboxed by bubblewrap.

Sandboxed (the default; see sandbox.py): no network, no view of other processes or of the
parent's environment, a private temporary working folder, the rest of the file system
read-only and limited to what the interpreter needs, limits on CPU time, address space, file
size and process count, and every process it starts killed with the call. Where bubblewrap is
missing or cannot start, the tool refuses to run code and says how to fix that.

Unsandboxed (only when asked for, ``make_python(unsandboxed=True)``): a plain subprocess with
the wall-clock, CPU-time and address-space limits, a fresh temporary folder, an environment of
PATH only and isolated mode (``-I``). That keeps a runaway loop or a memory hog from hurting
the agent but is NOT a security boundary: the code can read the user's files (and other
processes' environments), use the network and leave processes behind.
"""

from __future__ import annotations

import asyncio
import os
import resource
import signal
import sys
import tempfile
from collections.abc import Callable
from typing import Annotated

from pydantic import Field

from toolweave.tools.builtins.sandbox import Sandbox, SandboxRun, did_not_start
from toolweave.tools.errors import PythonExecError
from toolweave.tools.tool import Tool, tool

_READ_CHUNK = 65536


def _limits(memory_mb: int, cpu_s: int) -> Callable[[], None]:
    memory = memory_mb * 1024 * 1024

    def apply() -> None:  # runs in the child between fork and exec: keep it to syscalls
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_s, cpu_s + 1))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    return apply


async def run_python(code: str, *, timeout_s: float = 10, memory_mb: int = 256,
                     max_output_bytes: int = 64_000,
                     sandbox: Sandbox | None = None) -> tuple[int, str]:
    """Run ``code``; return (exit code, stdout and stderr interleaved, capped).

    ``sandbox`` None runs it unsandboxed (see the module docstring). Raises TimeoutError when
    it runs past ``timeout_s`` (everything it started is killed), and SandboxUnavailableError
    when the sandbox is missing or did not start (nothing ran).
    """
    if sandbox is None:
        return await _run_unsandboxed(code, timeout_s, memory_mb, max_output_bytes)
    channels = SandboxRun()
    try:
        command = sandbox.command(code, ready_fd=channels.ready_fd, info_fd=channels.info_fd,
                                  memory_mb=memory_mb, cpu_s=int(timeout_s) + 1)
        try:
            # bwrap gets an empty environment: its own is readable in the sandbox's /proc.
            returncode, output = await _supervise(
                command, timeout_s, max_output_bytes, spawned=channels.spawned, env={},
                pass_fds=channels.child_fds())
        finally:
            await channels.wait_gone()
        if not channels.started():
            raise did_not_start(output)
        return returncode, output
    finally:
        channels.close()


async def _run_unsandboxed(code: str, timeout_s: float, memory_mb: int,
                           max_output_bytes: int) -> tuple[int, str]:
    with tempfile.TemporaryDirectory(prefix="toolweave-py-") as workdir:
        return await _supervise(
            # -u: unbuffered, so prints and tracebacks arrive in the order they happened.
            [sys.executable, "-I", "-u", "-c", code], timeout_s, max_output_bytes,
            cwd=workdir, env={"PATH": os.environ.get("PATH", "/usr/bin:/bin")},
            preexec_fn=_limits(memory_mb, int(timeout_s) + 1))


async def _supervise(command: list[str], timeout_s: float, max_output_bytes: int,
                     spawned: Callable[[int], None] | None = None,
                     **popen) -> tuple[int, str]:
    """Run ``command`` in its own process group, capped in output and wall time;
    ``spawned(pid)`` is called as soon as it runs."""
    proc = await asyncio.create_subprocess_exec(
        *command, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        start_new_session=True,  # its own process group, so children die with it
        **popen)
    if spawned is not None:
        spawned(proc.pid)
    try:
        output = await asyncio.wait_for(_read_capped(proc, max_output_bytes), timeout_s)
    except TimeoutError:
        raise TimeoutError(
            f"the code ran longer than {timeout_s:g} s and was stopped"
        ) from None
    finally:
        # Also reached on cancellation: never leave the child running.
        if proc.returncode is None:
            _kill_group(proc.pid)
            await proc.wait()
    assert proc.returncode is not None
    return proc.returncode, output


async def _read_capped(proc: asyncio.subprocess.Process, limit: int) -> str:
    # Keep reading past the cap (and drop it) so a chatty program cannot fill our memory
    # nor block on a full pipe.
    assert proc.stdout is not None
    kept, dropped = bytearray(), 0
    while chunk := await proc.stdout.read(_READ_CHUNK):
        room = limit - len(kept)
        kept += chunk[:room]
        dropped += max(0, len(chunk) - room)
    await proc.wait()
    text = kept.decode("utf-8", errors="replace")
    return text + (f"\n… [output cut: {dropped:,} more bytes]" if dropped else "")


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _describe_exit(code: int, *, sandboxed: bool) -> str:
    # bwrap reports a program killed by signal N as exit code 128 + N, as shells do.
    if sandboxed and 128 < code <= 128 + 64:
        code = 128 - code
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        reason = " (CPU time limit)" if name == "SIGXCPU" else ""
        return f"killed by {name}{reason}"
    return f"exit code {code}"


def _hint(output: str, sandbox: Sandbox | None) -> str:
    if sandbox is not None and "BlockingIOError" in output:  # fork/thread failed with EAGAIN
        return (f" (the process limit: at most {sandbox.max_processes} processes and threads"
                " at once)")
    if "File too large" in output:
        return " (the file size limit)"
    return ""


# Declared so the turn grammar lets programs be long (strings default to a short bound there).
MAX_CODE_CHARS = 20_000


def make_python(timeout_s: float = 10, memory_mb: int = 256, max_output_chars: int = 8000,
                *, unsandboxed: bool = False, sandbox: Sandbox | None = None) -> Tool:
    """A ``python`` tool running code in a bubblewrap sandbox with the given limits.

    Args:
        timeout_s: wall-clock limit of one program (its CPU-time limit is one second more).
        memory_mb: address-space limit of each of its processes.
        max_output_chars: output kept and returned.
        unsandboxed: run code as a plain subprocess with time and memory limits only; it can
            then read your files and other processes' environments, use the network and leave
            processes behind. Only for code you would run yourself.
        sandbox: the bwrap binary and the sandbox's own limits (processes, file size, folder
            size); default ``Sandbox()``. Where it is missing or cannot start, each call
            fails with a SandboxUnavailableError naming the fix, and runs nothing.
    """
    jail = None if unsandboxed else (sandbox or Sandbox())

    @tool(name="python", timeout_s=timeout_s + 5, max_output_chars=max_output_chars)
    async def python(code: Annotated[str, Field(max_length=MAX_CODE_CHARS)]) -> str:
        """Run a Python 3 program and return what it prints (use print() to see results).

        Args:
            code: a complete Python program; only printed output is returned.
        """
        returncode, output = await run_python(code, timeout_s=timeout_s, memory_mb=memory_mb,
                                              max_output_bytes=max_output_chars * 4,
                                              sandbox=jail)
        if returncode != 0:
            status = _describe_exit(returncode, sandboxed=jail is not None)
            raise PythonExecError(f"{status}{_hint(output, jail)}\n{output}".rstrip())
        return output if output else "(the program printed nothing)"

    return python
