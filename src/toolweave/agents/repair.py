"""Turns a strategy cannot act on, and the one repair exchange each gets (shared by react and
preact)."""

from __future__ import annotations

from toolweave.agents.prompts import render
from toolweave.formats.base import ParsedTurn
from toolweave.types import Completion, Message, Step

MAX_REPAIRS = 1


def mark_unreadable(step: Step, completion: Completion, turn: ParsedTurn) -> bool:
    """Mark ``step`` when its turn cannot be acted on; True if so.

    "truncated": the step's token cap cut the turn inside a call (a budget event);
    "error": a complete turn that could not be parsed into calls or an answer.
    """
    cut = completion.finish_reason == "length" and bool(turn.errors)
    if not (cut or (turn.errors and not turn.calls)):
        return False
    step.kind = "truncated" if cut else "error"
    step.error = "; ".join(e.message for e in turn.errors)
    return True


def stop_reason(step: Step) -> str:
    """The trace's stop reason once repairs are used up on ``step``."""
    return "max_tokens" if step.kind == "truncated" else "error"


def repair_messages(step: Step, completion: Completion) -> list[Message]:
    """The unreadable turn and the request to redo it, for the next model call."""
    return [Message(role="assistant", content=completion.text),
            Message(role="user", content=render("repair", problems=step.error,
                                                cut=step.kind == "truncated"))]
