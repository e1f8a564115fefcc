"""Cheap grammar-constrained greedy decoding for llama.cpp.

llama-cpp-python puts the grammar sampler in front of the whole vocabulary on every token: for
Qwen's 151k-token vocabulary that costs more than the model's own forward pass on small models.
llama.cpp's own `common` sampler avoids it the same way we do here: take the unconstrained best
token first and ask the grammar about that one token only; only when the grammar rejects it
(rare once the model is on track) is the grammar applied to every candidate. Output is identical
to applying the grammar first, because greedy picks the highest logit either way.
"""

from __future__ import annotations

import ctypes
import math

import llama_cpp
import numpy as np
from llama_cpp import _internals
from llama_cpp.llama import Llama


class GrammarFirstCheckSampler:
    """A llama.cpp sampler (a C interface backed by Python callbacks) wrapping a grammar."""

    def __init__(self, vocab, gbnf: str):
        self.grammar = llama_cpp.llama_sampler_init_grammar(vocab, gbnf.encode("utf-8"), b"root")
        if not self.grammar:
            raise ValueError("llama.cpp rejected the grammar")
        self.full_passes = 0  # how often the fast path failed (for benchmarks)
        iface = llama_cpp.llama_sampler_i()
        # keep references to the callbacks: ctypes does not, and a collected callback crashes
        self._callbacks = (
            llama_cpp.llama_sampler_i_apply(self._apply),
            llama_cpp.llama_sampler_i_accept(self._accept),
            llama_cpp.llama_sampler_i_reset(self._reset),
        )
        iface.apply, iface.accept, iface.reset = self._callbacks
        iface.name = llama_cpp.llama_sampler_i_name(0)
        iface.clone = llama_cpp.llama_sampler_i_clone(0)
        iface.free = llama_cpp.llama_sampler_i_free(0)
        self._iface = iface
        self.sampler = llama_cpp.llama_sampler()
        self.sampler.iface = ctypes.pointer(iface)
        self.sampler.ctx = None

    def pointer(self):
        return ctypes.pointer(self.sampler)

    def _apply(self, _smpl, cur_p) -> None:
        cur = cur_p.contents
        candidates = np.ctypeslib.as_array(cur.data, shape=(cur.size,))
        best = candidates[int(np.argmax(candidates["logit"]))]
        probe = llama_cpp.llama_token_data(id=int(best["id"]), logit=float(best["logit"]), p=0.0)
        single = llama_cpp.llama_token_data_array(
            data=ctypes.pointer(probe), size=1, selected=-1, sorted=False)
        llama_cpp.llama_sampler_apply(self.grammar, ctypes.byref(single))
        if not math.isinf(probe.logit):
            cur.data[0] = llama_cpp.llama_token_data(id=int(best["id"]),
                                                     logit=float(best["logit"]), p=0.0)
            cur.size = 1
            return
        self.full_passes += 1
        llama_cpp.llama_sampler_apply(self.grammar, cur_p)

    def _accept(self, _smpl, token) -> None:
        llama_cpp.llama_sampler_accept(self.grammar, token)

    def _reset(self, _smpl) -> None:
        llama_cpp.llama_sampler_reset(self.grammar)

    def __del__(self):
        if getattr(self, "grammar", None):
            llama_cpp.llama_sampler_free(self.grammar)
            self.grammar = None


class FastGrammarLlama(Llama):
    """`Llama` whose greedy grammar-constrained sampling uses `GrammarFirstCheckSampler`."""

    def _init_sampler(self, **kwargs):
        grammar = kwargs.get("grammar")
        if grammar is None or kwargs.get("temp", 0.8) != 0.0 or kwargs.get("logits_processor") \
                or kwargs.get("repeat_penalty", 1.0) != 1.0:
            return super()._init_sampler(**kwargs)
        chain = _internals.LlamaSampler()
        custom = GrammarFirstCheckSampler(self._model.vocab, grammar._grammar)
        llama_cpp.llama_sampler_chain_add(chain.sampler, custom.pointer())
        # registered so the chain detaches it before freeing (llama.cpp must not free it)
        chain.custom_samplers.append((llama_cpp.llama_sampler_chain_n(chain.sampler) - 1, custom))
        chain.add_greedy()
        return chain
