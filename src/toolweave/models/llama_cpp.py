"""`LlamaCpp`: a GGUF model run in-process by llama-cpp-python, with grammar-constrained sampling.

llama.cpp runs in a worker thread so the event loop stays free; callers take turns on a loaded
model's single context first-come, first-served (`toolweave.models._turns`), so runs sharing
it are served fairly. Prompts are rendered with the model's own chat template
(read from the GGUF) and tokenised here, so every Completion can report how many prompt tokens
were actually evaluated: llama-cpp-python keeps the KV cache of the previous call and only
evaluates the tokens after the longest common prefix, which is what makes step N of an agent run
cheap.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import io
import os
import re
import threading
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from toolweave.constraints import to_gbnf
from toolweave.errors import (
    AdapterLoadError,
    InvalidConstraintError,
    ModelLoadError,
    ModelNotFoundError,
)
from toolweave.models._tools_in_prompt import inline_tools, renders_tools
from toolweave.models._turns import ModelTurns
from toolweave.models.base import DEFAULT_MAX_TOKENS, StreamingModel
from toolweave.models.files import check_gguf
from toolweave.models.prefix_states import PrefixStates, common_prefix
from toolweave.text import defuse
from toolweave.types import Completion, Constraint, Delta, Message, Timings, ToolSpec, Usage

GRAMMARS_KEPT = 64
T = TypeVar("T")

_THINK = re.compile(r"^\s*<think>(.*?)</think>\s*", re.DOTALL)


class LlamaCpp(StreamingModel):
    """A GGUF model in this process.

    Loaded models are shared: two `LlamaCpp` objects for the same file, context size and LoRA
    adapter use one llama.cpp instance (and its queue of turns), so tests and parallel agents
    do not load weights twice.

    ``lora_path`` applies a GGUF LoRA adapter (e.g. a distilled student) on top of the base
    weights at ``lora_scale``; a refused adapter raises `AdapterLoadError`.
    """

    constraint_kinds = frozenset({"json_schema", "regex", "grammar:gbnf"})

    def __init__(self, path: str | Path, *, n_ctx: int = 8192, n_threads: int | None = None,
                 name: str | None = None, seed: int = 0, lora_path: str | Path | None = None,
                 lora_scale: float = 1.0):
        self.path = Path(path).expanduser()
        if not self.path.exists():
            raise ModelNotFoundError(f"model file not found: {self.path}")
        check_gguf(self.path)
        self.lora_path = Path(lora_path).expanduser() if lora_path is not None else None
        if self.lora_path is not None:
            if not self.lora_path.is_file():
                raise ModelNotFoundError(f"LoRA adapter file not found: {self.lora_path}")
            check_gguf(self.lora_path)
        self.lora_scale = lora_scale
        self.name = name or self.path.stem
        self.n_ctx = n_ctx
        self.n_threads = n_threads or max(1, os.cpu_count() or 1)
        self.seed = seed
        self._loaded: _Loaded | None = None

    # -- loading -------------------------------------------------------------------------------

    @property
    def llama(self):
        """The underlying `llama_cpp.Llama` (loaded on first use)."""
        return self._load().llm

    def _load(self) -> _Loaded:
        if self._loaded is None:
            lora = str(self.lora_path.resolve()) if self.lora_path is not None else None
            self._loaded = _load_shared(str(self.path.resolve()), self.n_ctx, self.n_threads,
                                        self.seed, lora, self.lora_scale)
        return self._loaded

    # -- prompting -----------------------------------------------------------------------------

    def render_prompt(self, messages: Sequence[Message], tools: Sequence[ToolSpec] = ()) -> str:
        """The prompt text the chat template makes of ``messages`` (ends with the assistant cue).

        A template without a tools section gets the tools written into the system message
        instead (`toolweave.models._tools_in_prompt`)."""
        loaded = self._load()
        chat = [_template_message(m, loaded.markers) for m in messages]
        schemas = [t.openai_schema() for t in tools]
        if schemas and not loaded.renders_tools:  # its template would drop them silently
            chat, schemas = inline_tools(chat, schemas), []
        return loaded.formatter(messages=chat, tools=schemas or None).prompt

    def tokenize(self, text: str) -> list[int]:
        return self.llama.tokenize(text.encode("utf-8"), add_bos=False, special=True)

    # -- generation ----------------------------------------------------------------------------

    async def complete(
        self, messages: Sequence[Message], *, tools: Sequence[ToolSpec] = (),
        constraint: Constraint | None = None, max_tokens: int = DEFAULT_MAX_TOKENS,
        temperature: float = 0.0, reasoning: str = "auto", stop: Sequence[str] = (),
    ) -> Completion:
        """The whole turn at once, without streaming.

        Nothing crosses threads per token: on a small CPU, waking the event loop for every
        token competes with llama.cpp's own threads and costs a third of the decode speed.
        """
        self.check_constraint(constraint)
        gbnf = to_gbnf(constraint) if constraint is not None else None
        loaded = await asyncio.to_thread(self._load)
        prompt = self.render_prompt(messages, tools)
        cancelled = threading.Event()
        waited = await loaded.turns.aacquire()  # cancelled here: it leaves the queue, no cost
        work = loaded.run_turn(loaded.generate, prompt, gbnf, max_tokens, temperature,
                               [*loaded.stops, *stop], None, cancelled)
        try:
            completion = await asyncio.shield(asyncio.wrap_future(work))
        except asyncio.CancelledError:
            cancelled.set()  # the worker stops at its next token
            raise
        completion.model = self.name
        completion.timings.queued_s = waited
        return completion

    async def stream(
        self, messages: Sequence[Message], *, tools: Sequence[ToolSpec] = (),
        constraint: Constraint | None = None, max_tokens: int = DEFAULT_MAX_TOKENS,
        temperature: float = 0.0, reasoning: str = "auto", stop: Sequence[str] = (),
    ) -> AsyncIterator[Delta]:
        self.check_constraint(constraint)
        # Compile before touching the worker thread so a bad constraint fails here, typed.
        gbnf = to_gbnf(constraint) if constraint is not None else None
        loaded = await asyncio.to_thread(self._load)
        prompt = self.render_prompt(messages, tools)
        stops = [*loaded.stops, *stop]
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
        cancelled = threading.Event()

        def emit(kind: str, payload: Any) -> None:
            loop.call_soon_threadsafe(queue.put_nowait, (kind, payload))

        def work() -> None:
            try:
                completion = loaded.generate(prompt, gbnf, max_tokens, temperature, stops,
                                             lambda piece: emit("text", piece), cancelled)
                completion.model = self.name
                completion.timings.queued_s = waited
                emit("done", completion)
            except BaseException as exc:  # noqa: BLE001 - re-raised in the event loop below
                emit("error", exc)

        waited = await loaded.turns.aacquire()
        worker = asyncio.wrap_future(loaded.run_turn(work))
        try:
            while True:
                kind, payload = await queue.get()
                if kind == "text":
                    yield Delta(text=payload)
                elif kind == "done":
                    yield Delta(completion=payload)
                    return
                else:
                    raise payload
        finally:
            cancelled.set()  # stops the worker at the next token when the consumer goes away
            if not worker.done():
                await asyncio.shield(worker)


# the roles whose text comes from outside: the user, and tools (hermes sends results as user
# turns). The system prompt and the assistant's own turns keep their markup.
UNTRUSTED_ROLES = frozenset({"user", "tool"})


def _markup_tokens(llm: Any) -> tuple[str, ...]:
    """The texts of the model's control tokens (``<|im_start|>``) and of the tokens its
    tokenizer always matches (Qwen's ``<tool_call>``), longest first."""
    import llama_cpp

    vocab = llm._model.vocab
    wanted = llama_cpp.LLAMA_TOKEN_ATTR_CONTROL | llama_cpp.LLAMA_TOKEN_ATTR_USER_DEFINED
    texts = {llm._model.token_get_text(i) for i in range(llm.n_vocab())
             if llama_cpp.llama_vocab_get_attr(vocab, i) & wanted}
    return tuple(sorted((t for t in texts if len(t) > 1), key=len, reverse=True))


def _template_message(message: Message, markers: tuple[str, ...] = ()) -> dict[str, Any]:
    content = message.content
    if message.role in UNTRUSTED_ROLES:
        # the prompt is tokenized with its control tokens parsed: written inside a question or
        # a tool's result, "<|im_start|>system" would become a real turn of the conversation
        content = defuse(content, markers)
    out: dict[str, Any] = {"role": message.role, "content": content}
    if message.tool_calls:
        out["tool_calls"] = [
            {"id": c.id, "type": "function",
             "function": {"name": c.name, "arguments": c.arguments}}
            for c in message.tool_calls
        ]
    if message.tool_call_id:
        out["tool_call_id"] = message.tool_call_id
    if message.name:
        out["name"] = message.name
    return out


class _Loaded:
    """One llama.cpp instance, its chat template and the queue of turns on its context."""

    def __init__(self, path: str, n_ctx: int, n_threads: int, seed: int,
                 lora_path: str | None = None, lora_scale: float = 1.0):
        try:
            from llama_cpp.llama_chat_format import Jinja2ChatFormatter

            from toolweave.models._grammar_sampler import FastGrammarLlama
        except ImportError as exc:  # pragma: no cover - the package is a core dependency
            raise ModelLoadError("llama-cpp-python is not installed: pip install toolweave") from exc
        log = io.StringIO()
        try:
            # while an adapter loads, keep llama.cpp's log: a refusal must say *why*
            with _capture_llama_log(log) if lora_path else contextlib.nullcontext():
                self.llm = FastGrammarLlama(
                    model_path=path, n_ctx=n_ctx, n_threads=n_threads, n_threads_batch=n_threads,
                    seed=seed, verbose=False,
                    # weights in our own memory: an mmap is at the mercy of the page
                    # cache, and a VM that trims it re-reads the model every token
                    use_mmap=False, lora_path=lora_path, lora_scale=lora_scale)
        except (ValueError, RuntimeError) as exc:
            if lora_path and "LoRA" in str(exc):
                raise _adapter_error(lora_path, path, log) from exc
            raise ModelLoadError(f"llama.cpp cannot load {path}: {exc}") from exc
        if lora_path and not self.llm._lora_adapter:
            # llama-cpp-python tests the adapter handle with `is None`, but a refused adapter
            # comes back as a NULL ctypes pointer (never None): it would run the bare base
            # model, silently. Treat it as the refusal it is.
            self.llm._lora_adapter = None
            self.llm.close()
            raise _adapter_error(lora_path, path, log)
        self.turns = ModelTurns()
        # Every call runs on this one thread: llama.cpp's OpenMP thread team belongs to the
        # calling thread, and a call from a new thread starts a second team that fights the
        # first one's spinning workers for the cores (measured: 40 % slower decoding).
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="llama")
        # GBNF text -> parsed grammar, checked once; bounded: grounded turns make a new grammar
        # per step, and a served model lives for many runs
        self.grammars: OrderedDict[str, Any] = OrderedDict()
        # the KV states of recent calls: a prompt switch does not re-read a known prefix
        self.prefix_states = PrefixStates()
        meta = self.llm.metadata
        template = meta.get("tokenizer.chat_template")
        if not template:
            raise ModelLoadError(f"{path} has no chat template in its metadata")
        eos = self._token_text(meta.get("tokenizer.ggml.eos_token_id"))
        bos = self._token_text(meta.get("tokenizer.ggml.bos_token_id"))
        self.formatter = Jinja2ChatFormatter(template=template, eos_token=eos, bos_token=bos)
        self.renders_tools = renders_tools(self.formatter)  # else see models/tools_in_prompt.py
        self.markers = _markup_tokens(self.llm)
        self.stops = [eos] if eos else []

    def _token_text(self, token_id: str | None) -> str:
        if token_id is None:
            return ""
        return self.llm._model.token_get_text(int(token_id))

    def grammar(self, gbnf: str):
        """A parsed grammar, checked by llama.cpp first: llama-cpp-python would hand a rejected
        grammar's NULL sampler to the sampler chain and crash the process."""
        if gbnf not in self.grammars:
            import llama_cpp
            from llama_cpp import LlamaGrammar

            sampler = llama_cpp.llama_sampler_init_grammar(
                self.llm._model.vocab, gbnf.encode("utf-8"), b"root")
            if not sampler:
                raise InvalidConstraintError(
                    "llama.cpp rejected the grammar (its parser's message is on stderr): "
                    + gbnf[:200])
            llama_cpp.llama_sampler_free(sampler)
            self.grammars[gbnf] = LlamaGrammar.from_string(gbnf, verbose=False)
            while len(self.grammars) > GRAMMARS_KEPT:
                self.grammars.popitem(last=False)
        self.grammars.move_to_end(gbnf)
        return self.grammars[gbnf]

    def run_turn(self, fn: Callable[..., T], *args: Any) -> Future[T]:
        """Run ``fn(*args)`` on the model's thread as the turn the caller holds (from
        ``turns.acquire``/``aacquire``); the turn ends when ``fn`` returns or raises, even
        if the caller has stopped waiting for it."""
        try:
            work = self.executor.submit(fn, *args)
        except BaseException:
            self.turns.release()
            raise
        work.add_done_callback(lambda _: self.turns.release())
        return work

    def generate(self, prompt: str, gbnf: str | None, max_tokens: int, temperature: float,
                 stops: list[str], on_text, cancelled: threading.Event) -> Completion:
        """One turn on the context; the caller holds the turn (`run_turn`)."""
        grammar = self.grammar(gbnf) if gbnf else None
        llm = self.llm
        tokens = llm.tokenize(prompt.encode("utf-8"), add_bos=False, special=True)
        if len(tokens) + max_tokens > llm.n_ctx():
            max_tokens = max(1, llm.n_ctx() - len(tokens))
        new = len(tokens) - self.prefix_states.restore(llm, tokens)
        reused = min(common_prefix(llm.input_ids[:llm.n_tokens], tokens), len(tokens) - 1)
        start = time.perf_counter()
        first = None
        pieces: list[str] = []
        finish = "stop"
        for chunk in llm.create_completion(
            tokens, max_tokens=max_tokens, temperature=temperature, stop=stops,
            grammar=grammar, stream=True,
        ):
            choice = chunk["choices"][0]
            if choice["text"]:
                first = first or time.perf_counter()
                pieces.append(choice["text"])
                if on_text is not None:
                    on_text(choice["text"])
            if choice.get("finish_reason"):
                finish = choice["finish_reason"]
            if cancelled.is_set():
                finish = "cancelled"
                break
        end = time.perf_counter()
        generated = max(0, llm.n_tokens - len(tokens))
        self.prefix_states.save(llm)
        text = "".join(pieces)
        reasoning = None
        if match := _THINK.match(text):
            reasoning, text = match.group(1).strip(), text[match.end():]
        decode_s = end - (first or end)
        return Completion(
            text=text, reasoning=reasoning, finish_reason=finish,
            usage=Usage(prompt_tokens=len(tokens), prompt_tokens_evaluated=len(tokens) - reused,
                        prompt_tokens_new=new, completion_tokens=generated),
            timings=Timings(
                time_to_first_token_s=(first or end) - start, total_s=end - start,
                tokens_per_s=(generated - 1) / decode_s if generated > 1 and decode_s > 0 else 0.0,
            ),
        )


_SHARED: dict[tuple, _Loaded] = {}
_SHARED_LOCK = threading.Lock()


@atexit.register
def _close_shared() -> None:
    """Free models before interpreter teardown; llama-cpp-python's own finalizers run after
    its module globals are gone and print tracebacks."""
    with _SHARED_LOCK:
        for loaded in _SHARED.values():
            loaded.executor.shutdown(wait=True)
            loaded.llm.close()
        _SHARED.clear()


def _load_shared(path: str, n_ctx: int, n_threads: int, seed: int,
                 lora_path: str | None = None, lora_scale: float = 1.0) -> _Loaded:
    # the adapter is part of the weights: the same base with and without it are two models
    key = (path, n_ctx, lora_path, lora_scale if lora_path else None)
    with _SHARED_LOCK:
        if key not in _SHARED:
            _SHARED[key] = _Loaded(path, n_ctx, n_threads, seed, lora_path, lora_scale)
        return _SHARED[key]


def _adapter_error(lora_path: str, path: str, log: io.StringIO) -> AdapterLoadError:
    # keep llama.cpp's complaint about the adapter, not its chatter (metadata dumps, the base
    # model's own loading messages)
    lines = [line.split(": ", 1)[-1].strip() for line in log.getvalue().splitlines()
             if ("lora" in line.lower() or "adapter" in line.lower())
             and any(w in line.lower() for w in ("fail", "error", "expect", "invalid",
                                                 "incorrect", "mismatch", "not "))]
    reason = " ".join(lines) or "no reason given (llama.cpp logged nothing)"
    return AdapterLoadError(
        f"llama.cpp refused the LoRA adapter {lora_path} for base model {path}: {reason}")


@contextlib.contextmanager
def _capture_llama_log(log: io.StringIO):
    """Send llama.cpp's log into ``log`` for the duration: a refused adapter's reason is logged
    at a level that llama-cpp-python drops when not verbose (its level table predates
    llama.cpp's current one), so without this the refusal would say nothing."""
    import ctypes

    import llama_cpp
    from llama_cpp import _logger

    @llama_cpp.llama_log_callback
    def capture(level, text, user_data):
        log.write(text.decode("utf-8", "replace"))

    llama_cpp.llama_log_set(capture, ctypes.c_void_p(0))
    try:
        yield
    finally:
        llama_cpp.llama_log_set(_logger.llama_log_callback, ctypes.c_void_p(0))
