"""`hf:owner/repo/file.gguf` specs: download a GGUF once into the local cache.

The endpoint is ``$TOOLWEAVE_HF_ENDPOINT`` (default ``https://huggingface.co``) so that mirrors
and tests (a local HTTP server) work the same way. ``$HF_TOKEN`` is sent when set.
"""

from __future__ import annotations

import os
from pathlib import Path

import httpx

from toolweave.errors import DownloadError, ModelSpecError
from toolweave.paths import cache_dir

DEFAULT_ENDPOINT = "https://huggingface.co"


def parse_hf_spec(spec: str) -> tuple[str, str, str]:
    """``hf:owner/repo/path/file.gguf[@revision]`` → (``owner/repo``, ``path/file.gguf``, revision)."""
    body = spec.removeprefix("hf:")
    body, _, revision = body.partition("@")
    parts = body.split("/")
    if len(parts) < 3 or not all(parts) or not parts[-1].endswith(".gguf"):
        raise ModelSpecError(
            f"bad hf spec {spec!r}: expected hf:owner/repo/file.gguf (optionally @revision)"
        )
    return "/".join(parts[:2]), "/".join(parts[2:]), revision or "main"


def hf_download(spec: str, *, endpoint: str | None = None, progress: bool = True) -> Path:
    """Return the cached path of an ``hf:`` model, downloading it first if needed.

    The file is written under a temporary name and renamed only when complete, so an
    interrupted download never looks finished.
    """
    repo, filename, revision = parse_hf_spec(spec)
    target = cache_dir() / "hf" / repo / revision / filename
    if target.exists():
        return target
    endpoint = (endpoint or os.environ.get("TOOLWEAVE_HF_ENDPOINT") or DEFAULT_ENDPOINT).rstrip("/")
    url = f"{endpoint}/{repo}/resolve/{revision}/{filename}"
    headers = {}
    if token := os.environ.get("HF_TOKEN"):
        headers["Authorization"] = f"Bearer {token}"
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".download")
    try:
        with httpx.stream("GET", url, headers=headers, follow_redirects=True,
                          timeout=httpx.Timeout(30.0, read=300.0)) as response:
            if response.status_code != 200:
                raise DownloadError(f"GET {url} answered HTTP {response.status_code}")
            total = int(response.headers.get("content-length") or 0) or None
            with open(tmp, "wb") as out, _progress(progress, filename, total) as advance:
                for chunk in response.iter_bytes(1 << 20):
                    out.write(chunk)
                    advance(len(chunk))
        if total is not None and tmp.stat().st_size != total:
            raise DownloadError(f"download of {url} stopped early ({tmp.stat().st_size}/{total})")
        os.replace(tmp, target)
    except httpx.HTTPError as exc:
        raise DownloadError(f"cannot download {url}: {exc}") from exc
    finally:
        tmp.unlink(missing_ok=True)
    return target


class _progress:
    """A rich progress bar for a download, or nothing when ``enabled`` is false."""

    def __init__(self, enabled: bool, label: str, total: int | None):
        self.enabled, self.label, self.total = enabled, label, total

    def __enter__(self):
        if not self.enabled:
            return lambda n: None
        from rich.progress import (BarColumn, DownloadColumn, Progress, TextColumn,
                                   TransferSpeedColumn)

        self.bar = Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(),
                            TransferSpeedColumn(), transient=True)
        self.bar.start()
        task = self.bar.add_task(f"downloading {self.label}", total=self.total)
        return lambda n: self.bar.advance(task, n)

    def __exit__(self, *exc):
        if self.enabled:
            self.bar.stop()
        return False
