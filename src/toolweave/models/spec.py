"""Model spec strings, used the same way by the CLI, config files and the Python API.

    default | tiny                     an embedded model (installed from wheels)
    path/to/model.gguf                 any GGUF file, run in-process
    hf:owner/repo/file.gguf[@rev]      downloaded once into the cache, then run in-process
    http://host:port/v1[#model-name]   an OpenAI-compatible server (vLLM, sglang, Ollama, ...)
    distilled/NAME | path/to/folder     a distilled model: base GGUF + LoRA adapter, described by
                                       the folder's distilled.json (see `models.distilled`)

A dialect for server-side constraints can be given as ``?dialect=vllm``, and the overall
deadline of one request as ``&deadline=SECONDS`` (default 600; ``none`` for no deadline; see
`openai_compat`).
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
    if _is_distilled(spec):
        from toolweave.models.distilled import resolve_distilled

        base, adapter, scale, name = resolve_distilled(spec)
        return LlamaCpp(base, lora_path=adapter, lora_scale=scale,
                        name=options.pop("name", name), **options)
    if spec.startswith("hf:"):
        from toolweave.models.download import hf_download

        return LlamaCpp(hf_download(spec), name=spec, **options)
    if spec.endswith(".gguf") or "/" in spec:
        return LlamaCpp(spec, **options)
    known = ", ".join(sorted(_embedded()))
    raise ModelSpecError(
        f"unknown model spec {spec!r}: use one of {known}, a .gguf path, hf:owner/repo/file.gguf, "
        "http://host:port/v1 or distilled/NAME"
    )


def _is_distilled(spec: str) -> bool:
    from toolweave.models.distilled import is_distilled_spec

    return is_distilled_spec(spec)


def _embedded():
    from toolweave.models.embedded import EMBEDDED

    return EMBEDDED
