"""A bubblewrap (``bwrap``) sandbox for the python tool: the command line and a start-up probe.

What the sandboxed program gets: its own pid, network, IPC, UTS and cgroup namespaces (so no
network at all, and ``/proc`` shows only its own processes), read-only binds of only what the
interpreter needs (``/usr``, ``/lib*``, the Python prefix and venv, the dynamic linker's
cache), a private writable tmpfs at ``/sandbox`` that is its working folder (and one at
``/tmp``), a minimal ``/dev``,
an environment of four variables, no controlling terminal (``--new-session``), and these
rlimits: address space, CPU time, file size, no core dumps, and a process count
(``RLIMIT_NPROC``). When bwrap's process dies, the sandbox's init dies, and the kernel kills
every process left in its pid namespace, so nothing the program starts outlives the call.

The process limit needs a care that shapes the command. ``RLIMIT_NPROC`` never applies to
kernel uid 0, and a user namespace made by root maps its "root" to uid 0 outside. So:

* run by root, bwrap makes the namespaces with root's own privileges (no user namespace) and
  keeps only ``CAP_SETUID``/``CAP_SETGID``; the launcher below then becomes a random unused
  uid (a fresh one per call, so concurrent calls do not share one process budget) and drops
  every capability with it;
* run by anyone else, bwrap makes a user namespace (as it must), in which the process count
  is kept per namespace, so it counts only this call's processes.

Either way the limits are set by a tiny launcher inside the sandbox (after the namespaces
exist), which then signals "started" on a pipe and execs the program: a call whose launcher
never signalled failed to start the sandbox, and bwrap's own message says why.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass

from toolweave.tools.errors import SandboxUnavailableError

# Said in every refusal: what to do about it.
FIX = (
    "install bubblewrap (Debian/Ubuntu: `apt-get install bubblewrap`) on a machine that "
    "allows user namespaces (or run as root with CAP_SYS_ADMIN), or opt into running code "
    "without a sandbox: make_python(unsandboxed=True), "
    "builtin_tools(python_unsandboxed=True), or the CLI's --python-unsandboxed"
)

# The sandbox's first and only interpreter (a second one, exec'ed, doubled the cost of a call):
# sets the limits, drops to the sandbox uid where asked, tells the parent it started, then
# runs the program in __main__ as `python -c` would, tracebacks without this frame included.
_LAUNCHER = """\
def _launch():
    import os, resource as R, sys
    ready, uid, nproc, memory, cpu, fsize = map(int, sys.argv[1:7])
    if uid >= 0:
        os.setgroups([]); os.setgid(uid); os.setuid(uid)
    for kind, soft, hard in ((R.RLIMIT_NPROC, nproc, nproc), (R.RLIMIT_AS, memory, memory),
                             (R.RLIMIT_CPU, cpu, cpu + 1), (R.RLIMIT_FSIZE, fsize, fsize),
                             (R.RLIMIT_CORE, 0, 0)):
        R.setrlimit(kind, (soft, hard))
    os.write(ready, b"1")
    os.close(ready)
    source = sys.argv[7]
    sys.argv[:] = ["-c"]
    main = globals()
    del main["_launch"], os, R
    try:
        exec(compile(source, "<string>", "exec"), main)
    except SystemExit:
        raise
    except BaseException as exc:
        exc.__traceback__ = exc.__traceback__.tb_next
        sys.excepthook(type(exc), exc, exc.__traceback__)
        sys.exit(1)
_launch()
"""

# Uids for root's sandboxes: far above login users, system users, `nobody`, container
# subuid ranges and SSSD's default id range, so no file on the host is theirs.
_SANDBOX_UID_BASE = 3_000_000_000
_SANDBOX_UID_SPAN = 1_000_000_000

_TOP_LEVEL = ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
# What the dynamic linker and `time` read; /etc/alternatives because Debian's /usr/bin links
# through it.
_ETC = ("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/localtime",
        "/etc/alternatives")
# The working folder: a path no interpreter or venv lives under, so no read-only bind of one
# shows through it (a venv of a checkout under /tmp is bound into the sandbox's /tmp).
WORK_DIR = "/sandbox"


@dataclass(frozen=True)
class Sandbox:
    """How to sandbox a program: the bwrap binary and the limits that only a sandbox can hold.

    Args:
        bwrap: path of the bwrap binary; None looks ``bwrap`` up on ``$PATH`` at each call.
        max_processes: processes and threads the program may have at once (RLIMIT_NPROC).
        max_file_mb: the largest file it may write.
        folder_mb: size of its private working folder (a tmpfs, so it is memory).
    """

    bwrap: str | None = None
    max_processes: int = 64
    max_file_mb: int = 64
    folder_mb: int = 128

    def binary(self) -> str:
        """The bwrap path to run; raises SandboxUnavailableError when there is none."""
        path = self.bwrap if self.bwrap is not None else shutil.which("bwrap")
        if path is None or not os.access(path, os.X_OK):
            where = f"at {self.bwrap}" if self.bwrap is not None else "on $PATH"
            raise SandboxUnavailableError(
                f"the python tool runs code only in a sandbox, and bubblewrap (bwrap) was not "
                f"found {where}. Fix: {FIX}.")
        return path

    def command(self, code: str, *, ready_fd: int, info_fd: int, memory_mb: int,
                cpu_s: int) -> list[str]:
        """The bwrap command line that runs the Python program ``code`` sandboxed; the
        launcher writes one byte to ``ready_fd`` once it runs, and bwrap writes the sandbox
        init's pid to ``info_fd`` (see `SandboxRun`)."""
        uid = (_SANDBOX_UID_BASE + secrets.randbelow(_SANDBOX_UID_SPAN)
               if os.geteuid() == 0 else -1)
        limits = [ready_fd, uid, self.max_processes, memory_mb * 1024 * 1024, cpu_s,
                  self.max_file_mb * 1024 * 1024]
        return [
            self.binary(), "--info-fd", str(info_fd),
            *_namespace_args(as_root=uid >= 0),
            # /tmp before the binds, so an interpreter or venv under /tmp (a CI checkout) shows
            # through it
            "--perms", "1777", "--size", str(self.folder_mb * 1024 * 1024), "--tmpfs", "/tmp",
            *_filesystem_args(),
            "--perms", "1777", "--size", str(self.folder_mb * 1024 * 1024),
            "--tmpfs", WORK_DIR, "--chdir", WORK_DIR,
            # -u: unbuffered, so prints and tracebacks arrive in the order they happened.
            "--", sys.executable, "-I", "-u", "-c", _LAUNCHER, *map(str, limits), code,
        ]

    def problem(self) -> str | None:
        """Why this sandbox cannot run code here (with the fix), or None when it can.

        Runs ``pass`` in it once per bwrap path and process (about as long as one call).
        """
        try:
            return _probe(self.binary(), self)
        except SandboxUnavailableError as exc:
            return str(exc)


def sandbox_env() -> dict[str, str]:
    """The whole environment of the sandboxed program (bwrap itself gets none: its own
    environment would be readable in the sandbox's /proc)."""
    return {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": WORK_DIR, "TMPDIR": WORK_DIR,
            "LANG": "C.UTF-8"}


def did_not_start(bwrap_output: str) -> SandboxUnavailableError:
    """The error for a sandbox whose launcher never ran; ``bwrap_output`` says why."""
    reason = bwrap_output.strip() or "bwrap exited without a message"
    return SandboxUnavailableError(
        f"the python tool runs code only in a sandbox, and the sandbox did not start: "
        f"{reason}. Fix: {FIX}.")


def _namespace_args(*, as_root: bool) -> list[str]:
    common = ["--die-with-parent", "--new-session", "--hostname", "sandbox", "--clearenv",
              *[arg for name, value in sandbox_env().items()
                for arg in ("--setenv", name, value)],
              "--proc", "/proc", "--dev", "/dev"]
    if as_root:
        # No user namespace (see the module docstring): root's own privileges make these.
        return ["--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts",
                "--unshare-cgroup-try", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID",
                *common]
    return ["--unshare-all", "--unshare-user", "--disable-userns", *common]


@functools.cache
def _filesystem_args() -> tuple[str, ...]:
    # Cached: it depends only on this interpreter and the host's layout.
    args: list[str] = []
    made: set[str] = set()

    def parents(path: str) -> None:
        # bwrap would create missing parents with the host's modes (0700 for /root), which the
        # unprivileged sandbox uid could not cross.
        parent = os.path.dirname(path)
        if parent != "/" and parent not in made:
            parents(parent)
            made.add(parent)
            args.extend(["--perms", "0755", "--dir", parent])

    for top in _TOP_LEVEL:
        if os.path.islink(top):  # merged /usr: /bin -> usr/bin
            args.extend(["--symlink", os.readlink(top), top])
        elif os.path.isdir(top):
            args.extend(["--ro-bind", top, top])
    args.extend(["--ro-bind", "/usr", "/usr"])
    for path in _ETC:
        if os.path.exists(path):
            parents(path)
            args.extend(["--ro-bind", path, path])
    for source, dest in _python_binds():
        parents(dest)
        args.extend(["--ro-bind", source, dest])
    return tuple(args)


def _python_binds() -> list[tuple[str, str]]:
    """(host path, sandbox path) for the interpreter's prefixes and venv not under /usr; a
    prefix reached through a symlink is bound at both its spellings."""
    exe = os.path.realpath(sys.executable)
    candidates = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix,
                  os.path.dirname(os.path.dirname(exe))}
    binds: dict[str, str] = {}
    for path in candidates:
        real = os.path.realpath(path)
        for dest in {os.path.abspath(path), real}:
            binds.setdefault(dest, real)
    kept = [dest for dest in binds
            if not _under(dest, "/usr") and not any(
                other != dest and _under(dest, other) for other in binds)]
    return sorted((binds[dest], dest) for dest in kept)


def _under(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip("/") + "/")


@functools.lru_cache(maxsize=8)
def _probe(bwrap: str, sandbox: Sandbox) -> str | None:
    channels = SandboxRun()
    try:
        command = sandbox.command("pass", ready_fd=channels.ready_fd, info_fd=channels.info_fd,
                                  memory_mb=256, cpu_s=10)
        try:
            done = subprocess.run(command, env={}, pass_fds=channels.child_fds(), timeout=30,
                                  stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return str(did_not_start(str(exc)))
        channels.close_child_ends()
        output = done.stdout.decode("utf-8", errors="replace")
        if not channels.started():
            return str(did_not_start(output))
        if done.returncode != 0:
            return f"the sandbox started but could not run Python: {output.strip()}"
        return None
    finally:
        channels.close()


class SandboxRun:
    """The two side channels of one sandboxed run, and the wait for its end.

    * The launcher's "started" pipe: a run whose launcher never wrote to it did not start the
      sandbox (bwrap failed, and its output says why), whatever bwrap's exit code.
    * bwrap's ``--info-fd``, which gives the pid of the sandbox's init. bwrap returns as soon
      as the program exits, while its init is still killing whatever the program left behind;
      a pidfd on that init becomes readable only once the whole pid namespace is gone, so
      `wait_gone` makes "nothing outlives the call" exact rather than nearly so.
    """

    def __init__(self) -> None:
        self._ready_read, self.ready_fd = os.pipe()
        self._info_read, self.info_fd = os.pipe()
        self._pin: asyncio.Task[int | None] | None = None

    def child_fds(self) -> tuple[int, int]:
        """The descriptors bwrap must inherit."""
        return self.ready_fd, self.info_fd

    def close_child_ends(self) -> None:
        """Close our copies of bwrap's ends once it holds its own: ours would hide its exit."""
        for name in ("ready_fd", "info_fd"):
            fd = getattr(self, name)
            if fd >= 0:
                os.close(fd)
                setattr(self, name, -1)

    def spawned(self, bwrap_pid: int) -> None:
        """bwrap is running as ``bwrap_pid``: close our child ends and start watching for its
        init's pid (it arrives right after the sandbox's namespaces are made)."""
        self.close_child_ends()
        self._pin = asyncio.ensure_future(self._pin_init(bwrap_pid))

    def started(self) -> bool:
        """Whether the launcher ran (ask once bwrap has exited)."""
        os.set_blocking(self._ready_read, False)
        try:
            return os.read(self._ready_read, 1) == b"1"
        except BlockingIOError:  # a writer still open, nothing written
            return False

    async def wait_gone(self, timeout_s: float = 5.0) -> None:
        """Return once every process of the sandbox has exited (bwrap must have exited)."""
        if self._pin is None:
            return
        pin, self._pin = self._pin, None
        pidfd = None
        try:
            async with asyncio.timeout(timeout_s):
                pidfd = await pin
                if pidfd is not None:
                    await _readable(pidfd)
        except TimeoutError:
            # Not seen (bwrap's init gets SIGKILL when bwrap dies), but never wait forever,
            # nor leave it behind.
            if pidfd is not None:
                signal.pidfd_send_signal(pidfd, signal.SIGKILL)
        finally:
            if pidfd is not None:
                os.close(pidfd)

    def close(self) -> None:
        """Release every descriptor (idempotent)."""
        self.close_child_ends()
        if self._pin is not None:
            self._pin.cancel()
        for name in ("_ready_read", "_info_read"):
            fd = getattr(self, name)
            if fd >= 0:
                os.close(fd)
                setattr(self, name, -1)

    async def _pin_init(self, bwrap_pid: int) -> int | None:
        """A pidfd on the sandbox's init, or None when it never started or is already gone."""
        fd = self._info_read
        os.set_blocking(fd, False)
        data = b""
        while True:
            await _readable(fd)
            try:
                chunk = os.read(fd, 4096)
            except BlockingIOError:
                continue
            if not chunk:
                return None  # bwrap exited before making the sandbox
            data += chunk
            with contextlib.suppress(ValueError):
                child_pid = int(json.loads(data)["child-pid"])
                break
        try:
            pidfd = os.pidfd_open(child_pid)
        except OSError:
            return None  # already gone (and reaped by bwrap)
        if _parent_of(child_pid) != bwrap_pid:  # the pid was reused: not ours
            os.close(pidfd)
            return None
        return pidfd


async def _readable(fd: int) -> None:
    loop = asyncio.get_running_loop()
    ready = loop.create_future()
    loop.add_reader(fd, lambda: ready.done() or ready.set_result(None))
    try:
        await ready
    finally:
        loop.remove_reader(fd)


def _parent_of(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            return int(stat.read().rsplit(b")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None
