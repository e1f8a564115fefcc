"""Write a peft LoRA as a GGUF LoRA adapter that llama.cpp (``Llama(lora_path=...)``) loads.

The layout follows llama.cpp's ``convert_lora_to_gguf.py`` and the checks of its adapter loader:

- metadata ``general.architecture`` = the base model's, ``general.type = "adapter"``,
  ``adapter.type = "lora"``, ``adapter.lora.alpha`` (llama.cpp scales by alpha / rank, as peft
  does, times the user's ``lora_scale``);
- per target weight ``blk.N.attn_q.weight`` two tensors ``….lora_a`` and ``….lora_b``, written
  with peft's shapes: A is (rank, in) and B is (out, rank), which GGUF stores as ne = [in, rank]
  and [rank, out]; llama.cpp checks ``base.ne[0] == a.ne[0]`` and ``base.ne[1] == b.ne[1]``.
- llama-architecture GGUFs store q/k projection rows permuted for llama.cpp's rope layout
  (``LlamaModel.permute`` in ``convert_hf_to_gguf.py``), and transformers undoes that when it
  loads a GGUF. The adapter was trained in transformers' layout, so B's rows (the output side of
  ΔW = B·A) get the same permutation before they are written; A is untouched.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from toolweave.errors import TrainingError

# transformers module path (after model.layers.N.) -> llama.cpp tensor base name
MODULES = {
    "self_attn.q_proj": "attn_q",
    "self_attn.k_proj": "attn_k",
    "self_attn.v_proj": "attn_v",
    "self_attn.o_proj": "attn_output",
    "mlp.gate_proj": "ffn_gate",
    "mlp.up_proj": "ffn_up",
    "mlp.down_proj": "ffn_down",
}
# what peft's LoraConfig(target_modules=...) matches: the last name of each module path
TARGET_MODULES = sorted({path.rsplit(".", 1)[1] for path in MODULES})

# the architectures whose GGUF q/k weights are stored permuted (see the module docstring)
_PERMUTED_QK = {"llama"}

_NAME = re.compile(
    r"^(?:base_model\.model\.)?model\.layers\.(\d+)\.(\w+\.\w+)\.lora_([AB])(?:\.\w+)?\.weight$")


def llama_cpp_name(peft_name: str) -> str:
    """``base_model.model.model.layers.3.self_attn.q_proj.lora_A.weight`` ->
    ``blk.3.attn_q.weight.lora_a``. Raises `TrainingError` for a tensor llama.cpp has no name
    for (e.g. a LoRA on the embeddings)."""
    match = _NAME.match(peft_name)
    if not match or match.group(2) not in MODULES:
        raise TrainingError(
            f"cannot export LoRA tensor {peft_name!r} to llama.cpp: only the attention and MLP "
            f"projections are supported ({', '.join(MODULES)})")
    layer, module, side = match.groups()
    return f"blk.{layer}.{MODULES[module]}.weight.lora_{side.lower()}"


def permute_rows(weight, n_head: int, n_head_kv: int | None = None):
    """llama.cpp's q/k row permutation (``LlamaModel.permute``) applied to the rows of
    ``weight`` (a torch tensor or numpy array with the output dimension first)."""
    if n_head_kv is not None and n_head != n_head_kv:
        n_head = n_head_kv
    shape = weight.shape
    return (weight.reshape(n_head, 2, shape[0] // n_head // 2, *shape[1:])
            .swapaxes(1, 2)
            .reshape(shape))


def write_lora_gguf(state: Mapping[str, Any], path: str | Path, *, arch: str, alpha: float,
                    n_head: int, n_head_kv: int, dtype: str = "f32",
                    name: str | None = None) -> int:
    """Write peft's LoRA ``state`` (``get_peft_model_state_dict``) to ``path``; returns the
    number of adapted weights. ``dtype`` is ``"f32"`` or ``"f16"``."""
    import gguf
    import numpy as np

    if dtype not in ("f32", "f16"):
        raise TrainingError(f"adapter dtype must be f32 or f16, not {dtype!r}")
    np_dtype = np.float32 if dtype == "f32" else np.float16
    tensors: dict[str, Any] = {}
    for peft_name, tensor in state.items():
        target = llama_cpp_name(peft_name)
        data = tensor.detach().to("cpu").float().numpy()
        if arch in _PERMUTED_QK and target.endswith(".lora_b"):
            if ".attn_q." in target:
                data = permute_rows(data, n_head, n_head)
            elif ".attn_k." in target:
                data = permute_rows(data, n_head, n_head_kv)
        tensors[target] = np.ascontiguousarray(data.astype(np_dtype))
    pairs = {n.rsplit(".", 1)[0] for n in tensors}
    for weight in pairs:
        if f"{weight}.lora_a" not in tensors or f"{weight}.lora_b" not in tensors:
            raise TrainingError(f"LoRA state has only one of lora_a/lora_b for {weight}")

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = gguf.GGUFWriter(str(path), arch)  # writes general.architecture
    writer.add_type(gguf.GGUFType.ADAPTER)
    writer.add_string(gguf.Keys.Adapter.TYPE, "lora")
    writer.add_float32(gguf.Keys.Adapter.LORA_ALPHA, float(alpha))
    if name:
        writer.add_name(name)
    for tensor_name in sorted(tensors, key=_natural):
        writer.add_tensor(tensor_name, tensors[tensor_name])
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return len(pairs)


def _natural(name: str) -> tuple:
    return tuple(int(p) if p.isdigit() else p for p in name.split("."))
