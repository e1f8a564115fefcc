"""Model spec strings, used the same way by the CLI, config files and the Python API.

    default | tiny                     an embedded model (installed from wheels)
    path/to/model.gguf                 any GGUF file, run in-process
    hf:owner/repo/file.gguf[@rev]      downloaded once into the cache, then run in-process
    http://host:port/v1[#model-name]   an OpenAI-compatible server (vLLM, sglang, Ollama, ...)

A dialect for server-side constraints can be given as ``?dialect=vllm`` (see `openai_compat`).
"""

from __future__ import annotations

from toolweave.errors import ModelSpecError
from toolweave.models.base import ChatModel


def load_model(spec: str | ChatModel, **options) -> ChatModel:
    """Turn a spec string into a ready `ChatModel` (a model object is returned as is)."""
    if not isinstance(spec, str):
        return spec
    spec = spec.strip()
    if not spec:
        raise ModelSpecError("empty model spec")
    if spec.startswith(("http://", "https://")):
        from toolweave.models.openai_compat import OpenAICompatible

        return OpenAICompatible.from_spec(spec, **options)
    from toolweave.models.llama_cpp import LlamaCpp

    if spec in _embedded():
        model = _embedded()[spec]
        return LlamaCpp(model.path(), n_ctx=options.pop("n_ctx", model.n_ctx), name=spec, **options)
    if spec.startswith("hf:"):
        from toolweave.models.download import hf_download

        return LlamaCpp(hf_download(spec), name=spec, **options)
    if spec.endswith(".gguf") or "/" in spec:
        return LlamaCpp(spec, **options)
    known = ", ".join(sorted(_embedded()))
    raise ModelSpecError(
        f"unknown model spec {spec!r}: use one of {known}, a .gguf path, hf:owner/repo/file.gguf "
        "or http://host:port/v1"
    )


def _embedded():
    from toolweave.models.embedded import EMBEDDED

    return EMBEDDED
