"""Scale-out on Ray: the same slice run serially and on a local Ray instance gives the same
predictions, in the same files, and resumes the same."""

from __future__ import annotations

import subprocess
import sys

import pytest
from rich.console import Console

ray = pytest.importorskip("ray")

from toolweave.eval.ray_pool import RayModelPool, RayOptions

QUIET = Console(quiet=True)


@pytest.fixture(scope="module")
def local_ray():
    """One small local Ray instance for the whole module (starting one costs seconds)."""
    from toolweave.eval.ray_pool import _import_path

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
             runtime_env={"env_vars": {"PYTHONPATH": _import_path()}})
    yield ray
    ray.shutdown()


def test_import_toolweave_does_not_import_ray():
    code = ("import sys, toolweave, toolweave.cli, toolweave.eval.bfcl.single_turn, toolweave.eval.suite.run; "
            "assert 'ray' not in sys.modules, 'ray imported'")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_missing_ray_says_how_to_install(monkeypatch):
    from toolweave.eval import ray_pool

    monkeypatch.setitem(sys.modules, "ray", None)  # import ray now raises ImportError
    with pytest.raises(RuntimeError, match=r"pip install 'toolweave\[ray\]'"):
        ray_pool.RayModelPool("tiny")


def test_bfcl_on_ray_matches_serial(local_ray, tmp_path):
    pytest.importorskip("bfcl_eval")
    from toolweave.eval.bfcl.data import load_tasks
    from toolweave.eval.bfcl.oracle import OracleModel
    from toolweave.eval.bfcl.predict import PredictionStore
    from toolweave.eval.bfcl.single_turn import run_bfcl

    cats = ["simple_python", "irrelevance"]
    tasks = [t for c in cats for t in load_tasks(c, 3)]
    serial = run_bfcl(OracleModel(tasks), cats, 3, "hermes", True, tmp_path / "serial",
                      console=QUIET, show_progress=False)
    on_ray = run_bfcl(OracleModel(tasks), cats, 3, "hermes", True, tmp_path / "ray",
                      console=QUIET, show_progress=False, ray=RayOptions(workers=2))
    assert on_ray.new_predictions == 6
    strip = {"wall_s"}
    a = {k: p.model_dump(exclude=strip) for k, p in
         PredictionStore(tmp_path / "serial" / "predictions.jsonl").load().items()}
    b = {k: p.model_dump(exclude=strip) for k, p in
         PredictionStore(tmp_path / "ray" / "predictions.jsonl").load().items()}
    assert a == b and len(a) == 6
    assert [s.model_dump() for s in serial.scores] == [s.model_dump() for s in on_ray.scores]
    assert on_ray.accuracy() == 1.0
    # a resumed Ray run predicts nothing new
    again = run_bfcl(OracleModel(tasks), cats, 3, "hermes", True, tmp_path / "ray",
                     console=QUIET, show_progress=False, ray=RayOptions(workers=2))
    assert again.new_predictions == 0


def test_each_worker_loads_its_model_once(local_ray):
    import asyncio

    from toolweave.models import Scripted

    class WhoAnswered:
        async def __call__(self, model):
            import os

            return os.getpid(), id(model)

    async def collect(pool):
        return [r async for r in pool.results([WhoAnswered() for _ in range(8)])]

    with RayModelPool(lambda: Scripted([]), RayOptions(workers=2)) as pool:
        assert pool.workers == 2
        results = asyncio.run(collect(pool))
    assert len(results) == 8
    # one model per worker process, reused by every job that worker ran
    per_pid: dict[int, set[int]] = {}
    for pid, model_id in results:
        per_pid.setdefault(pid, set()).add(model_id)
    assert len(per_pid) == 2 and all(len(models) == 1 for models in per_pid.values())


def test_suite_on_ray_matches_serial(local_ray, tmp_path):
    from pathlib import Path

    from toolweave.eval.suite.run import run_suite
    from toolweave.types import Trace

    example = Path(__file__).parents[2] / "examples" / "suites" / "basic.yaml"
    serial = run_suite(example, "oracle", out_dir=tmp_path / "serial", console=QUIET,
                       show_progress=False)
    on_ray = run_suite(example, "oracle", out_dir=tmp_path / "ray", console=QUIET,
                       show_progress=False, ray=RayOptions(workers=2))
    assert on_ray.new_runs == len(serial.outcomes) >= 10

    def comparable(result):  # all but timings and the random call ids
        return [o.model_dump(exclude={"wall_s": True, "calls": {"__all__": {"id"}}})
                for o in result.outcomes]

    assert comparable(on_ray) == comparable(serial)
    for o in on_ray.outcomes:  # traces written by the driver from what the workers sent back
        a, b = (Trace.load(tmp_path / d / o.trace) for d in ("serial", "ray"))
        assert (a.answer, a.stop_reason) == (b.answer, b.stop_reason)
        assert [[c.model_dump(exclude={"id"}) for c in s.calls] for s in a.steps] == \
            [[c.model_dump(exclude={"id"}) for c in s.calls] for s in b.steps]
        assert [[ob.content for ob in s.observations] for s in a.steps] == \
            [[ob.content for ob in s.observations] for s in b.steps]
    again = run_suite(example, "oracle", out_dir=tmp_path / "ray", console=QUIET,
                      show_progress=False, ray=RayOptions(workers=2))
    assert again.new_runs == 0


def test_distill_collect_on_ray_matches_serial(local_ray, tmp_path, monkeypatch):
    pytest.importorskip("bfcl_eval")
    from toolweave.eval import ray_pool

    pools = []
    real_init = ray_pool.RayModelPool.__init__

    def counted(self, *args, **kwargs):
        pools.append(self)
        real_init(self, *args, **kwargs)

    monkeypatch.setattr(ray_pool.RayModelPool, "__init__", counted)
    from toolweave.distill.collect import collect
    from toolweave.distill.prompting import prompting
    from toolweave.eval.bfcl.data import load_tasks
    from toolweave.eval.bfcl.oracle import OracleModel
    from toolweave.eval.bfcl.predict import PredictionStore

    tasks = load_tasks("simple_python", 4)
    teacher = OracleModel(tasks, instructions=prompting("rationale").instructions)
    collect(teacher, tmp_path / "serial", ["simple_python"], 4, console=QUIET,
            show_progress=False)
    on_ray = collect(teacher, tmp_path / "ray", ["simple_python"], 4, console=QUIET,
                     show_progress=False, ray=RayOptions(workers=2))
    assert len(pools) == 1 and pools[0].workers == 2  # the serial run made no pool
    assert on_ray.new_predictions == 4 and on_ray.accuracy() == 1.0
    found = [{k: p.model_dump(exclude={"wall_s"}) for k, p in
              PredictionStore(tmp_path / run / "predictions.jsonl").load().items()}
             for run in ("serial", "ray")]
    assert found[0] == found[1]


def test_distill_collect_agent_on_ray_records_the_same_prompts(local_ray, tmp_path):
    from pathlib import Path

    from toolweave.distill.agent.collect import PROMPTS_KEY, collect_agent
    from toolweave.types import Trace

    example = Path(__file__).parents[2] / "examples" / "suites" / "basic.yaml"
    serial = collect_agent(example, "oracle", tmp_path / "serial", limit=6, console=QUIET,
                           show_progress=False)
    on_ray = collect_agent(example, "oracle", tmp_path / "ray", limit=6, console=QUIET,
                           show_progress=False, ray=RayOptions(workers=2))
    assert on_ray.new_runs == 6 and on_ray.pass_rate() == serial.pass_rate() == 1.0
    for o in on_ray.outcomes:  # prompts recorded on the workers come back in the traces
        a, b = (Trace.load(tmp_path / d / o.trace).meta[PROMPTS_KEY] for d in ("serial", "ray"))
        assert a == b and a
