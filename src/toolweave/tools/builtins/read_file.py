"""A read_file tool confined to one folder.

The model names a path relative to the root; anything that resolves outside it — ``..``,
an absolute path, a symlink pointing elsewhere — is refused before any byte is read.
"""

from __future__ import annotations

from pathlib import Path

from toolweave.tools.tool import Tool, tool

MAX_FILE_BYTES = 100_000
_LISTING_LIMIT = 50


def resolve_inside(root: Path, path: str) -> Path:
    """``path`` resolved (symlinks and ``..`` too) inside ``root``; PermissionError if outside."""
    target = (root / path).resolve()
    if not target.is_relative_to(root):
        raise PermissionError(f"{path!r} is outside the folder this tool may read")
    return target


def read_text(root: Path, path: str, max_bytes: int = MAX_FILE_BYTES) -> str:
    """The text of a file under ``root``, cut at ``max_bytes``; a directory gives its listing."""
    target = resolve_inside(root, path)
    if target.is_dir():
        return _listing(root, target)
    if not target.is_file():
        raise FileNotFoundError(f"no file {path!r}; {_listing(root, target.parent)}"
                                if target.parent.is_dir() else f"no file {path!r}")
    with target.open("rb") as f:
        data = f.read(max_bytes + 1)
    if b"\0" in data[:8192]:
        raise ValueError(f"{path!r} is a binary file, not text")
    text = data[:max_bytes].decode("utf-8", errors="replace")
    if len(data) > max_bytes:
        size = target.stat().st_size
        text += f"\n… [file cut at {max_bytes:,} of {size:,} bytes]"
    return text


def _listing(root: Path, folder: Path) -> str:
    entries = sorted(p.name + ("/" if p.is_dir() else "") for p in folder.iterdir()
                     if not p.name.startswith("."))
    shown = ", ".join(entries[:_LISTING_LIMIT]) or "(empty)"
    more = f" … and {len(entries) - _LISTING_LIMIT} more" if len(entries) > _LISTING_LIMIT else ""
    where = folder.relative_to(root).as_posix()
    return f"{where if where != '.' else 'the root folder'} contains: {shown}{more}"


def make_read_file(root: str | Path, *, max_bytes: int = MAX_FILE_BYTES) -> Tool:
    """A ``read_file`` tool that reads text files under ``root`` only."""
    resolved_root = Path(root).resolve(strict=True)
    if not resolved_root.is_dir():
        raise NotADirectoryError(f"read_file root {str(root)!r} is not a folder")

    @tool(name="read_file")
    def read_file(path: str) -> str:
        """Read a text file (path relative to the allowed folder); a folder gives its listing.

        Args:
            path: the file's path relative to the allowed folder, e.g. "notes/todo.md".
        """
        return read_text(resolved_root, path, max_bytes)

    return read_file
