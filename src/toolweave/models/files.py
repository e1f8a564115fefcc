"""File helpers for model weights: hashing, atomic writes, a GGUF sanity check."""

from __future__ import annotations

import hashlib
from pathlib import Path

from toolweave.errors import ChecksumError, ModelLoadError

GGUF_MAGIC = b"GGUF"


def sha256_of(path: Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def verify_sha256(path: Path, expected: str) -> None:
    """Raise `ChecksumError` (and leave the file alone) when ``path`` is not what we expect."""
    actual = sha256_of(path)
    if actual != expected:
        raise ChecksumError(
            f"{path} has sha256 {actual}, expected {expected}: the file is corrupt or not the "
            "model it claims to be; delete it and install again"
        )


def check_gguf(path: Path) -> None:
    """Fail early and clearly on a file that is not GGUF (llama.cpp's own error is opaque)."""
    try:
        with open(path, "rb") as f:
            magic = f.read(4)
    except OSError as exc:
        raise ModelLoadError(f"cannot read model file {path}: {exc}") from exc
    if magic != GGUF_MAGIC:
        raise ModelLoadError(
            f"{path} is not a GGUF model file (starts with {magic!r}, expected b'GGUF')"
        )
