"""Full-text search over a folder of notes (.md / .txt) with BM25, as a tool.

Files are cut into passages of at most ~800 characters along headings and paragraphs, so the
model reads a few relevant paragraphs rather than whole files. The index is built on the
first search (bm25s loads only then, keeping start-up fast) and reused afterwards.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field

from toolweave.tools.tool import Tool, tool

MAX_PASSAGE_CHARS = 800
EXTENSIONS = (".md", ".markdown", ".txt")
# bm25s's English list plus question words, which say nothing about the topic.
_STOPWORD_TEXT = (
    "a an and are as at be but by for if in into is it no not of on or such that the their "
    "then there these they this to was will with what which who whom how when where why "
    "do does did can could would should i me my we our you your am been being has have had"
)
_STOPWORDS = frozenset(_STOPWORD_TEXT.split())
_WORD = re.compile(r"\w+")
_HEADING = re.compile(r"^#{1,6}\s+(.*?)\s*#*\s*$")


@dataclass(frozen=True)
class Passage:
    """A piece of one file: its path relative to the folder, nearest heading and text."""

    file: str
    heading: str
    text: str


@dataclass(frozen=True)
class Hit:
    """A passage found by a search and its BM25 score."""

    passage: Passage
    score: float


def tokenize(text: str) -> list[str]:
    """Lower-cased words without stopwords, with plurals folded (``widgets`` → ``widget``)."""
    return [_fold_plural(w) for w in _WORD.findall(text.lower()) if w not in _STOPWORDS]


def _fold_plural(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def split_passages(text: str, file: str, max_chars: int = MAX_PASSAGE_CHARS) -> list[Passage]:
    """Cut one document into passages: a heading starts a new one, paragraphs fill it up."""
    passages: list[Passage] = []
    heading, parts = "", []

    def flush() -> None:
        if parts:
            passages.append(Passage(file, heading, "\n\n".join(parts)))
            parts.clear()

    for block in re.split(r"\n\s*\n", text):
        lines = block.strip().splitlines()
        if lines and _HEADING.match(lines[0]):
            flush()
            heading = _HEADING.match(lines[0]).group(1)
            lines = lines[1:]
        for piece in _pieces("\n".join(lines).strip(), max_chars):
            if parts and sum(len(p) + 2 for p in parts) + len(piece) > max_chars:
                flush()
            parts.append(piece)
    flush()
    return passages


def _pieces(paragraph: str, max_chars: int) -> list[str]:
    """A paragraph as it is, or cut at sentence ends (then anywhere) to fit ``max_chars``."""
    if len(paragraph) <= max_chars:
        return [paragraph] if paragraph else []
    pieces, current = [], ""
    for sentence in re.split(r"(?<=[.!?])\s+", paragraph):
        while len(sentence) > max_chars:
            pieces.append(sentence[:max_chars])
            sentence = sentence[max_chars:]
        if current and len(current) + 1 + len(sentence) > max_chars:
            pieces.append(current)
            current = ""
        current = f"{current} {sentence}".strip()
    return pieces + ([current] if current else [])


class DocsIndex:
    """A BM25 index over the text files under ``folder``, built once on first use."""

    def __init__(self, folder: str | Path, *, max_passage_chars: int = MAX_PASSAGE_CHARS) -> None:
        self.folder = Path(folder)
        if not self.folder.is_dir():
            raise FileNotFoundError(f"docs folder {str(self.folder)!r} does not exist")
        self.max_passage_chars = max_passage_chars
        self._passages: list[Passage] | None = None
        self._retriever: Any = None
        # Sync tools run in worker threads, so two first searches may race to build.
        self._lock = threading.Lock()

    @property
    def passages(self) -> list[Passage]:
        """All passages, in file then position order (builds the index if needed)."""
        self.build()
        assert self._passages is not None
        return self._passages

    def build(self) -> None:
        """Read the files and index them; later calls do nothing."""
        with self._lock:
            if self._passages is not None:
                return
            passages = []
            for path in sorted(self.folder.rglob("*")):
                relative = path.relative_to(self.folder)
                if path.suffix.lower() in EXTENSIONS and path.is_file() and \
                        not any(p.startswith(".") for p in relative.parts):
                    text = path.read_text(encoding="utf-8", errors="replace")
                    passages += split_passages(text, relative.as_posix(), self.max_passage_chars)
            self._retriever = _bm25([_passage_tokens(p) for p in passages]) if passages else None
            self._passages = passages

    def search(self, query: str, k: int = 3) -> list[Hit]:
        """The best ``k`` passages for ``query``, best first; only passages sharing a word."""
        passages = self.passages
        tokens = tokenize(query)
        if self._retriever is None or not tokens or k < 1:
            return []
        ids, scores = self._retriever.retrieve(
            [tokens], k=min(k, len(passages)), show_progress=False, n_threads=1
        )
        return [Hit(passages[int(i)], float(s)) for i, s in zip(ids[0], scores[0]) if s > 0]


def _passage_tokens(passage: Passage) -> list[str]:
    # The file name and heading count as words of the passage: "warranty.md" is about warranty.
    stem = Path(passage.file).stem.replace("-", " ").replace("_", " ")
    return tokenize(f"{stem} {passage.heading} {passage.text}")


def _bm25(corpus_tokens: list[list[str]]) -> Any:
    import bm25s  # loaded on first search only: it pulls in numpy

    retriever = bm25s.BM25()
    retriever.index(corpus_tokens, show_progress=False)
    return retriever


def format_hits(hits: list[Hit], query: str) -> str:
    """Hits as numbered passages headed by their file (and section)."""
    if not hits:
        return f"No passages match {query!r}. Try other or fewer words."
    blocks = []
    for n, hit in enumerate(hits, 1):
        where = hit.passage.file + (f" § {hit.passage.heading}" if hit.passage.heading else "")
        blocks.append(f"[{n}] {where}\n{hit.passage.text}")
    return "\n\n".join(blocks)


def make_search_docs(folder: str | Path | DocsIndex) -> Tool:
    """A ``search_docs`` tool over ``folder`` (or a ready `DocsIndex`)."""
    index = folder if isinstance(folder, DocsIndex) else DocsIndex(folder)

    @tool(name="search_docs")
    def search_docs(query: str, k: Annotated[int, Field(ge=1, le=10)] = 3) -> str:
        """Search the documentation for facts and return the most relevant passages.

        Args:
            query: the keywords from the question to look for.
            k: how many passages to return.
        """
        return format_hits(index.search(query, k), query)

    return search_docs
