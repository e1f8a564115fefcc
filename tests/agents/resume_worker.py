"""A run to kill and resume, in a process of its own (tests/agents/test_resume.py).

    python resume_worker.py run QUESTION TRACE REPLIES_JSON      # Agent.run with Scripted
    python resume_worker.py resume TRACE REPLIES_JSON            # Agent.resume
    python resume_worker.py cli TRACE REPLIES_JSON               # toolweave run --resume

Its tools append a line to ``$RESUME_COUNTS/<tool>`` at every call (so a test counts the
calls across processes), and block for good while ``$RESUME_COUNTS/block-<tool>`` exists
(the step a test kills the run in). ``ship`` and ``charge`` are not idempotent.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

from toolweave.tools import tool


def _called(name: str, line: str) -> None:
    counts = Path(os.environ["RESUME_COUNTS"])
    with open(counts / name, "a", encoding="utf-8") as f:
        f.write(line + "\n")
    while (counts / f"block-{name}").exists():
        time.sleep(0.05)


@tool(timeout_s=None)
def lookup(order: str) -> str:
    """Look up an order's price."""
    _called("lookup", order)
    return f"order {order} costs 30 EUR"


@tool(timeout_s=None, idempotent=False)
def charge(order: str, amount: int) -> str:
    """Charge an order's card."""
    _called("charge", f"{order} {amount}")
    return f"charged {amount} EUR for order {order}"


@tool(timeout_s=None, idempotent=False)
def ship(order: str) -> str:
    """Ship an order."""
    _called("ship", order)
    return f"order {order} shipped"


@tool(timeout_s=None)
def track(order: str) -> str:
    """Where an order's parcel is."""
    _called("track", order)
    return f"order {order} is in Lyon"


TOOLS = [lookup, charge, ship, track]


def main(argv: list[str]) -> None:
    from toolweave.agents import Agent
    from toolweave.models import Scripted

    mode = argv[0]
    replies = json.loads(argv[-1])
    if mode == "run":
        trace = Agent(Scripted(replies), TOOLS).run(argv[1], trace_path=argv[2])
    elif mode == "resume":
        trace = Agent(Scripted(replies), TOOLS).resume(argv[1])
    else:  # the command line, its model spec answered by the script
        import toolweave.models
        from toolweave.cli import app

        toolweave.models.load_model = lambda spec, **_: Scripted(replies)
        app(["run", "--resume", argv[1], "--no-builtins", "--tools", "resume_worker:TOOLS"])
        return
    print(json.dumps({"answer": trace.answer, "stop_reason": trace.stop_reason}))


if __name__ == "__main__":
    main(sys.argv[1:])
