"""`train_student`: LoRA SFT of a small student on CPU (trl + peft), exported for llama.cpp.

The output folder is a model spec toolweave serves (see `toolweave.models.distilled`)::

    out/adapter.gguf      the LoRA adapter in llama.cpp's GGUF adapter format
    out/distilled.json    {"base": "tiny", "adapter": "adapter.gguf", "scale": 1.0, ...}
    out/train_log.jsonl   loss per step
    out/loss.png          the same, drawn

Loss is on the completion tokens only (the teacher's turn), never on the system prompt and tool
docs, which every example repeats.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import time
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from toolweave.errors import TrainingDataError, TrainingError
from toolweave.models.distilled import DistilledManifest

INSTALL_HINT = ("training needs the `train` extra: pip install \"torch==2.13.0\" then "
                "pip install 'toolweave[train]' (torch first: a plain `torch` pulls a CUDA build)")
_TRAIN_MODULES = ("torch", "transformers", "trl", "peft", "accelerate", "datasets", "gguf")


@dataclass
class TrainResult:
    """Where a trained student is and how the run went."""

    out_dir: Path
    adapter: Path
    manifest: Path
    steps: int
    examples: int
    skipped: int                 # rows dropped for being longer than max_length
    seconds: float
    losses: list[float] = field(default_factory=list)

    @property
    def first_loss(self) -> float | None:
        return self.losses[0] if self.losses else None

    @property
    def last_loss(self) -> float | None:
        return self.losses[-1] if self.losses else None


def require_training_extras() -> None:
    """Raise `TrainingError` with the install hint when a training library is missing."""
    import importlib.util

    missing = [m for m in _TRAIN_MODULES if importlib.util.find_spec(m) is None]
    if missing:
        raise TrainingError(f"missing {', '.join(missing)}: {INSTALL_HINT}")


def train_student(
    data: str | Path,
    student: str | Path = "tiny",
    out_dir: str | Path = "distilled",
    *,
    epochs: float = 1.0,
    max_steps: int = -1,
    learning_rate: float = 2e-4,
    lora_rank: int = 16,
    lora_alpha: float | None = None,
    lora_dropout: float = 0.0,
    batch_size: int = 4,
    grad_accum: int = 1,
    max_length: int = 2048,
    seed: int = 0,
    base_gguf: str | Path | None = None,
    adapter_dtype: str = "f32",
    threads: int | None = None,
    progress: bool = True,
    console=None,
) -> TrainResult:
    """LoRA-train ``student`` on ``data`` and write a servable distilled model to ``out_dir``.

    ``data`` is a folder from `toolweave distill build` (its ``train.jsonl`` is used) or a
    ``.jsonl`` file of TRL conversational prompt-completion rows. ``student`` is ``tiny``,
    ``default``, a ``.gguf`` path, or a transformers checkpoint folder (then ``base_gguf`` names
    the GGUF llama.cpp serves under the adapter). ``max_steps > 0`` overrides ``epochs``.
    ``lora_alpha`` defaults to ``2 * lora_rank``. Rows longer than ``max_length`` tokens are
    skipped (a truncated completion would teach calls that never close), and counted.
    ``threads`` caps torch's CPU threads (default: torch's choice, one per core); on a machine
    busy with other work, 1 thread can be several times faster than fighting for the cores.
    """
    from toolweave.distill.train_data import load_rows, train_file

    require_training_extras()
    data_path = train_file(data)
    rows = load_rows(data_path)
    out = Path(out_dir).expanduser()
    out.mkdir(parents=True, exist_ok=True)
    alpha = float(lora_alpha if lora_alpha is not None else 2 * lora_rank)
    _quiet_libraries()

    import torch
    from datasets import Dataset
    from peft import LoraConfig, get_peft_model_state_dict
    from transformers.trainer_callback import PrinterCallback
    from trl import SFTConfig, SFTTrainer

    from toolweave.distill.gguf_base import load_student
    from toolweave.distill.lora_gguf import TARGET_MODULES, write_lora_gguf
    from toolweave.distill.train_log import draw_loss, make_callback

    if threads:
        torch.set_num_threads(threads)
    torch.manual_seed(seed)
    loaded = load_student(student, base_gguf=base_gguf)
    kept = [r for r in rows if _length(loaded.tokenizer, r) <= max_length]
    if not kept:
        raise TrainingDataError(
            f"all {len(rows)} rows of {data_path} are longer than max_length={max_length} "
            "tokens: raise --max-length")

    config = SFTConfig(
        output_dir=str(out / "checkpoints"),
        num_train_epochs=epochs, max_steps=max_steps, learning_rate=learning_rate,
        per_device_train_batch_size=batch_size, gradient_accumulation_steps=grad_accum,
        max_length=max_length, completion_only_loss=True, packing=False,
        logging_steps=1, save_strategy="no", report_to="none", use_cpu=True, seed=seed,
        data_seed=seed, bf16=False, fp16=False, dataloader_num_workers=0,
        disable_tqdm=True,  # the rich bar of train_log.py shows progress instead
        lr_scheduler_type="linear", warmup_steps=0, weight_decay=0.0,
    )
    lora = LoraConfig(r=lora_rank, lora_alpha=alpha, lora_dropout=lora_dropout,
                      target_modules=TARGET_MODULES, bias="none", task_type="CAUSAL_LM")
    log = make_callback(out / "train_log.jsonl", progress=progress, console=console)
    trainer = SFTTrainer(model=loaded.model, args=config, train_dataset=Dataset.from_list(kept),
                         processing_class=loaded.tokenizer, peft_config=lora, callbacks=[log])
    trainer.remove_callback(PrinterCallback)  # it prints every log dict; train_log.jsonl has them
    start = time.perf_counter()
    trainer.train()
    seconds = time.perf_counter() - start

    with contextlib.suppress(OSError):
        (out / "checkpoints").rmdir()  # the Trainer makes its output_dir; nothing is saved there
    model = trainer.model
    hf = model.config
    pairs = write_lora_gguf(
        get_peft_model_state_dict(model), out / "adapter.gguf", arch=loaded.arch, alpha=alpha,
        n_head=hf.num_attention_heads,
        n_head_kv=getattr(hf, "num_key_value_heads", None) or hf.num_attention_heads,
        dtype=adapter_dtype, name=f"{out.name} (toolweave distilled)")
    losses = [r["loss"] for r in log.records]
    if log.records:
        draw_loss(log.records, out / "loss.png",
                  title=f"{out.name}: {loaded.base} + LoRA r{lora_rank}")
    manifest = DistilledManifest(
        base=loaded.base, adapter="adapter.gguf", scale=1.0,
        trained_on=str(data_path.resolve()), steps=trainer.state.global_step,
        epochs=round(trainer.state.epoch or 0.0, 4), examples=len(kept),
        skipped_too_long=len(rows) - len(kept), student=str(student), arch=loaded.arch,
        lora={"rank": lora_rank, "alpha": alpha, "dropout": lora_dropout,
              "targets": TARGET_MODULES, "weights": pairs},
        learning_rate=learning_rate, batch_size=batch_size, grad_accum=grad_accum,
        max_length=max_length, seed=seed, seconds=round(seconds, 1),
        first_loss=losses[0] if losses else None, last_loss=losses[-1] if losses else None,
    )
    manifest_path = manifest.write(out)
    return TrainResult(out_dir=out, adapter=out / "adapter.gguf", manifest=manifest_path,
                       steps=trainer.state.global_step, examples=len(kept),
                       skipped=len(rows) - len(kept), seconds=seconds, losses=losses)


def _length(tokenizer, row: dict[str, Any]) -> int:
    text = tokenizer.apply_chat_template(row["prompt"] + row["completion"], tokenize=False)
    return len(tokenizer(text, add_special_tokens=False)["input_ids"])


def _quiet_libraries() -> None:
    """Training is local-first: never reach for the Hub, and keep library chatter off the
    terminal (the progress bar and our own messages say what matters)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    for name in ("transformers", "trl", "peft", "datasets", "accelerate"):
        logging.getLogger(name).setLevel(logging.ERROR)
    try:
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()
        import datasets

        datasets.disable_progress_bars()
    except ImportError:  # pragma: no cover - require_training_extras ran first
        pass
    warnings.filterwarnings("ignore", category=FutureWarning, module="transformers")


def result_summary(result: TrainResult) -> dict[str, Any]:
    """A JSON-friendly summary of a run (for the CLI and logs)."""
    data = asdict(result)
    return json.loads(json.dumps(data, default=str))
