"""Tool retrieval over catalogs of thousands of tools: BM25 + dense embeddings fused by RRF,
with index augmentation (synthetic queries per tool). Heavy imports happen on first use."""

from __future__ import annotations

from typing import Any

_EXPORTS = {
    "ToolCatalog": "toolweave.retrieval.catalog",
    "Hit": "toolweave.retrieval.catalog",
    "augment": "toolweave.retrieval.augment",
    "augment_async": "toolweave.retrieval.augment",
    "Embedder": "toolweave.retrieval.embedders",
    "OpenAIEmbeddings": "toolweave.retrieval.embedders",
    "default_embedder": "toolweave.retrieval.embedders",
    "CatalogFileError": "toolweave.retrieval.sources",
    "load_file": "toolweave.retrieval.sources",
}

__all__ = ["CatalogFileError", "Embedder", "Hit", "OpenAIEmbeddings", "ToolCatalog", "augment",
           "augment_async", "default_embedder", "load_file"]


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'toolweave.retrieval' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(_EXPORTS[name]), name)
