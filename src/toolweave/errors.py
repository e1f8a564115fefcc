"""Typed errors. Each says what went wrong and what to do about it, in one line a user can read."""

from __future__ import annotations


class ToolweaveError(Exception):
    """Base class of every error toolweave raises on purpose."""


class ModelSpecError(ToolweaveError, ValueError):
    """A model spec string that names no known kind of model."""


class ModelNotFoundError(ToolweaveError, FileNotFoundError):
    """The model's weights are not on this machine; the message says how to install them."""


class ModelLoadError(ToolweaveError):
    """The weights exist but cannot be loaded (corrupt, truncated or not a GGUF file)."""


class ChecksumError(ToolweaveError):
    """A downloaded or assembled file does not have the expected sha256."""


class DownloadError(ToolweaveError):
    """A model download failed."""


class ServerError(ToolweaveError):
    """An OpenAI-compatible server failed: unreachable, an HTTP error after retries, bad data."""


class ServerUnavailableError(ServerError):
    """The server could not be reached (connection refused, DNS, timeout) after retries."""


class ServerProtocolError(ServerError):
    """The server answered with something that is not valid OpenAI-compatible data (e.g. bad SSE)."""


class ServerDeadlineError(ServerError):
    """A request to a server did not finish within its overall deadline (a stream kept alive by
    pings or trickling tokens); raise the client's ``deadline_s`` for longer generations."""


class InvalidConstraintError(ToolweaveError, ValueError):
    """A constraint that is itself invalid: a bad JSON Schema, regex or grammar."""


class UnsupportedConstraintError(ToolweaveError):
    """A backend cannot honour this kind of constraint; it is never dropped silently."""


class DistilledModelError(ModelLoadError):
    """A distilled model folder that cannot be served: no or a bad distilled.json, a missing
    adapter file, or a base model that is not there."""


class AdapterLoadError(ModelLoadError):
    """llama.cpp refused a LoRA adapter (wrong base model, wrong tensor shapes or names)."""


class TrainingDataError(ToolweaveError, ValueError):
    """A training dataset row that is not TRL's conversational prompt-completion format."""


class TrainingError(ToolweaveError):
    """Training a student cannot start or finish (unsupported student, missing extras, ...)."""


class ResumeError(ToolweaveError, ValueError):
    """A run that cannot be resumed (`Agent.resume`): no readable run in the file, tools it
    called are missing, or the resumed run went another way than the recorded one."""


class RunFinished(ResumeError):
    """The run to resume had already finished; ``trace`` is it."""

    def __init__(self, message: str, trace: object):
        super().__init__(message)
        self.trace = trace
