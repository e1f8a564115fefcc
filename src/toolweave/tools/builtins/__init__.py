"""Built-in offline tools: calculator, search_docs, read_file and (opt-in) python."""

from __future__ import annotations

from pathlib import Path

from toolweave.tools.builtins.calculator import calculator
from toolweave.tools.builtins.python_exec import make_python
from toolweave.tools.builtins.read_file import make_read_file
from toolweave.tools.builtins.search_docs import DocsIndex, make_search_docs
from toolweave.tools.registry import ToolRegistry


def builtin_tools(
    docs_dir: str | Path | None = None,
    files_root: str | Path | None = None,
    enable_python: bool = False,
    python_unsandboxed: bool = False,
) -> ToolRegistry:
    """The built-in tools, in a fixed order: the configured lookups first, calculator last
    (small models lean towards the first tool listed; lookups usually come first in a task).

    Args:
        docs_dir: a folder of .md/.txt files to offer ``search_docs`` over.
        files_root: a folder to offer ``read_file`` in (nothing outside it is readable).
        enable_python: offer the ``python`` tool (runs code in a bubblewrap sandbox; refuses
            to run where bubblewrap is missing or cannot start).
        python_unsandboxed: offer the ``python`` tool without a sandbox (implies
            ``enable_python``): code it runs can read your files and environment and use the
            network. Only for code you would run yourself.
    """
    registry = ToolRegistry()
    if docs_dir is not None:
        registry.add(make_search_docs(docs_dir))
    if files_root is not None:
        registry.add(make_read_file(files_root))
    registry.add(calculator)
    if enable_python or python_unsandboxed:
        registry.add(make_python(unsandboxed=python_unsandboxed))
    return registry


__all__ = [
    "DocsIndex", "builtin_tools", "calculator", "make_python", "make_read_file",
    "make_search_docs",
]
