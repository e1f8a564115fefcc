"""The command line, run as a user would (a real subprocess)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "toolweave", *args], capture_output=True,
                          text=True, timeout=300)


def test_help_lists_commands():
    out = run_cli("--help")
    assert out.returncode == 0 and "generate" in out.stdout


@pytest.mark.model
def test_generate_streams_a_schema_constrained_answer(tmp_path):
    schema = {"type": "object", "properties": {"city": {"type": "string", "maxLength": 20}},
              "required": ["city"]}
    path = tmp_path / "s.json"
    path.write_text(json.dumps(schema))
    out = run_cli("generate", "Name a city.", "--model", "tiny", "--json-schema", str(path))
    assert out.returncode == 0, out.stderr
    assert "city" in json.loads(out.stdout)
    assert "tok/s" in out.stderr


@pytest.mark.model
def test_generate_regex(tmp_path):
    out = run_cli("generate", "Is fire hot?", "--model", "tiny", "--regex", "(yes|no)")
    assert out.returncode == 0 and out.stdout.strip() in {"yes", "no"}


def test_errors_are_one_clear_line_not_a_traceback(tmp_path):
    out = run_cli("generate", "hi", "--model", str(tmp_path / "missing.gguf"))
    assert out.returncode == 1
    assert "model file not found" in out.stderr and "Traceback" not in out.stderr
    out = run_cli("generate", "hi", "--model", "tiny", "--regex", "(")
    assert out.returncode == 1 and "invalid regex" in out.stderr and "Traceback" not in out.stderr
