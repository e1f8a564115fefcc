"""Running a quick sync tool on the calling thread, its timeout kept by an alarm (Linux).

Handing a sync call to a worker thread and back (tools/_workers.py) costs two thread wake-ups:
20-50 µs on an idle machine, and up to milliseconds when the cores are busy, since the caller
then waits for the scheduler twice. For a tool function that returns in microseconds that is
most of what a step costs the runtime. Such a tool, once it has proven quick
(`Tool._run_sync` counts its calls that returned within the hand-off wait), runs right here,
on the event loop's thread, as smolagents runs every tool:

- its timeout still holds: a one-shot ``ITIMER_REAL`` alarm interrupts it with `InlineTimeout`
  (a ``BaseException``, so a tool's ``except Exception`` does not swallow it), also out of a
  blocking sleep or socket read (EINTR); Linux hands a process's SIGALRM to its main thread
  first, which is why this runs only on the main thread;
- it sees what a worker thread would: no running event loop (a tool may ``asyncio.run`` its
  own), and a copy of the caller's context variables;
- SIGALRM is borrowed only while no one else has a handler for it (the default disposition),
  and given back right after the call.

What it gives up: while it runs, the event loop waits. That is why only a call with nothing to
overlap with runs here, and a tool that then runs long goes back to the worker path.
Elsewhere (another thread, another OS, SIGALRM in use) calls take the worker path.
"""

from __future__ import annotations

import asyncio
import contextvars
import signal
import sys
import threading
from collections.abc import Callable
from typing import Any

try:  # the C functions under `signal`'s wrappers, which make an enum of every value (~3 µs)
    import _signal as _sig
except ImportError:  # pragma: no cover - another Python implementation
    _sig = signal  # type: ignore[assignment]

_ALARMS = sys.platform.startswith("linux") and hasattr(signal, "setitimer")
_SIGALRM = int(getattr(signal, "SIGALRM", 0))
_DEFAULT = int(signal.SIG_DFL)
_armed = False  # whether an alarm now means "interrupt the inline call"


class InlineTimeout(BaseException):
    """The alarm of an inline call went off: the call ran past its timeout."""


def _on_alarm(signum: int, frame: Any) -> None:
    if _armed:  # a late alarm, after the call returned, interrupts nothing
        raise InlineTimeout


def available(timeout_s: float | None) -> bool:
    """Whether a call with ``timeout_s`` can run inline with its timeout enforced here."""
    if threading.current_thread() is not threading.main_thread():
        return False
    if timeout_s is None:
        return True  # nothing to enforce
    return (_ALARMS and timeout_s > 0
            and _sig.getsignal(_SIGALRM) == _DEFAULT)


def run(fn: Callable[..., Any], args: tuple, kwargs: dict[str, Any],
        timeout_s: float | None) -> tuple[bool, Any]:
    """``fn(*args, **kwargs)`` on this thread: (True, its value), or (False, the exception
    it raised, `InlineTimeout` when the alarm interrupted it). Check `available` first."""
    global _armed
    loop = asyncio._get_running_loop()
    context = contextvars.copy_context()
    alarm = timeout_s is not None
    try:
        try:
            asyncio._set_running_loop(None)  # as on a worker thread
            if alarm:
                _sig.signal(_SIGALRM, _on_alarm)
                _armed = True
                _sig.setitimer(_sig.ITIMER_REAL, timeout_s)
            outcome: tuple[bool, Any] = (True, context.run(fn, *args, **kwargs))
        except BaseException as exc:  # noqa: BLE001 - handed to the caller, who decides
            outcome = (False, exc)
        finally:
            _disarm(alarm, loop)
    except InlineTimeout as exc:
        # The one alarm went off after the call, in the handler above or in the clean-up
        # (interrupting it): late all the same. Clean up again; nothing can interrupt now.
        _disarm(alarm, loop)
        outcome = (False, exc)
    return outcome


def _disarm(alarm: bool, loop: asyncio.AbstractEventLoop | None) -> None:
    global _armed
    _armed = False
    if alarm:
        _sig.setitimer(_sig.ITIMER_REAL, 0)
        _sig.signal(_SIGALRM, _DEFAULT)
    asyncio._set_running_loop(loop)
