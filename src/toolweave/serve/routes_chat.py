"""``POST /v1/chat/completions``, OpenAI-compatible: ``model`` names an agent of the config, so
any OpenAI client talks to a toolweave agent. The last message is the question; the earlier
user and assistant messages are the conversation so far. Each call is a run like any other
(listed, followed and viewed alike; its id is in the ``x-toolweave-run`` header).

Streaming sends the agent's steps as they finish (``reasoning_content`` deltas, as reasoning
servers do) and then the answer as ``content``.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sse_starlette.sse import EventSourceResponse

from toolweave.serve.auth import bearer_key
from toolweave.serve.errors import API_ERRORS, ErrorResponse, error_response
from toolweave.serve.runs import RunManager, RunRequest
from toolweave.serve.store import RunRecord, trace_of
from toolweave.types import Message, Step

router = APIRouter(prefix="/v1", tags=["openai"], dependencies=[Depends(bearer_key)],
                   responses={**API_ERRORS, 400: {"model": ErrorResponse, "description": (
                       "The messages do not end with a user message that has text")}})

# why a run stopped -> OpenAI's finish_reason
_FINISH = {"answer": "stop", "max_steps": "length", "max_tokens": "length", "timeout": "length"}


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")

    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: str | list[dict[str, Any]] | None = None

    def text(self) -> str:
        if isinstance(self.content, list):  # content parts: only text ones mean anything here
            return "".join(str(p.get("text", "")) for p in self.content
                           if isinstance(p, dict) and p.get("type") == "text")
        return self.content or ""


class StreamOptions(BaseModel):
    model_config = ConfigDict(extra="allow")

    include_usage: bool = False


class ChatRequest(BaseModel):
    """OpenAI's request; sampling fields are accepted and left to the agent's settings."""

    model_config = ConfigDict(extra="allow")

    model: str = Field(description="An agent of the server's config")
    messages: list[ChatMessage] = Field(min_length=1)
    stream: bool = False
    stream_options: StreamOptions | None = None


class ModelCard(BaseModel):
    id: str
    object: str = "model"
    created: int = 0
    owned_by: str = "toolweave"


class ModelList(BaseModel):
    object: str = "list"
    data: list[ModelCard]


def manager(request: Request) -> RunManager:
    return request.app.state.runs


Runs = Annotated[RunManager, Depends(manager)]
Key = Annotated[str | None, Depends(bearer_key)]


@router.get("/models", response_model=ModelList, summary="The agents, as OpenAI models")
async def list_models(request: Request) -> ModelList:
    return ModelList(data=[ModelCard(id=name) for name in request.app.state.config.agents])


@router.post("/chat/completions", summary="OpenAI-compatible chat with an agent",
              responses={200: {"content": {"text/event-stream": {}}}})
async def chat_completions(body: ChatRequest, runs: Runs,
                           key: Key) -> Any:
    last = body.messages[-1]
    if last.role != "user" or not last.text().strip():
        return error_response(400, "the last message must be a user message with text: "
                                   "it is the question the agent answers")
    history = [Message(role=m.role, content=m.text()) for m in body.messages[:-1]
               if m.role in ("user", "assistant") and m.text()]
    record = runs.start(RunRequest(question=last.text(), agent=body.model), key=key,
                        history=history, source="chat")
    headers = {"x-toolweave-run": record.id}
    if body.stream:
        include_usage = bool(body.stream_options and body.stream_options.include_usage)
        return EventSourceResponse(_chunks(runs, record, body.model, include_usage),
                                   headers=headers, ping=15)
    record = await runs.wait(record.id)
    if record.status == "failed":
        return error_response(500, f"the run failed: {record.error}", headers=headers)
    trace = trace_of(runs.store, record.id)
    prompt, completion = _usage(trace.steps if trace else [])
    return JSONResponse(headers=headers, content={
        "id": f"chatcmpl-{record.id}", "object": "chat.completion",
        "created": int(record.created_at), "model": body.model,
        "choices": [{"index": 0, "finish_reason": _FINISH.get(record.stop_reason, "stop"),
                     "message": {"role": "assistant", "content": record.answer or ""}}],
        "usage": {"prompt_tokens": prompt, "completion_tokens": completion,
                  "total_tokens": prompt + completion}})


async def _chunks(runs: RunManager, record: RunRecord, model: str, include_usage: bool) -> Any:
    base = {"id": f"chatcmpl-{record.id}", "object": "chat.completion.chunk",
            "created": int(record.created_at), "model": model}

    def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> dict:
        body = {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
                **extra}
        return {"data": json.dumps(body, ensure_ascii=False)}

    yield chunk({"role": "assistant", "content": ""})
    steps: list[Step] = []
    async for event in runs.follow(record.id):
        if event.get("event") == "step":
            step = Step.model_validate(event["step"])
            steps.append(step)
            if step.kind != "answer" and (text := _step_text(step)):
                yield chunk({"reasoning_content": text})
    record = runs.get(record.id)
    if record.status == "failed":
        yield {"data": json.dumps({"error": {"type": "server_error", "code": 500,
                                             "message": f"the run failed: {record.error}"}})}
        yield {"data": "[DONE]"}
        return
    if record.answer:
        yield chunk({"content": record.answer})
    yield chunk({}, _FINISH.get(record.stop_reason, "stop"))
    if include_usage:
        prompt, completion = _usage(steps)
        yield {"data": json.dumps({**base, "choices": [], "usage": {
            "prompt_tokens": prompt, "completion_tokens": completion,
            "total_tokens": prompt + completion}})}
    yield {"data": "[DONE]"}


def _step_text(step: Step) -> str:
    """A step as a line of reasoning: its thought, its calls and what they returned."""
    parts = [step.thought.strip()] if step.thought.strip() else []
    for call, obs in zip(step.calls, step.observations, strict=False):
        args = json.dumps(call.arguments, ensure_ascii=False)
        parts.append(f"{call.name}({args}) -> {obs.content[:500]}")
    return "\n".join(parts) + "\n" if parts else ""


def _usage(steps: list[Step]) -> tuple[int, int]:
    usages = [s.completion.usage for s in steps if s.completion is not None]
    return sum(u.prompt_tokens for u in usages), sum(u.completion_tokens for u in usages)
