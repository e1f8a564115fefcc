"""Shared fixtures: the embedded models, loaded once per test session."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def tiny():
    """SmolLM2-135M-Instruct in-process: fast, weak; for plumbing tests."""
    from toolweave.models import load_model

    return load_model("tiny")


@pytest.fixture(scope="session")
def default_model():
    """Qwen2.5-Coder-0.5B-Instruct in-process: the model users get by default."""
    from toolweave.models import load_model

    return load_model("default")
