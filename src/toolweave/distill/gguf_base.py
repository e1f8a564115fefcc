"""The student to train: a GGUF (embedded name or path) turned into a float32 transformers model.

Training runs on the *dequantized* GGUF weights: the adapter learns a correction on top of the
very numbers llama.cpp multiplies at inference (up to its own rounding), not on top of an
unquantized original that this machine does not have. The tokenizer and chat template come from
the GGUF too, so the training sequences are the prompts llama.cpp's template renders.

transformers' GGUF loader is slow (it re-parses the whole vocabulary for the tokenizer and for
the weights: ~25 s for the 135M `tiny`), so the converted checkpoint is kept under
``cache_dir()/students`` and later runs load it in about a second.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from toolweave.errors import TrainingError
from toolweave.paths import cache_dir

SOURCE_FILE = "toolweave_source.json"  # in a converted checkpoint: which GGUF it came from

# transformers model_type -> llama.cpp architecture, for the students whose adapter tensors we
# know how to name (see lora_gguf.py). Qwen3 reuses Qwen2's tensor names and layout.
GGUF_ARCH = {"llama": "llama", "qwen2": "qwen2", "qwen3": "qwen3"}


@dataclass
class Student:
    """A loaded student and where llama.cpp will find its base weights."""

    model: Any          # transformers PreTrainedModel, float32 on CPU
    tokenizer: Any      # with the GGUF's chat template
    base: str           # what distilled.json records: an embedded name or a GGUF path
    gguf: Path          # the base GGUF llama.cpp serves under the adapter
    arch: str           # llama.cpp architecture name (general.architecture)


def load_student(student: str | Path, *, base_gguf: str | Path | None = None) -> Student:
    """Load ``student``: an embedded model name (``tiny``, ``default``), a ``.gguf`` path, or a
    transformers checkpoint folder. A checkpoint folder needs ``base_gguf`` (the GGUF of the same
    weights llama.cpp serves) unless it is one that toolweave converted itself."""
    from toolweave.models.embedded import EMBEDDED

    spec = str(student)
    if spec in EMBEDDED:
        gguf, base = EMBEDDED[spec].path(), spec
        folder = converted_checkpoint(gguf)
    elif spec.endswith(".gguf"):
        gguf = Path(spec).expanduser().resolve()
        if not gguf.is_file():
            raise TrainingError(f"student GGUF not found: {gguf}")
        base = str(gguf)
        folder = converted_checkpoint(gguf)
    elif Path(spec).expanduser().is_dir():
        folder = Path(spec).expanduser().resolve()
        gguf = _source_gguf(folder, base_gguf)
        base = str(gguf)
    else:
        known = ", ".join(sorted(EMBEDDED))
        raise TrainingError(f"unknown student {spec!r}: use one of {known}, a .gguf file or a "
                            "transformers checkpoint folder")
    model, tokenizer = _load_checkpoint(folder)
    model_type = model.config.model_type
    if model_type not in GGUF_ARCH:
        raise TrainingError(
            f"student architecture {model_type!r} is not supported for LoRA export to llama.cpp "
            f"(supported: {', '.join(sorted(GGUF_ARCH))})")
    if not tokenizer.chat_template:
        raise TrainingError(f"student {spec!r} has no chat template: it cannot be trained on "
                            "chat data")
    return Student(model=model, tokenizer=tokenizer, base=base, gguf=gguf,
                   arch=GGUF_ARCH[model_type])


def converted_checkpoint(gguf: Path) -> Path:
    """A transformers checkpoint of ``gguf``'s dequantized weights, converted once and cached
    (keyed by the file's path, size and modification time)."""
    stat = gguf.stat()
    key = hashlib.sha256(f"{gguf.resolve()}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    folder = cache_dir() / "students" / f"{gguf.stem}-{key.hexdigest()[:12]}"
    if (folder / SOURCE_FILE).is_file():
        return folder
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer, GgufConfig

    tmp = folder.with_name(f"{folder.name}.tmp{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
        # dequantize=True: plain float32 nn.Linear weights that LoRA can wrap, never packed
        # GGUF blocks (transformers keeps those when a GGUF matmul kernel is installed)
        model = AutoModelForCausalLM.from_pretrained(
            str(gguf.parent), gguf_file=gguf.name, dtype=torch.float32,
            quantization_config=GgufConfig(dequantize=True))
    except (ValueError, KeyError, NotImplementedError) as exc:
        raise TrainingError(f"transformers cannot load {gguf} as a student: {exc}") from exc
    # The weights are dense now; without the GGUF quantizer's marks the checkpoint saves and
    # reloads as an ordinary float32 model.
    model.hf_quantizer = None
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    model.save_pretrained(tmp)
    tokenizer.save_pretrained(tmp)
    (tmp / SOURCE_FILE).write_text(json.dumps({"gguf": str(gguf.resolve())}) + "\n")
    if folder.exists():  # another process finished first
        shutil.rmtree(tmp, ignore_errors=True)
    else:
        os.replace(tmp, folder)
    return folder


def _source_gguf(folder: Path, base_gguf: str | Path | None) -> Path:
    if base_gguf is not None:
        path = Path(base_gguf).expanduser().resolve()
    elif (folder / SOURCE_FILE).is_file():
        path = Path(json.loads((folder / SOURCE_FILE).read_text())["gguf"])
    else:
        raise TrainingError(
            f"student {folder} is a transformers checkpoint: pass base_gguf (--base-gguf), the "
            "GGUF of the same weights that llama.cpp will serve under the adapter")
    if not path.is_file():
        raise TrainingError(f"base GGUF not found: {path}")
    return path


def _load_checkpoint(folder: Path):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    try:
        tokenizer = AutoTokenizer.from_pretrained(str(folder))
        model = AutoModelForCausalLM.from_pretrained(str(folder), dtype=torch.float32)
    except (OSError, ValueError) as exc:
        raise TrainingError(f"cannot load the student checkpoint {folder}: {exc}") from exc
    return model, tokenizer
