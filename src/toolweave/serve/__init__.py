"""`toolweave serve`: agent runs over HTTP (FastAPI), an OpenAI-compatible chat endpoint, runs
kept in an embedded store (SQLite), a web trace viewer, optional OpenTelemetry spans.

Imported only by the ``serve`` command and by programs that embed the app
(``create_app(load_config("serve.yaml"))``); needs the ``serve`` extra.
"""

from toolweave.serve.app import create_app
from toolweave.serve.config import ServeConfig, load_config

__all__ = ["ServeConfig", "create_app", "load_config"]
