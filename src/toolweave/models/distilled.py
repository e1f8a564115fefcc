"""Distilled models: a base GGUF plus a LoRA adapter, described by a ``distilled.json`` manifest.

`toolweave distill train` writes a folder like::

    out/distilled.json   {"base": "tiny", "adapter": "adapter.gguf", "scale": 1.0, ...}
    out/adapter.gguf     the LoRA adapter in llama.cpp's GGUF adapter format

and the folder is served as a model spec: its path, or ``distilled/NAME`` for a folder under
``cache_dir()/distilled``. The adapter keeps the (quantized) base file untouched, so a distilled
model costs a few MB on top of a model that is already on disk.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from toolweave.errors import DistilledModelError, ModelNotFoundError
from toolweave.paths import cache_dir

MANIFEST = "distilled.json"
SPEC_PREFIX = "distilled/"


class DistilledManifest(BaseModel):
    """What ``distilled.json`` holds. Extra keys (training details) are kept as they are."""

    model_config = ConfigDict(extra="allow")

    base: str = Field(description="an embedded model name (tiny, default) or a .gguf path; a "
                                  "relative path is relative to the manifest's folder")
    adapter: str = Field(description="the GGUF LoRA adapter, relative to the manifest's folder")
    scale: float = 1.0

    def write(self, folder: Path) -> Path:
        path = Path(folder) / MANIFEST
        path.write_text(json.dumps(self.model_dump(), indent=2) + "\n")
        return path


def distilled_dir(name: str) -> Path:
    """Where ``distilled/NAME`` lives: ``cache_dir()/distilled/NAME``."""
    if not name or "/" in name or "\\" in name or name in (".", ".."):
        raise DistilledModelError(f"invalid distilled model name {name!r}: use a plain name")
    return cache_dir() / "distilled" / name


def is_distilled_spec(spec: str) -> bool:
    """A ``distilled/NAME`` spec, or a folder that holds a manifest."""
    if spec.startswith(SPEC_PREFIX):
        return True
    path = Path(spec).expanduser()
    return path.is_dir()


def resolve_distilled(spec: str) -> tuple[Path, Path, float, str]:
    """(base GGUF, adapter GGUF, scale, display name) of a distilled spec or folder."""
    if spec.startswith(SPEC_PREFIX):
        name = spec[len(SPEC_PREFIX):]
        folder = distilled_dir(name)
        if not folder.is_dir():
            raise ModelNotFoundError(
                f"no distilled model {name!r} in {folder.parent}: train one with "
                f"`toolweave distill train DATA --name {name}`")
    else:
        folder, name = Path(spec).expanduser(), spec
    manifest = read_manifest(folder)
    adapter = (folder / manifest.adapter).resolve()
    if not adapter.is_file():
        raise DistilledModelError(
            f"{folder / MANIFEST} names the adapter {manifest.adapter!r}, which is missing "
            f"({adapter}); train the model again")
    return _base_path(manifest.base, folder), adapter, manifest.scale, name


def read_manifest(folder: Path) -> DistilledManifest:
    """The folder's manifest, with a clear error for a missing or malformed one."""
    path = Path(folder) / MANIFEST
    if not path.is_file():
        raise DistilledModelError(
            f"{folder} is not a distilled model: it has no {MANIFEST} "
            "(write one with `toolweave distill train`)")
    try:
        data: Any = json.loads(path.read_text())
        return DistilledManifest.model_validate(data)
    except (OSError, json.JSONDecodeError) as exc:
        raise DistilledModelError(f"cannot read {path}: {exc}") from exc
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'manifest'}: {e['msg']}"
                             for e in exc.errors())
        raise DistilledModelError(f"{path} is not a valid manifest: {problems}") from exc


def _base_path(base: str, folder: Path) -> Path:
    from toolweave.models.embedded import EMBEDDED

    if base in EMBEDDED:
        return EMBEDDED[base].path()
    path = Path(base).expanduser()
    if not path.is_absolute():
        path = folder / path
    if not path.is_file():
        raise DistilledModelError(
            f"the base model of {folder / MANIFEST} is missing: {path}")
    return path.resolve()
