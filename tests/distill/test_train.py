"""`train_student` end to end on CPU: a few LoRA steps on the `tiny` student, served back through
`load_model` by llama.cpp with the exported GGUF adapter."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import sys

import pytest

for _module in ("torch", "transformers", "trl", "peft", "datasets", "gguf"):
    pytest.importorskip(_module)

from toolweave.models import load_model
from toolweave.types import Message

pytestmark = pytest.mark.model

PROMPT = [{"role": "system", "content": "You call tools."},
          {"role": "user", "content": "Weather in Quito?"}]
TARGET = ('<tool_call>\n{"name": "get_weather", "arguments": {"city": "Quito"}}\n'
          "</tool_call>")


def answer(spec: str) -> str:
    model = load_model(spec, n_ctx=512)
    messages = [Message(**m) for m in PROMPT]
    return asyncio.run(model.complete(messages, max_tokens=40)).text


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """One memorable example, trained until the student knows it by heart (~10 s of CPU)."""
    from toolweave.distill.train import train_student

    data = tmp_path_factory.mktemp("data")
    row = {"prompt": PROMPT, "completion": [{"role": "assistant", "content": TARGET}],
           "task_id": "w1", "category": "simple_python", "tools": ["get_weather"],
           "style": "action"}
    (data / "train.jsonl").write_text(json.dumps(row) + "\n")
    out = tmp_path_factory.mktemp("student")
    # threads=1: on a 2-core machine shared with other work one thread is the fastest
    result = train_student(data, "tiny", out, max_steps=10, learning_rate=3e-3, lora_rank=8,
                           batch_size=1, max_length=256, threads=1, progress=False)
    return result


def test_training_writes_a_servable_folder(trained):
    out = trained.out_dir
    assert trained.steps == 10 and trained.examples == 1 and trained.skipped == 0
    manifest = json.loads((out / "distilled.json").read_text())
    assert manifest["base"] == "tiny" and manifest["adapter"] == "adapter.gguf"
    assert manifest["scale"] == 1.0 and manifest["steps"] == 10
    assert manifest["trained_on"].endswith("train.jsonl")
    log = [json.loads(line) for line in (out / "train_log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in log] == list(range(1, 11))
    assert log[-1]["loss"] < log[0]["loss"] / 10  # one example: it is learned by heart
    assert (out / "loss.png").read_bytes()[:4] == b"\x89PNG"
    assert (out / "adapter.gguf").read_bytes()[:4] == b"GGUF"


def test_the_distilled_student_says_what_it_was_taught(trained):
    assert answer(str(trained.out_dir)) == TARGET
    assert answer("tiny") != TARGET  # the base model alone does not


def test_distilled_name_serves_from_the_cache(trained, tmp_path, monkeypatch):
    monkeypatch.setenv("TOOLWEAVE_CACHE", str(tmp_path))
    shutil.copytree(trained.out_dir, tmp_path / "distilled" / "weather")
    assert answer("distilled/weather") == TARGET


def test_exported_adapter_matches_peft_inside_llama_cpp(tmp_path):
    """A random (untrained) LoRA, big enough to move the logits far: llama.cpp with the exported
    adapter must land where peft does, within llama.cpp's own quantization noise. Catches a
    wrong tensor name, shape, scale or q/k row permutation."""
    import numpy as np
    import torch
    from llama_cpp import Llama
    from peft import LoraConfig, get_peft_model, get_peft_model_state_dict

    from toolweave.distill.gguf_base import load_student
    from toolweave.distill.lora_gguf import TARGET_MODULES, write_lora_gguf

    student = load_student("tiny")
    ids = student.tokenizer("<|im_start|>user\nWhat is the weather in Paris today?<|im_end|>\n"
                            "<|im_start|>assistant\n", add_special_tokens=False)["input_ids"]
    torch.manual_seed(0)
    with torch.no_grad():
        base_hf = student.model(torch.tensor([ids])).logits[0].numpy()
        peft_model = get_peft_model(student.model, LoraConfig(
            r=4, lora_alpha=8, target_modules=TARGET_MODULES, init_lora_weights=False))
        for name, param in peft_model.named_parameters():
            if "lora_" in name:
                param.mul_(0.7)
        lora_hf = peft_model(torch.tensor([ids])).logits[0].numpy()
    config = student.model.config
    write_lora_gguf(get_peft_model_state_dict(peft_model), tmp_path / "a.gguf",
                    arch=student.arch, alpha=8, n_head=config.num_attention_heads,
                    n_head_kv=config.num_key_value_heads)

    def logits(lora):
        llm = Llama(str(student.gguf), n_ctx=128, logits_all=True, verbose=False,
                    lora_path=lora)
        llm.eval(ids)
        out = np.array(llm.scores[:len(ids)])
        llm.close()
        return out

    base_ll, lora_ll = logits(None), logits(str(tmp_path / "a.gguf"))
    noise = np.linalg.norm(base_hf - base_ll)      # Q4_1 x Q8 activations vs float32
    moved = np.linalg.norm(lora_hf - base_hf)
    assert moved > 4 * noise                       # the adapter really moves the output
    # measured: 0.18 x moved (1.6 x noise); a wrong q/k permutation lands past 1 x moved
    assert np.linalg.norm(lora_hf - lora_ll) < 0.35 * moved


def test_cli_reports_a_missing_dataset(tmp_path):
    out = subprocess.run([sys.executable, "-m", "toolweave", "distill", "train",
                          str(tmp_path / "none"), "--out", str(tmp_path / "o")],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 1 and "no training data" in out.stderr
