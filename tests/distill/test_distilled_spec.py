"""Serving a distilled model: manifests, `distilled/NAME`, and adapters llama.cpp refuses."""

from __future__ import annotations

import json

import pytest

from toolweave.errors import AdapterLoadError, DistilledModelError, ModelNotFoundError
from toolweave.models import load_model
from toolweave.models.distilled import (
    MANIFEST,
    DistilledManifest,
    read_manifest,
    resolve_distilled,
)
from toolweave.models.llama_cpp import LlamaCpp


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("TOOLWEAVE_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def fake_adapter(path):
    """Bytes that pass the GGUF magic check; for manifest tests that never load them."""
    path.write_bytes(b"GGUF" + b"\0" * 60)
    return path


def test_a_folder_without_a_manifest_is_not_a_model(tmp_path):
    with pytest.raises(DistilledModelError, match="has no distilled.json"):
        load_model(str(tmp_path))


def test_unknown_distilled_name_says_how_to_make_one(cache):
    with pytest.raises(ModelNotFoundError, match="distill train DATA --name weather"):
        load_model("distilled/weather")
    with pytest.raises(DistilledModelError, match="invalid distilled model name"):
        load_model("distilled/../x")


@pytest.mark.parametrize("text, message", [
    ("{not json", "cannot read"),
    (json.dumps({"adapter": "adapter.gguf"}), "base: Field required"),
    (json.dumps({"base": "tiny", "adapter": "a.gguf", "scale": "big"}), "scale"),
])
def test_bad_manifests_are_named(tmp_path, text, message):
    (tmp_path / MANIFEST).write_text(text)
    with pytest.raises(DistilledModelError, match=message):
        read_manifest(tmp_path)


def test_missing_adapter_and_missing_base_are_named(tmp_path):
    DistilledManifest(base="tiny", adapter="adapter.gguf").write(tmp_path)
    with pytest.raises(DistilledModelError, match="adapter 'adapter.gguf', which is missing"):
        load_model(str(tmp_path))
    fake_adapter(tmp_path / "adapter.gguf")
    DistilledManifest(base="nowhere/base.gguf", adapter="adapter.gguf").write(tmp_path)
    with pytest.raises(DistilledModelError, match="base model .* is missing"):
        load_model(str(tmp_path))


def test_distilled_name_resolves_under_the_cache(cache):
    folder = cache / "distilled" / "weather"
    folder.mkdir(parents=True)
    fake_adapter(folder / "adapter.gguf")
    DistilledManifest(base="tiny", adapter="adapter.gguf", scale=0.5, steps=3).write(folder)
    base, adapter, scale, name = resolve_distilled("distilled/weather")
    assert adapter == (folder / "adapter.gguf").resolve() and scale == 0.5
    assert base.name.endswith(".gguf") and name == "weather"
    model = load_model("distilled/weather")  # nothing loads until first use
    assert isinstance(model, LlamaCpp) and model.lora_path == adapter
    assert model.name == "weather" and model.lora_scale == 0.5
    assert read_manifest(folder).model_extra["steps"] == 3  # training details survive


@pytest.mark.model
def test_an_adapter_llama_cpp_refuses_is_a_typed_error(tmp_path):
    np = pytest.importorskip("numpy")
    gguf = pytest.importorskip("gguf")
    writer = gguf.GGUFWriter(str(tmp_path / "adapter.gguf"), "llama")
    writer.add_type(gguf.GGUFType.ADAPTER)
    writer.add_string(gguf.Keys.Adapter.TYPE, "lora")
    writer.add_float32(gguf.Keys.Adapter.LORA_ALPHA, 8.0)
    # tiny's attn_q is 576 x 576; an adapter for a 64-wide model does not fit it
    writer.add_tensor("blk.0.attn_q.weight.lora_a", np.zeros((4, 64), np.float32))
    writer.add_tensor("blk.0.attn_q.weight.lora_b", np.zeros((64, 4), np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    DistilledManifest(base="tiny", adapter="adapter.gguf").write(tmp_path)
    model = load_model(str(tmp_path), n_ctx=512)
    with pytest.raises(AdapterLoadError, match="incorrect shape"):
        _ = model.llama  # loading is lazy: the first use loads base and adapter
