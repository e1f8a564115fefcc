"""`bench/fuzz.py` on a few inputs: the table, the exit status, the failing inputs it keeps."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

BENCH = Path(__file__).parents[2] / "bench"
sys.path.insert(0, str(BENCH))  # bench/ is not a package: fuzz.py imports fuzz_targets by name
_spec = importlib.util.spec_from_file_location("bench_fuzz", BENCH / "fuzz.py")
bench_fuzz = sys.modules["bench_fuzz"] = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench_fuzz)
targets = sys.modules["fuzz_targets"]


def test_every_parser_passes_a_short_run(capsys, tmp_path):
    failures = tmp_path / "failures.jsonl"
    assert bench_fuzz.main(["--inputs", "40", "--failures", str(failures)]) == 0
    out = capsys.readouterr().out
    for target in targets.TARGETS:
        assert target.name in out
    assert f"0 failures over {40 * len(targets.TARGETS):,} inputs" in out
    assert not failures.exists()


def _fragile(text: str) -> None:
    """A parser with a bug: text with a digit in it crashes it."""
    if any(c.isdigit() for c in text):
        raise KeyError("digit")


def test_a_crashing_parser_fails_the_run_and_keeps_its_inputs(capsys, tmp_path, monkeypatch):
    fragile = targets.Target("fragile", _fragile, ())
    monkeypatch.setattr(bench_fuzz, "TARGETS", [*targets.TARGETS, fragile])
    failures = tmp_path / "failures.jsonl"
    code = bench_fuzz.main(["--inputs", "60", "--targets", "fragile,preact-plan",
                            "--failures", str(failures)])
    assert code == 1
    out = capsys.readouterr().out
    assert "KeyError" in out and "preact-plan" in out
    kept = [json.loads(line) for line in failures.read_text().splitlines()]
    assert kept and all(k["target"] == "fragile" for k in kept)
    assert all(any(c.isdigit() for c in k["input"]) for k in kept)
    assert len(kept) <= bench_fuzz.EXAMPLES_PER_KIND


def test_a_result_that_breaks_the_contract_is_a_failure():
    hermes = next(t for t in targets.TARGETS if t.name == "hermes")
    assert targets.check(hermes, '<tool_call>{"name": "add"}</tool_call>') is None
    broken = targets.Target("broken", lambda text: targets._writable({"x": "\ud800"}), ())
    assert isinstance(targets.check(broken, "x"), targets.BadResult)
    allowed = targets.Target("allowed", lambda text: (_ for _ in ()).throw(KeyError()),
                             (KeyError,))
    assert targets.check(allowed, "x") is None
