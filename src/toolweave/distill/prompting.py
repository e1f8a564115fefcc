"""The two ways a distillation task is asked: with a rationale before the call, or action only.

Mixed-rationale SFT (TURA) trains on both; at inference the student is asked for the action
only, and keeps what the rationale targets taught it without paying for those tokens. The
instructions are data: `prompts/rationale.txt` and `prompts/action.txt`.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Literal

from toolweave.eval.bfcl.predict import Prompting

Style = Literal["rationale", "action"]
STYLES: tuple[Style, ...] = ("rationale", "action")


@cache
def prompting(style: Style) -> Prompting:
    """The instructions for ``style``; every distillation turn must call a tool, and a
    rationale turn must reason in one line first."""
    if style not in STYLES:
        raise ValueError(f"unknown target style {style!r}; expected one of {STYLES}")
    text = (resources.files("toolweave.distill") / "prompts" / f"{style}.txt").read_text(
        encoding="utf-8")
    return Prompting(instructions=text.strip(), require_call=True,
                     reason_first=style == "rationale")
