"""Fixtures of the serve tests: a real server on loopback with the Scripted calculator model,
runs in a SQLite file under the test's tmp dir."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")

sys.path.insert(0, str(Path(__file__).parent))
from serving import running_server, scripted_config  # noqa: E402


@pytest.fixture
def server(tmp_path) -> Iterator[str]:
    with running_server(scripted_config(tmp_path)) as url:
        yield url


@pytest.fixture
def client(server):
    import httpx

    with httpx.Client(base_url=server, timeout=20) as c:
        yield c
