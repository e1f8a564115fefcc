"""Fixtures for retrieval tests: a tiny counting embedder and small tool sets."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from toolweave.retrieval.documents import tokens
from toolweave.types import ToolSpec


class CountingEmbedder:
    """Hashed bag-of-words vectors; records every batch it is asked to embed."""

    name = "counting-test"

    def __init__(self, dim: int = 64) -> None:
        self.dim = dim
        self.batches: list[list[str]] = []

    def embed(self, texts):
        self.batches.append(list(texts))
        out = np.zeros((len(texts), self.dim), np.float32)
        for row, text in enumerate(texts):
            for tok in tokens(text) or ["_"]:
                out[row, int(hashlib.md5(tok.encode()).hexdigest(), 16) % self.dim] += 1.0
        return out / np.linalg.norm(out, axis=1, keepdims=True)

    @property
    def texts(self) -> list[str]:
        return [t for batch in self.batches for t in batch]


def spec(name: str, description: str, **params: str) -> ToolSpec:
    return ToolSpec(name=name, description=description, parameters={
        "type": "object",
        "properties": {p: {"type": "string", "description": d} for p, d in params.items()}})


TOOLS = [
    spec("get_weather", "Current weather conditions for a city.", city="City name"),
    spec("bookFlight", "Book a flight between two airports.", origin="Departure airport code",
         destination="Arrival airport code"),
    spec("send_email", "Send an email message to a recipient.", to="Recipient address",
         body="Message text"),
    spec("convert_currency", "Convert an amount of money from one currency to another.",
         amount="Amount", target="Target currency code"),
    spec("translate_text", "Translate text into another language.", text="Text",
         language="Target language"),
    spec("set_timer", "Start a countdown timer.", minutes="Duration in minutes"),
]


@pytest.fixture
def counting():
    return CountingEmbedder()


@pytest.fixture
def tools() -> list[ToolSpec]:
    return list(TOOLS)
