"""A tiny module for `load_tools` tests (imported by spec, not collected by pytest)."""

from toolweave.tools import ToolRegistry, tool


@tool
def shout(text: str) -> str:
    """Upper-case the text."""
    return text.upper()


def whisper(text: str) -> str:
    """Lower-case the text."""
    return text.lower()


def reverse(text: str) -> str:
    """Reverse the text."""
    return text[::-1]


TOOLS = [shout, whisper]
REGISTRY = ToolRegistry([reverse])
NOT_A_TOOL = 42


class Namespace:
    inner = shout
