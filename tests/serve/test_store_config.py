"""The SQLite run store and the serve config file."""

from __future__ import annotations

import subprocess
import sys

import pytest

from toolweave.serve.config import ConfigError, load_config
from toolweave.serve.store import RunRecord, SQLiteRunStore, trace_of
from toolweave.types import Step, Trace


def test_records_and_events_survive_reopening_and_fold_into_the_trace(tmp_path):
    store = SQLiteRunStore(tmp_path / "runs.sqlite")
    store.create(RunRecord(id="run_a", agent="calc", question="1+1", request={"q": 1}))
    trace = Trace(id="run_a", question="1+1")
    store.append_event("run_a", {"event": "start", "trace": trace.model_dump(mode="json")})
    store.append_event("run_a", {"event": "step", "step": Step(index=0, thought="hm")
                                 .model_dump(mode="json")})
    store.update("run_a", status="running")
    store.close()
    reopened = SQLiteRunStore(tmp_path / "runs.sqlite")
    record = reopened.get("run_a")
    assert record.status == "running" and record.request == {"q": 1}
    assert reopened.mark_unfinished("interrupted") == ["run_a"]
    assert reopened.get("run_a").status == "interrupted"
    reopened.append_event("run_a", {"event": "step", "step": Step(index=1).model_dump(
        mode="json")})  # sequence numbers continue after a restart
    folded = trace_of(reopened, "run_a")
    assert [s.index for s in folded.steps] == [0, 1] and folded.steps[0].thought == "hm"
    assert reopened.get("run_missing") is None and trace_of(reopened, "run_missing") is None
    with pytest.raises(ValueError, match="not run fields"):
        reopened.update("run_a", colour="red")


def test_a_config_file_is_read_and_its_names_checked(tmp_path):
    good = tmp_path / "serve.yaml"
    good.write_text("models: {small: tiny}\nagents: {helper: {model: small}}\n"
                    "default_agent: helper\nkeys: [k1]\n")
    config = load_config(good)
    assert config.models["small"].spec == "tiny" and "k1" in config.api_keys()
    assert load_config(None, model="tiny").models["default"].spec == "tiny"
    bad = tmp_path / "bad.yaml"
    bad.write_text("agents: {helper: {model: nowhere}}\n")
    with pytest.raises(ConfigError, match="agent 'helper': no model 'nowhere'"):
        load_config(bad)
    typo = tmp_path / "typo.json"
    typo.write_text('{"agents": {"a": {"setings": {}}}}')
    with pytest.raises(ConfigError, match="setings"):
        load_config(typo)
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "missing.yaml")


def test_importing_toolweave_loads_no_server_library():
    code = ("import sys, toolweave, toolweave.cli; "
            "print(','.join(m for m in ('fastapi', 'uvicorn', 'starlette', 'toolweave.serve') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == ""
