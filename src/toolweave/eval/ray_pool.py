"""Where eval jobs run: here, one after another, or fanned out over a Ray cluster.

A job is a picklable ``async (model) -> result`` callable (one BFCL task, one suite task under
one strategy). Serially, one model answers every job. On Ray, a pool of actors each loads its
own model once, in its constructor, and answers jobs as they come: a job's prompts and greedy
decoding are the same wherever it runs, so the results are the same as a serial run's (only
timings differ), and the driver writes them to the same files, so resuming works as before.

Ray is optional (``pip install 'toolweave[ray]'``) and imported only when a pool is made.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self, TypeVar

from toolweave.models.base import ChatModel

Result = TypeVar("Result")
Job = Callable[[ChatModel], Awaitable[Result]]
# A model spec string (each worker loads it), a picklable model object (each worker gets a
# copy: fine for oracle and scripted models), or a picklable factory.
ModelSource = str | ChatModel | Callable[[], ChatModel]

INSTALL_HINT = "Ray is not installed: pip install 'toolweave[ray]' (or pip install ray)"


@dataclass(frozen=True)
class RayOptions:
    """How to fan out: ``address`` None starts (or joins) a local Ray instance, else the
    cluster there ("auto", "ray://host:10001", ...). ``workers`` defaults to the cluster's CPUs
    divided by ``threads_per_worker`` (the CPU threads each worker's model decodes with)."""

    address: str | None = None
    workers: int | None = None
    threads_per_worker: int = 1


def import_ray() -> Any:
    """The ``ray`` module, or a `RuntimeError` that says how to install it."""
    try:
        import ray
    except ImportError as exc:
        raise RuntimeError(INSTALL_HINT) from exc
    return ray


def model_name(source: ModelSource) -> str:
    """What the run config and reports call this model (without loading it)."""
    if isinstance(source, str):
        return source
    return getattr(source, "name", None) or getattr(source, "__name__", type(source).__name__)


def load_source(source: ModelSource, threads: int | None = None) -> ChatModel:
    """The model ``source`` names; in-process llama.cpp models get ``threads`` CPU threads."""
    from toolweave.models import load_model

    if isinstance(source, str):
        local = not source.strip().startswith(("http://", "https://"))
        return load_model(source, **({"n_threads": threads} if local and threads else {}))
    if callable(source) and not isinstance(source, ChatModel):
        return source()
    return source


async def run_serial(jobs: Iterable[Job[Result]], model: ChatModel) -> AsyncIterator[Result]:
    """Each job's result in turn, all answered by ``model`` in this process."""
    for job in jobs:
        yield await job(model)


class ModelWorker:
    """A Ray actor's body: one model, loaded once, answering jobs one at a time on its own
    event loop (a job's async tools and the model's worker thread live on that loop)."""

    def __init__(self, source: ModelSource, threads: int):
        self.model = load_source(source, threads)
        self.loop = asyncio.new_event_loop()

    def run(self, job: Job[Result]) -> Result:
        return self.loop.run_until_complete(job(self.model))


class RayModelPool:
    """Actors holding a model each; `results` maps jobs over them, results as they finish.

    Use as a context manager: a Ray instance this pool started is shut down on exit, one it
    found running (a test fixture's, a cluster's) is left alone."""

    def __init__(self, source: ModelSource, options: RayOptions = RayOptions()):
        ray = import_ray()
        self._ray = ray
        self._started = False
        if not ray.is_initialized():
            kwargs: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False}
            if options.address is None:
                # Local workers import the toolweave this driver imported (a checkout on
                # PYTHONPATH, say), not whichever one their own environment would find.
                kwargs["runtime_env"] = {"env_vars": {"PYTHONPATH": _import_path()}}
            ray.init(address=options.address, **kwargs)
            self._started = True
        threads = max(1, options.threads_per_worker)
        cpus = int(ray.cluster_resources().get("CPU", 1))
        self.workers = options.workers or max(1, cpus // threads)
        actor = ray.remote(num_cpus=threads)(ModelWorker)
        self._actors = [actor.remote(source, threads) for _ in range(self.workers)]

    async def results(self, jobs: Iterable[Job[Result]]) -> AsyncIterator[Result]:
        """Every job's result, in the order they finish."""
        from ray.util import ActorPool

        pool = ActorPool(self._actors)
        finished = pool.map_unordered(lambda actor, job: actor.run.remote(job), list(jobs))
        done = object()
        while True:
            # ActorPool blocks; waiting in a thread keeps the driver's loop (progress) alive
            try:
                result = await asyncio.to_thread(next, finished, done)
            except self._ray.exceptions.RayActorError as exc:
                raise RuntimeError(f"a Ray worker failed to start its model: {exc}") from exc
            if result is done:
                return
            yield result

    def close(self) -> None:
        for actor in self._actors:
            self._ray.kill(actor)
        self._actors = []
        if self._started:
            self._ray.shutdown()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _import_path() -> str:
    here = str(Path(__file__).resolve().parents[2])  # the folder holding toolweave/
    rest = os.environ.get("PYTHONPATH", "")
    return os.pathsep.join(p for p in (here, rest) if p)


async def run_jobs(jobs: Iterable[Job[Result]], source: ModelSource,
                   ray: RayOptions | None = None) -> AsyncIterator[Result]:
    """Every job's result: on Ray when ``ray`` is given, else here with ``source`` loaded
    once (already-loaded models are used as they are)."""
    if ray is None:
        model = await asyncio.to_thread(load_source, source)
        async for result in run_serial(jobs, model):
            yield result
        return
    with RayModelPool(source, ray) as pool:
        async for result in pool.results(jobs):
            yield result
