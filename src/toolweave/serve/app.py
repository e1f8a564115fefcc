"""`create_app`: the FastAPI application of `toolweave serve` — run API, OpenAI-compatible chat,
the web trace viewer at ``/`` and a health check — over one run store and one agent catalog."""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator, Callable
from importlib.resources import files

from fastapi import Depends, FastAPI, Request
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel

import toolweave
from toolweave.serve.auth import bearer_key
from toolweave.serve.catalog import AgentCatalog
from toolweave.serve.config import ServeConfig
from toolweave.serve.errors import API_ERRORS, install_error_handlers
from toolweave.serve.limits import BodySizeLimit
from toolweave.serve.runs import Listener, RunManager
from toolweave.serve.store import RunStore, SQLiteRunStore

STATIC = files("toolweave.serve") / "static"


class Health(BaseModel):
    status: str
    version: str
    runs_active: int
    uptime_s: float
    # tool sets left out at start-up (their MCP servers did not start), and why
    unavailable_toolsets: dict[str, str] = {}


class AgentInfo(BaseModel):
    name: str
    model: str
    toolset: str
    strategy: str


def create_app(config: ServeConfig | None = None, *, store: RunStore | None = None,
               run_listeners: list[Callable[[], Listener]] | None = None) -> FastAPI:
    """The server app for ``config`` (the embedded default without one). ``store``: where runs
    live (default: SQLite at the config's database path); ``run_listeners``: what makes more
    listeners of each run's events (e.g. `RunSpans` on a given tracer provider), besides
    those the config turns on. Runs left unfinished by an earlier process are marked
    ``interrupted`` when the app starts."""
    config = config or ServeConfig()
    started = time.time()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        run_store = store if store is not None else SQLiteRunStore(config.database_path())
        factories = [*telemetry_listeners(config), *(run_listeners or [])]
        async with AgentCatalog(config) as catalog:
            runs = RunManager(catalog, run_store,
                              max_active_per_key=config.limits.max_active_runs_per_key,
                              listeners=factories, sessions=config.sessions_path())
            runs.recover(resume=config.resume_unfinished)
            app.state.runs = runs
            try:
                yield
            finally:
                await runs.shutdown()
                for factory in factories:  # e.g. flush spans still batched for export
                    if hasattr(factory, "shutdown"):
                        factory.shutdown()
                if store is None:
                    run_store.close()

    app = FastAPI(title="toolweave serve", version=toolweave.__version__, lifespan=lifespan,
                  description="Agent runs over HTTP: start, follow and read them; an "
                              "OpenAI-compatible chat endpoint; a web trace viewer at /.")
    app.state.api_keys = config.api_keys()
    app.state.config = config
    install_error_handlers(app)

    from toolweave.serve.routes_chat import router as chat_router
    from toolweave.serve.routes_runs import router as runs_router

    app.include_router(runs_router)
    app.include_router(chat_router)

    @app.get("/healthz", response_model=Health, tags=["health"])
    async def healthz(request: Request) -> Health:
        """Liveness; never needs a key."""
        runs = request.app.state.runs
        return Health(status="ok", version=toolweave.__version__,
                      runs_active=runs.active_count(),
                      uptime_s=round(time.time() - started, 3),
                      unavailable_toolsets=runs.catalog.unavailable)

    @app.get("/v1/agents", response_model=list[AgentInfo], tags=["runs"],
             dependencies=[Depends(bearer_key)], responses=API_ERRORS)
    async def agents() -> list[AgentInfo]:
        """The agents this server runs (the names runs and chat completions take)."""
        return [AgentInfo(name=n, model=a.model, toolset=a.toolset, strategy=a.settings.strategy)
                for n, a in config.agents.items()]

    @app.get("/", include_in_schema=False)
    async def viewer() -> FileResponse:
        # the page holds no data: it asks for a key (when keys are set) to call the API
        return FileResponse(str(STATIC / "index.html"))

    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")
    app.add_middleware(BodySizeLimit, max_body_bytes=config.limits.max_body_bytes)
    return app


def telemetry_listeners(config: ServeConfig) -> list[Callable[[], Listener]]:
    """The span listener the config turns on (none by default)."""
    if not config.telemetry.enabled:
        return []
    from toolweave.runtime.otel import span_listener_factory

    return [span_listener_factory(endpoint=config.telemetry.otlp_endpoint,
                                  service_name=config.telemetry.service_name)]
