"""`PrefixStates`: the KV states of a model's recent calls, kept so that switching prompts does
not re-read a prompt the model has already read.

One llama.cpp context holds one conversation: llama-cpp-python rewinds it to the longest
prefix the next prompt shares with the last one and evaluates the rest. Agents switch prompts
often — a DAG's decompose, plan and join phases each have their own; a ReAct run ends with a
short answer prompt; the next question comes back to the long system prompt of tool docs — and
each switch used to re-read thousands of tokens (minutes of prefill for a 0.5B model on 2
cores, over a run). Here each call's sequence state (the KV cells of sequence 0, ~12 KB per
token for Qwen2.5-0.5B; copied in milliseconds) is saved after it ends, and before a call the
saved state sharing the longest prefix with the new prompt is loaded when it beats what the
live context shares by at least `MIN_GAIN` tokens.
"""

from __future__ import annotations

import ctypes
from collections.abc import Sequence

import numpy as np

MAX_STATES = 6  # a run's phases plus the last question's prompts; each is a few MB to ~50 MB
MIN_GAIN = 32  # tokens: below this, loading a state costs about what it saves


class _State:
    def __init__(self, tokens: np.ndarray, data: ctypes.Array):
        self.tokens, self.data = tokens, data


class PrefixStates:
    """Saved sequence states of one `llama_cpp.Llama`, most recent last."""

    def __init__(self, max_states: int = MAX_STATES, min_gain: int = MIN_GAIN):
        self.max_states, self.min_gain = max_states, min_gain
        self.states: list[_State] = []
        self.loads = 0  # how many calls started from a saved state (for tests and benches)

    def save(self, llm) -> None:
        """Keep the state ``llm`` is in now (after a call); replaces a saved state it extends
        (the same conversation, grown) and drops the oldest past `max_states`."""
        if self.max_states <= 0 or llm.n_tokens == 0:
            return
        import llama_cpp

        tokens = np.array(llm.input_ids[:llm.n_tokens], dtype=np.int32)
        size = llama_cpp.llama_state_seq_get_size(llm.ctx, 0)
        data = (ctypes.c_uint8 * size)()
        written = llama_cpp.llama_state_seq_get_data(llm.ctx, data, size, 0)
        if written == 0:
            return
        self.states = [s for s in self.states
                       if not (len(s.tokens) <= len(tokens)
                               and common_prefix(s.tokens, tokens) == len(s.tokens))]
        self.states.append(_State(tokens, data))
        del self.states[:-self.max_states]

    def restore(self, llm, prompt: Sequence[int]) -> int:
        """Load the saved state sharing the longest prefix with ``prompt`` into ``llm``, when
        it shares `min_gain` tokens more than the live context. Returns the longest prefix
        of ``prompt`` that the live context or any saved state holds (what is not new)."""
        live = common_prefix(llm.input_ids[:llm.n_tokens], prompt)
        if not self.states:
            return live
        import llama_cpp

        shared = [common_prefix(s.tokens, prompt) for s in self.states]
        best = int(np.argmax(shared))
        known = max(live, shared[best])
        if shared[best] < live + self.min_gain:
            return known
        state = self.states[best]
        llama_cpp.llama_memory_seq_rm(llama_cpp.llama_get_memory(llm.ctx), -1, -1, -1)
        if llama_cpp.llama_state_seq_set_data(llm.ctx, state.data, len(state.data), 0) == 0:
            llm.n_tokens = 0  # a refused state leaves nothing reusable: evaluate afresh
            return known
        n = len(state.tokens)
        llm.input_ids[:n] = state.tokens
        llm.n_tokens = n
        # the logits are not the state's: llama-cpp-python decodes at least one token again
        llm._requires_eval = True
        self.loads += 1
        return known


def common_prefix(a: Sequence[int], b: Sequence[int]) -> int:
    """The length of the longest common prefix of two token sequences (vectorised: prompts are
    thousands of tokens and this runs for each saved state)."""
    n = min(len(a), len(b))
    if n == 0:
        return 0
    differ = np.flatnonzero(np.asarray(a[:n]) != np.asarray(b[:n]))
    return int(differ[0]) if len(differ) else n
