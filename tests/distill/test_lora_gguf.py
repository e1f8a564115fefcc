"""LoRA tensor names and layout for llama.cpp's GGUF adapters."""

from __future__ import annotations

import pytest

from toolweave.distill.lora_gguf import MODULES, llama_cpp_name, permute_rows
from toolweave.errors import TrainingError


@pytest.mark.parametrize("module, target", [
    ("self_attn.q_proj", "attn_q"), ("self_attn.k_proj", "attn_k"),
    ("self_attn.v_proj", "attn_v"), ("self_attn.o_proj", "attn_output"),
    ("mlp.gate_proj", "ffn_gate"), ("mlp.up_proj", "ffn_up"), ("mlp.down_proj", "ffn_down"),
])
def test_peft_names_map_to_llama_cpp_names(module, target):
    assert llama_cpp_name(f"base_model.model.model.layers.12.{module}.lora_A.weight") == \
        f"blk.12.{target}.weight.lora_a"
    assert llama_cpp_name(f"base_model.model.model.layers.0.{module}.lora_B.weight") == \
        f"blk.0.{target}.weight.lora_b"
    # the adapter-named form (as in a peft model's own state dict) maps the same way
    assert llama_cpp_name(f"base_model.model.model.layers.3.{module}.lora_B.default.weight") == \
        f"blk.3.{target}.weight.lora_b"
    assert len(MODULES) == 7


@pytest.mark.parametrize("name", [
    "base_model.model.model.embed_tokens.lora_embedding_A",
    "base_model.model.lm_head.lora_A.weight",
    "base_model.model.model.layers.0.self_attn.rotary.lora_A.weight",
    "base_model.model.model.layers.0.mlp.down_proj.base_layer.weight",
])
def test_tensors_llama_cpp_cannot_name_are_refused(name):
    with pytest.raises(TrainingError, match="cannot export LoRA tensor"):
        llama_cpp_name(name)


def test_permute_rows_is_llama_cpps_rope_permutation():
    np = pytest.importorskip("numpy")
    # 2 heads of dim 4, 1 column: llama.cpp interleaves each head's two halves
    w = np.arange(8).reshape(8, 1)
    assert permute_rows(w, 2)[:, 0].tolist() == [0, 2, 1, 3, 4, 6, 5, 7]
    # grouped-query k: the permutation uses the kv head count
    assert permute_rows(w, 4, 2)[:, 0].tolist() == [0, 2, 1, 3, 4, 6, 5, 7]
    # transformers' GGUF loader undoes exactly this permutation
    gguf_utils = pytest.importorskip("transformers.modeling_gguf_pytorch_utils")
    proc = gguf_utils.LlamaTensorProcessor(config={})
    assert proc._reverse_permute_weights(permute_rows(w, 2), 2, 2).tolist() == w.tolist()
