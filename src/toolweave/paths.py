"""Where toolweave keeps files it makes: assembled and downloaded models, prompt caches."""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    """``$TOOLWEAVE_CACHE``, else ``$XDG_CACHE_HOME/toolweave``, else ``~/.cache/toolweave``."""
    if env := os.environ.get("TOOLWEAVE_CACHE"):
        return Path(env).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "toolweave"
