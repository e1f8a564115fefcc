"""Names for MCP servers and their tools that fit toolweave's tool-name rule.

MCP allows tool names toolweave (and OpenAI-compatible servers) reject: dots, slashes and up to
128 characters. These helpers turn them into ``^[A-Za-z0-9_-]{1,64}$`` names, keep them unique
and derive a short server name from a target string.
"""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Iterable
from urllib.parse import urlsplit

MAX_NAME_CHARS = 64
_INVALID = re.compile(r"[^A-Za-z0-9_-]")
# Launchers whose first argument, not the launcher itself, says which server it is.
_LAUNCHERS = {"python", "python3", "py", "node", "deno", "bun", "npx", "uv", "uvx", "pipx",
              "bunx", "pnpm", "yarn", "npm", "docker", "podman"}
_SCRIPT_SUFFIXES = (".py", ".js", ".mjs", ".cjs", ".ts")
# Launcher sub-commands that come before the server's own name (``uv run x``, ``docker run x``).
_SUBCOMMANDS = {"run", "exec", "dlx", "tool"}


def sanitize(name: str) -> str:
    """``name`` with every character outside ``[A-Za-z0-9_-]`` replaced by ``_``, cut to 64."""
    return (_INVALID.sub("_", name) or "_")[:MAX_NAME_CHARS]


def unique(name: str, taken: Iterable[str]) -> str:
    """``name``, or ``name_2``, ``name_3`` … (still within 64 characters) if it is taken."""
    taken = set(taken)
    if name not in taken:
        return name
    n = 2
    while True:
        suffix = f"_{n}"
        candidate = name[: MAX_NAME_CHARS - len(suffix)] + suffix
        if candidate not in taken:
            return candidate
        n += 1


def tool_names(mcp_names: Iterable[str]) -> dict[str, str]:
    """Map valid, unique toolweave names to the MCP tool names they stand for, in order."""
    mapping: dict[str, str] = {}
    for original in mcp_names:
        mapping[unique(sanitize(original), mapping)] = original
    return mapping


def is_http(target: str) -> bool:
    """Whether ``target`` is a streamable-HTTP URL rather than a command line."""
    return target.startswith(("http://", "https://"))


def server_name(target: str) -> str:
    """A short name for a target: the URL's host, or the command's (or script's) base name.

    ``python servers/files.py`` is called ``files`` and ``npx -y @org/server-git`` is called
    ``server-git``: the launcher's name would be the same for every server it starts.
    """
    if is_http(target):
        return urlsplit(target).hostname or "mcp"
    try:
        words = shlex.split(target)
    except ValueError:
        words = target.split()
    if not words:
        return "mcp"
    command = _base(words[0])
    if command.rstrip("0123456789.") in _LAUNCHERS:
        for word in words[1:]:
            if word == "-c":  # inline code has no useful name
                break
            if not word.startswith("-") and word not in _SUBCOMMANDS:
                return _base(word)
    return command


def _base(word: str) -> str:
    base = os.path.basename(word.rstrip("/\\")) or word
    for suffix in _SCRIPT_SUFFIXES:
        if base.endswith(suffix) and len(base) > len(suffix):
            return base[: -len(suffix)]
    return base
