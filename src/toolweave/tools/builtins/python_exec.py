"""A python tool: run a short program in a separate, resource-limited interpreter.

Limits: wall-clock time, CPU time and address space (RLIMIT_AS), a fresh temporary working
folder, an empty environment apart from PATH, and isolated mode (``-I``: no user site, no
PYTHON* variables). This keeps a runaway loop or a memory hog from hurting the agent; it is
NOT a security sandbox (the code can still read files and use the network), which is why the
tool is off unless asked for.
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
                     max_output_bytes: int = 64_000) -> tuple[int, str]:
    """Run ``code``; return (exit code, stdout and stderr interleaved, capped).

    Raises TimeoutError when it runs past ``timeout_s``; the process group is killed.
    """
    with tempfile.TemporaryDirectory(prefix="toolweave-py-") as workdir:
        proc = await asyncio.create_subprocess_exec(
            # -u: unbuffered, so prints and tracebacks arrive in the order they happened.
            sys.executable, "-I", "-u", "-c", code,
            stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT, cwd=workdir,
            env={"PATH": os.environ.get("PATH", "/usr/bin:/bin")},
            preexec_fn=_limits(memory_mb, int(timeout_s) + 1),
            start_new_session=True,  # its own process group, so children die with it
        )
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


def _describe_exit(code: int) -> str:
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        reason = " (CPU time limit)" if name == "SIGXCPU" else ""
        return f"killed by {name}{reason}"
    return f"exit code {code}"


# Declared so the turn grammar lets programs be long (strings default to a short bound there).
MAX_CODE_CHARS = 20_000


def make_python(timeout_s: float = 10, memory_mb: int = 256,
                max_output_chars: int = 8000) -> Tool:
    """A ``python`` tool running code with the given time and memory limits."""

    @tool(name="python", timeout_s=timeout_s + 5, max_output_chars=max_output_chars)
    async def python(code: Annotated[str, Field(max_length=MAX_CODE_CHARS)]) -> str:
        """Run a Python 3 program and return what it prints (use print() to see results).

        Args:
            code: a complete Python program; only printed output is returned.
        """
        returncode, output = await run_python(code, timeout_s=timeout_s, memory_mb=memory_mb,
                                         max_output_bytes=max_output_chars * 4)
        if returncode != 0:
            raise PythonExecError(f"{_describe_exit(returncode)}\n{output}".rstrip())
        return output if output else "(the program printed nothing)"

    return python
