"""Reading a tool's description and its parameters' descriptions out of a docstring.

Supports Google style (``Args:`` sections) and Sphinx style (``:param x: ...``). Small models
read every character of a tool's docs on every step, so only the first paragraph becomes the
tool description; examples, return and raise sections stay out.
"""

from __future__ import annotations

import inspect
import re

_ARGS_HEADERS = {"args", "arguments", "parameters", "params", "keyword args", "keyword arguments"}
# Any "Word:" alone on a line ends the Args section (Returns:, Raises:, Example: …).
_SECTION = re.compile(r"^([A-Za-z][A-Za-z ]*):\s*$")
_GOOGLE_ARG = re.compile(r"^(\*{0,2}\w+)\s*(?:\([^)]*\))?\s*:\s*(.*)$")
_SPHINX_PARAM = re.compile(r"^:param\s+(?:[^:]*\s)?(\w+)\s*:\s*(.*)$")


def parse_docstring(doc: str | None) -> tuple[str, dict[str, str]]:
    """Split a docstring into (description, {parameter name: description})."""
    if not doc:
        return "", {}
    lines = inspect.cleandoc(doc).splitlines()
    params = _google_params(lines)
    params.update(_sphinx_params(lines))
    return _first_paragraph(lines), params


def _first_paragraph(lines: list[str]) -> str:
    paragraph: list[str] = []
    for line in lines:
        stripped = line.strip()
        if not stripped or _SECTION.match(stripped) or stripped.startswith(":"):
            if paragraph or stripped:
                break
            continue
        paragraph.append(stripped)
    return " ".join(paragraph)


def _google_params(lines: list[str]) -> dict[str, str]:
    params: dict[str, str] = {}
    in_args = False
    base_indent = None
    current = None
    for line in lines:
        stripped = line.strip()
        header = _SECTION.match(stripped)
        if header and _indent(line) == 0:
            in_args = header.group(1).lower() in _ARGS_HEADERS
            base_indent, current = None, None
            continue
        if not in_args or not stripped:
            continue
        indent = _indent(line)
        if base_indent is None:
            base_indent = indent
        entry = _GOOGLE_ARG.match(stripped) if indent <= base_indent else None
        if entry:
            current = entry.group(1).lstrip("*")
            params[current] = entry.group(2).strip()
        elif current is not None and indent > base_indent:
            # A continuation line of the current parameter's description.
            params[current] = f"{params[current]} {stripped}".strip()
    return params


def _sphinx_params(lines: list[str]) -> dict[str, str]:
    params: dict[str, str] = {}
    current = None
    for line in lines:
        stripped = line.strip()
        match = _SPHINX_PARAM.match(stripped)
        if match:
            current = match.group(1)
            params[current] = match.group(2).strip()
        elif stripped.startswith(":") or not stripped:
            current = None
        elif current is not None:
            params[current] = f"{params[current]} {stripped}".strip()
    return params


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())
