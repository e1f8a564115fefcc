"""Core data types shared by every layer: messages, tools, calls, completions, constraints, traces.

Everything here is a pydantic v2 model so that it validates on the way in and serialises to
JSON (traces, datasets, HTTP) without extra code. This module imports nothing from toolweave
but `toolweave.text` (and `toolweave.trace_file`, the trace format, when a trace is loaded).
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from toolweave.text import as_data, clean_text, clean_value, described_as_data

Role = Literal["system", "user", "assistant", "tool"]

# Kept open-ended on purpose: providers keep adding levels ("none", "xhigh").
Effort = str
EFFORTS = ("minimal", "low", "medium", "high", "auto")


# text that is always writable as UTF-8 (see `clean_text`)
Text = Annotated[str, AfterValidator(clean_text)]
JsonObject = Annotated[dict[str, Any], AfterValidator(clean_value)]


def _clean_data(text: str) -> str:
    # `clean_text`, then `as_data`: one validator, not two (each is a call from pydantic's
    # core into Python, and every observation passes through it)
    return as_data(clean_text(text))


# untrusted text shown to a model (a tool's output, a tool's description): its control tokens
# and tool-call tags stay text in every prompt (see `as_data`)
Data = Annotated[str, AfterValidator(_clean_data)]


def new_id(prefix: str = "call") -> str:
    """A short random id, e.g. for tool calls: 12 hex digits (48 random bits, as the first
    12 digits of a uuid4 had; drawn directly, which costs a fifth of building the uuid)."""
    return f"{prefix}_{os.urandom(6).hex()}"


class Constraint(BaseModel):
    """What a model's output must look like, applied while decoding.

    ``kind`` is one of:
    - ``json_schema``: ``value`` is a JSON Schema (dict); the output is one JSON document valid
      under it.
    - ``regex``: ``value`` is a regular expression the whole output must match.
    - ``grammar``: ``value`` is a context-free grammar in ``syntax`` (``gbnf``; ``lark`` is
      accepted by servers that take Lark, never translated silently).
    """

    model_config = ConfigDict(frozen=True)

    kind: Literal["json_schema", "regex", "grammar"]
    value: Any
    syntax: Literal["gbnf", "lark"] = "gbnf"

    @classmethod
    def json_schema(cls, schema: dict[str, Any]) -> Constraint:
        return cls(kind="json_schema", value=schema)

    @classmethod
    def regex(cls, pattern: str) -> Constraint:
        return cls(kind="regex", value=pattern)

    @classmethod
    def grammar(cls, text: str, syntax: Literal["gbnf", "lark"] = "gbnf") -> Constraint:
        return cls(kind="grammar", value=text, syntax=syntax)


class ToolSpec(BaseModel):
    """A tool as the model sees it: a name, a description and its input shape.

    ``kind="function"`` tools take a JSON object described by ``parameters`` (JSON Schema).
    ``kind="custom"`` tools (GPT-5 style) take one freeform string whose shape is given by
    ``input_format`` (a regex or grammar constraint), or free text when it is None.
    """

    name: str
    description: Data = ""
    parameters: Annotated[dict[str, Any], AfterValidator(described_as_data)] = Field(
        default_factory=lambda: {"type": "object", "properties": {}}
    )
    kind: Literal["function", "custom"] = "function"
    input_format: Constraint | None = None

    def openai_schema(self) -> dict[str, Any]:
        """The OpenAI chat-completions ``tools`` entry for this tool."""
        return {
            "type": "function",
            "function": {
                "name": self.name,
                "description": self.description,
                "parameters": self.parameters,
            },
        }


class ToolCall(BaseModel):
    """One call of a tool. Custom (freeform) tools carry their text as ``arguments["input"]``."""

    id: str = Field(default_factory=new_id)
    name: Text
    arguments: JsonObject = Field(default_factory=dict)


class Message(BaseModel):
    """One chat message. ``tool`` messages answer the call named by ``tool_call_id``."""

    role: Role
    content: Text = ""
    reasoning: Text | None = None
    tool_calls: list[ToolCall] = Field(default_factory=list)
    tool_call_id: str | None = None
    name: str | None = None


class Usage(BaseModel):
    """Token counts. ``prompt_tokens_evaluated`` < ``prompt_tokens`` shows a prefix cache hit.

    ``prompt_tokens_new`` (in-process backends) counts the prompt tokens past the longest prefix
    shared with any of the model's recent calls: what a cache keeping every recent state would
    evaluate. ``prompt_tokens_evaluated`` against it shows what the cache missed (a strategy
    whose phases interleave different prompts evaluates more than is new).
    """

    prompt_tokens: int = 0
    prompt_tokens_evaluated: int = 0
    prompt_tokens_new: int = 0
    completion_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


class Timings(BaseModel):
    """Wall-clock timings of one completion, in seconds."""

    time_to_first_token_s: float = 0.0
    total_s: float = 0.0
    tokens_per_s: float = 0.0
    # waiting for the model before the turn began: other runs' turns on a shared in-process
    # model (not part of ``total_s``)
    queued_s: float = 0.0


class Completion(BaseModel):
    """A finished model turn."""

    text: Text = ""
    reasoning: Text | None = None
    tool_calls: list[ToolCall] = Field(default_factory=list)
    finish_reason: str = "stop"
    usage: Usage = Field(default_factory=Usage)
    timings: Timings = Field(default_factory=Timings)
    model: str = ""

    def as_message(self) -> Message:
        return Message(
            role="assistant", content=self.text, reasoning=self.reasoning,
            tool_calls=list(self.tool_calls),
        )


class Delta(BaseModel):
    """One streamed piece of a completion. The last delta carries ``completion``."""

    text: Text = ""
    reasoning: Text = ""
    completion: Completion | None = None


class Observation(BaseModel):
    """What a tool call returned (or why it failed), as the model will read it."""

    call_id: str
    tool: str
    content: Data
    ok: bool = True
    hint: Text = ""  # for a failed call: what the model can do instead (shown after the error)
    error: str | None = None
    truncated_chars: int = 0
    started_at: float = 0.0
    ended_at: float = 0.0


class Step(BaseModel):
    """One turn of an agent: what the model said, the calls it made and what came back."""

    index: int
    # "error": a complete turn that could not be parsed; "truncated": a turn the step's token
    # cap cut off inside a call (a budget event, not a format failure)
    kind: Literal["think", "act", "plan", "answer", "error", "truncated"] = "act"
    thought: Text = ""
    calls: list[ToolCall] = Field(default_factory=list)
    observations: list[Observation] = Field(default_factory=list)
    # the last ``implied_calls`` of ``calls`` were made by the runtime, not written by the
    # model: a correction an error suggested, a fan-out's other items (`agents.follow_ups`)
    implied_calls: int = 0
    completion: Completion | None = None
    error: str | None = None
    started_at: float = Field(default_factory=time.time)
    ended_at: float = 0.0


class Trace(BaseModel):
    """Everything one run did; every strategy produces one."""

    id: str = Field(default_factory=lambda: new_id("run"))
    question: Text
    strategy: str = "react"
    model: str = ""
    steps: list[Step] = Field(default_factory=list)
    answer: Text | None = None
    stop_reason: Literal["answer", "max_steps", "max_tokens", "timeout", "stuck",
                         "cancelled", "error", ""] = ""
    started_at: float = Field(default_factory=time.time)
    ended_at: float = 0.0
    meta: dict[str, Any] = Field(default_factory=dict)

    @classmethod
    def load(cls, path: str | Path, run: str | None = None) -> Trace:
        """Read a trace written incrementally as JSONL (`toolweave.trace_file`): the run
        ``run`` (an id), by default the last one started in the file.

        A run killed mid-write leaves a partial last line; it is skipped, and every finished
        step before it is kept. Runs appended to one file never mix: each line names its run.
        """
        from toolweave.trace_file import read_trace  # the format's one reader and writer

        return read_trace(path, run)
