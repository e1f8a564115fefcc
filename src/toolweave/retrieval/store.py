"""Saving and loading a `ToolCatalog` directory.

Layout (``format`` 1)::

    manifest.json    format, embedder name, BM25 tokenizer, per-tool content hash, row starts,
                     row text hashes
    specs.json       the ToolSpecs, in catalog order
    queries.json     synthetic queries per tool (from `augment`)
    embeddings.npy   one float32 row per indexed text (absent when BM25 only)
    bm25/            the bm25s index

Loading reads these as they are, with no tokenising or embedding, so a 10k-tool catalog opens in
a fraction of a second; the embedding model is loaded only when a dense search needs it.
The row text hashes seed the embedding cache, so after ``add`` a re-save embeds only new texts.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from toolweave.errors import ToolweaveError
from toolweave.retrieval.documents import TOKENIZER, text_hash
from toolweave.retrieval.embedders import embedder_named

if TYPE_CHECKING:
    from toolweave.retrieval.catalog import ToolCatalog

FORMAT = 1


class CatalogStoreError(ToolweaveError):
    """A catalog directory that is missing, incomplete or of another format."""


class LazyEmbedder:
    """Stands in for a saved catalog's embedder; builds the real one on first use."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._real: Any = None

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if self._real is None:
            self._real = embedder_named(self.name)
            if self._real is None:
                raise CatalogStoreError(f"the catalog was embedded with {self.name!r}, which "
                                        "cannot be loaded here; pass embedder= to load it")
        return self._real.embed(texts)


def save_catalog(catalog: ToolCatalog, directory: str | Path) -> None:
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    texts, _ = catalog.rows()
    embedder = catalog.embedder
    manifest = {
        "format": FORMAT,
        "embedder": embedder.name if embedder is not None and catalog._matrix is not None
        else None,
        "bm25_tokenizer": TOKENIZER,
        "tools": catalog.content_hashes(),
        "starts": catalog._starts.tolist(),
        "row_hashes": [text_hash(t) for t in texts],
    }
    specs = [s.model_dump(mode="json", exclude_defaults=True) for s in catalog.specs()]
    (out / "specs.json").write_text(json.dumps(specs), encoding="utf-8")
    (out / "queries.json").write_text(json.dumps(catalog.queries), encoding="utf-8")
    if catalog._matrix is not None:
        np.save(out / "embeddings.npy", catalog._matrix)
    elif (out / "embeddings.npy").exists():
        (out / "embeddings.npy").unlink()
    catalog._bm25.save(str(out / "bm25"), show_progress=False)
    # The manifest goes last: a directory without one was never completely written.
    (out / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")


def load_catalog(cls: type[ToolCatalog], directory: str | Path, embedder: Any) -> ToolCatalog:
    import bm25s
    from pydantic import TypeAdapter

    from toolweave.types import ToolSpec

    src = Path(directory)
    try:
        manifest = json.loads((src / "manifest.json").read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CatalogStoreError(f"{src}: no manifest.json; not a saved tool catalog "
                                "(make one with `toolweave tools index`)") from None
    except (OSError, ValueError) as exc:
        raise CatalogStoreError(f"{src}/manifest.json: unreadable: {exc}") from None
    if manifest.get("format") != FORMAT:
        raise CatalogStoreError(f"{src}: catalog format {manifest.get('format')!r}, this "
                                f"toolweave reads format {FORMAT}; re-index it")
    stored = manifest.get("embedder")
    if embedder == "auto":
        # A BM25-only catalog stays so: embedding it now would stall the first search.
        embedder = LazyEmbedder(stored) if stored else None
    catalog = cls(embedder=embedder)
    specs = TypeAdapter(list[ToolSpec]).validate_json((src / "specs.json").read_bytes())
    catalog._specs = {s.name: s for s in specs}
    catalog.queries = json.loads((src / "queries.json").read_text(encoding="utf-8"))
    catalog._order = list(catalog._specs)
    catalog._starts = np.asarray(manifest["starts"], np.int64)
    catalog._bm25 = bm25s.BM25.load(str(src / "bm25"), show_progress=False)
    vectors = src / "embeddings.npy"
    same_space = stored is not None and catalog.embedder is not None \
        and catalog.embedder.name == stored
    if same_space and vectors.exists():
        catalog._matrix = np.load(vectors)
        catalog._cache = dict(zip(manifest["row_hashes"], catalog._matrix))
        catalog._cache_space = stored
        catalog._dirty = False
    else:
        # No vectors, or vectors from another model: rebuild (and embed) on first search.
        catalog._dirty = catalog.embedder is not None
    # Catalogs from before the tokenizer was recorded used this very one.
    if manifest.get("bm25_tokenizer", TOKENIZER) != TOKENIZER:
        catalog._dirty = True  # BM25 tokens of another tokenizer: re-index on first search
    return catalog
