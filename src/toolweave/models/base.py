"""The `ChatModel` protocol every backend implements, and the small shared base they build on."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Protocol, runtime_checkable

from toolweave.errors import UnsupportedConstraintError
from toolweave.types import Completion, Constraint, Delta, Effort, Message, ToolSpec

DEFAULT_MAX_TOKENS = 512


@runtime_checkable
class ChatModel(Protocol):
    """A chat model: messages in, one assistant turn out (whole or streamed).

    ``constraint`` must be honoured or refused with `UnsupportedConstraintError`, never ignored.
    ``tools`` are handed to backends that take them natively (a server's ``tools`` field, a chat
    template that renders them); formats that render tools into the prompt pass none.
    """

    name: str
    constraint_kinds: frozenset[str]

    async def complete(
        self, messages: Sequence[Message], *, tools: Sequence[ToolSpec] = (),
        constraint: Constraint | None = None, max_tokens: int = DEFAULT_MAX_TOKENS,
        temperature: float = 0.0, reasoning: Effort = "auto", stop: Sequence[str] = (),
    ) -> Completion: ...

    def stream(
        self, messages: Sequence[Message], *, tools: Sequence[ToolSpec] = (),
        constraint: Constraint | None = None, max_tokens: int = DEFAULT_MAX_TOKENS,
        temperature: float = 0.0, reasoning: Effort = "auto", stop: Sequence[str] = (),
    ) -> AsyncIterator[Delta]: ...


def constraint_kind(constraint: Constraint) -> str:
    """The name a backend lists in ``constraint_kinds`` for ``constraint``: ``json_schema``,
    ``regex``, ``grammar:gbnf``, ``grammar:lark``."""
    return constraint.kind if constraint.kind != "grammar" else f"grammar:{constraint.syntax}"


def supports(model: ChatModel, constraint: Constraint) -> bool:
    """Whether ``model`` can apply ``constraint`` (the one place this is asked)."""
    return constraint_kind(constraint) in model.constraint_kinds


class StreamingModel:
    """Base for backends that implement `stream`: `complete` is the stream, collected."""

    name: str = "model"
    constraint_kinds: frozenset[str] = frozenset()

    def stream(self, messages, **kwargs) -> AsyncIterator[Delta]:  # pragma: no cover - abstract
        raise NotImplementedError

    async def complete(self, messages: Sequence[Message], **kwargs) -> Completion:
        final: Completion | None = None
        async for delta in self.stream(messages, **kwargs):
            if delta.completion is not None:
                final = delta.completion
        assert final is not None, "a stream must end with a completion"
        return final

    def check_constraint(self, constraint: Constraint | None) -> None:
        """Refuse, loudly, a constraint this backend cannot apply."""
        if constraint is None or supports(self, constraint):
            return
        supported = ", ".join(sorted(self.constraint_kinds)) or "none"
        raise UnsupportedConstraintError(f"{self.name} cannot apply a "
                                         f"{constraint_kind(constraint)} constraint "
                                         f"(it supports: {supported})")

    async def aclose(self) -> None:
        """Release resources (HTTP clients, contexts). Safe to call twice."""
