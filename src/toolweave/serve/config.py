"""`ServeConfig`: what `toolweave serve` runs — models, tool sets and agents by name, API keys,
limits and the run store — read from a YAML or JSON file and validated once.

    models:
      small: default                      # a model spec (`toolweave.models.spec`), loaded once
      fake: {factory: "mymod:make_model"} # a callable making a fresh ChatModel for every run
    toolsets:
      basic: {builtins: true}
      market: {builtins: false, tools: ["market:TOOLS"]}
    agents:
      helper: {model: small, toolset: basic, settings: {strategy: react, max_steps: 6}}
    keys: ["secret-1"]                    # or $TOOLWEAVE_SERVE_KEYS (comma-separated)
    limits: {max_body_bytes: 65536, max_active_runs_per_key: 8}

With no file, one agent ``default`` runs the ``default`` model (or ``--model``) over the
built-in tools, and runs are kept in SQLite in the cache folder.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from toolweave.agents.settings import RunSettings
from toolweave.errors import ToolweaveError

KEYS_ENV = "TOOLWEAVE_SERVE_KEYS"


class ConfigError(ToolweaveError):
    """A serve config file that cannot be read or does not validate."""


class ModelConfig(BaseModel):
    """A model: a ``spec`` string loaded once and shared by every run, or a ``factory``
    (``module:attr``, a callable taking no arguments) called for each run — for models that
    keep per-run state, such as `Scripted` replies."""

    model_config = ConfigDict(extra="forbid")

    spec: str | None = None
    factory: str | None = None
    options: dict[str, Any] = Field(default_factory=dict)  # keywords for load_model / factory

    @model_validator(mode="after")
    def _one_source(self) -> ModelConfig:
        if (self.spec is None) == (self.factory is None):
            raise ValueError("give exactly one of 'spec' and 'factory'")
        return self


class ToolSetConfig(BaseModel):
    """A tool set: the built-ins (calculator; ``search_docs`` over ``docs``; ``read_file`` in
    ``files``; ``python`` when enabled), then Python tools named ``module:attr`` and the tools of
    MCP servers (``"command args"`` or ``http://host:port/mcp``)."""

    model_config = ConfigDict(extra="forbid")

    builtins: bool = True
    docs: Path | None = None
    files: Path | None = None
    python: bool = False
    tools: list[str] = Field(default_factory=list)
    mcp: list[str] = Field(default_factory=list)


class AgentConfig(BaseModel):
    """An agent clients name: a model and a tool set from this config, and its `RunSettings`
    (a run may override the settings' fields that `RunRequest` allows)."""

    model_config = ConfigDict(extra="forbid")

    model: str = "default"
    toolset: str = "default"
    settings: RunSettings = Field(default_factory=RunSettings)


class Limits(BaseModel):
    """Request and run limits. ``max_active_runs_per_key``: runs one key may have going at
    once (anonymous callers share one count when no keys are set)."""

    model_config = ConfigDict(extra="forbid")

    max_body_bytes: int = Field(64 * 1024, ge=256)
    max_active_runs_per_key: int = Field(16, ge=1)


class TelemetryConfig(BaseModel):
    """OpenTelemetry spans (the ``otel`` extra): off by default. ``otlp_endpoint`` exports them
    over OTLP/HTTP; with ``enabled`` and no endpoint, spans go to the global tracer provider
    (whatever the process configured)."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = False
    otlp_endpoint: str | None = None
    service_name: str = "toolweave"


class ServeConfig(BaseModel):
    """The whole server configuration; every name an agent uses must exist."""

    model_config = ConfigDict(extra="forbid")

    models: dict[str, ModelConfig] = Field(
        default_factory=lambda: {"default": ModelConfig(spec="default")})
    toolsets: dict[str, ToolSetConfig] = Field(
        default_factory=lambda: {"default": ToolSetConfig()})
    agents: dict[str, AgentConfig] = Field(default_factory=lambda: {"default": AgentConfig()})
    default_agent: str = "default"
    keys: list[str] = Field(default_factory=list)
    limits: Limits = Field(default_factory=Limits)
    database: Path | None = None  # None: runs.sqlite in the cache folder
    sessions: Path | None = None  # None: a "sessions" folder beside the database
    # at start-up, continue the runs an earlier process left unfinished (`Agent.aresume`)
    resume_unfinished: bool = True
    telemetry: TelemetryConfig = Field(default_factory=TelemetryConfig)

    @model_validator(mode="before")
    @classmethod
    def _spec_strings(cls, data: Any) -> Any:
        # ``small: default`` is shorthand for ``small: {spec: default}``
        if isinstance(data, dict) and isinstance(data.get("models"), dict):
            data = {**data, "models": {k: {"spec": v} if isinstance(v, str) else v
                                       for k, v in data["models"].items()}}
        return data

    @model_validator(mode="after")
    def _names_resolve(self) -> ServeConfig:
        for name, agent in self.agents.items():
            if agent.model not in self.models:
                raise ValueError(f"agent {name!r}: no model {agent.model!r} "
                                 f"(models: {', '.join(self.models) or 'none'})")
            if agent.toolset not in self.toolsets:
                raise ValueError(f"agent {name!r}: no tool set {agent.toolset!r} "
                                 f"(toolsets: {', '.join(self.toolsets) or 'none'})")
        if self.default_agent not in self.agents:
            raise ValueError(f"default_agent {self.default_agent!r} is not among the agents "
                             f"({', '.join(self.agents) or 'none'})")
        return self

    def api_keys(self) -> frozenset[str]:
        """The accepted bearer tokens: the config's and ``$TOOLWEAVE_SERVE_KEYS``'s."""
        from_env = [k.strip() for k in os.environ.get(KEYS_ENV, "").split(",")]
        return frozenset(k for k in [*self.keys, *from_env] if k)

    def database_path(self) -> Path:
        """Where the SQLite run store lives."""
        if self.database is not None:
            return self.database
        from toolweave.paths import cache_dir

        return cache_dir() / "serve" / "runs.sqlite"

    def sessions_path(self) -> Path:
        """The folder of session files (one `Conversation` file per session)."""
        return self.sessions if self.sessions is not None else (
            self.database_path().parent / "sessions")


def load_config(path: str | Path | None = None, *, model: str | None = None) -> ServeConfig:
    """The config in ``path`` (YAML or JSON), or the embedded default without one.
    ``model``: a model spec that replaces the ``default`` model (``--model``)."""
    data: dict[str, Any] = {}
    if path is not None:
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"cannot read serve config {path}: {exc}") from exc
        try:
            if path.suffix == ".json":
                data = json.loads(text)
            else:
                import yaml

                data = yaml.safe_load(text) or {}
        except Exception as exc:  # json's ValueError, yaml.YAMLError
            raise ConfigError(f"cannot parse serve config {path}: {exc}") from exc
        if not isinstance(data, dict):
            raise ConfigError(f"serve config {path} must be a mapping, not {type(data).__name__}")
    if model is not None:
        data = {**data, "models": {**data.get("models", {}), "default": {"spec": model}}}
    try:
        return ServeConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"invalid serve config{f' {path}' if path else ''}:\n{exc}") from exc
