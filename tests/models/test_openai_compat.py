"""`OpenAICompatible` against real loopback servers: llama-cpp-python's server running the tiny
model (constrained decoding, streaming) and a scripted stdlib server (retries, protocol errors,
native tool calls). No HTTP mocks."""

from __future__ import annotations

import json
import re

import pytest

from toolweave.constraints import matches
from toolweave.errors import (
    InvalidConstraintError,
    ModelSpecError,
    ServerError,
    ServerProtocolError,
    ServerUnavailableError,
    UnsupportedConstraintError,
)
from toolweave.models import load_model
from toolweave.models.openai_compat import OpenAICompatible
from toolweave.types import Constraint, Message, ToolCall, ToolSpec


def sse(*chunks: dict | str, done: bool = True) -> bytes:
    """An SSE body: each chunk (a dict is JSON-encoded) as one ``data:`` event."""
    events = [c if isinstance(c, str) else json.dumps(c) for c in chunks]
    if done:
        events.append("[DONE]")
    return "".join(f"data: {e}\n\n" for e in events).encode()


def text_stream(*pieces: str) -> bytes:
    """A valid chat-completions stream of ``pieces``, with usage at the end."""
    chunks: list[dict] = [{"model": "fake", "choices": [{"index": 0, "delta": {"content": p}}]}
                          for p in pieces]
    chunks.append({"model": "fake", "choices": [{"index": 0, "delta": {},
                                                 "finish_reason": "stop"}]})
    chunks.append({"model": "fake", "choices": [], "usage": {
        "prompt_tokens": 10, "completion_tokens": len(pieces),
        "prompt_tokens_details": {"cached_tokens": 4}}})
    return sse(*chunks)


OK = (200, {}, text_stream("Hel", "lo"))
ASK = [Message(role="user", content="Say hello.")]


def fast(url: str, **kwargs) -> OpenAICompatible:
    """A client that retries quickly, for error tests."""
    return OpenAICompatible(url, "m", **{"backoff_s": 0.01, **kwargs})


# -- the tiny model behind llama-cpp-python's server ---------------------------------------------

@pytest.fixture
async def server_model(llama_server):
    model = OpenAICompatible(llama_server, dialect="llama-cpp")
    yield model
    await model.aclose()


ANSWER = {"type": "object", "additionalProperties": False, "required": ["answer", "confidence"],
          "properties": {"answer": {"type": "string", "maxLength": 20},
                         "confidence": {"type": "integer", "minimum": 0, "maximum": 100}}}
CITY = {"type": "object", "additionalProperties": False, "required": ["city", "sunny"],
        "properties": {"city": {"enum": ["Paris", "Rome", "Tokyo", "Lima"]},
                       "sunny": {"type": "boolean"}}}
WORDS = {"type": "array", "items": {"type": "string", "maxLength": 8},
         "minItems": 1, "maxItems": 3}
SCHEMAS = [ANSWER, CITY, WORDS]

PROMPTS = [
    "What is the capital of France?", "How many legs does a spider have?",
    "Name a primary colour.", "Is the sun a star?", "What is 7 times 6?",
    "Which planet is called the red planet?", "Give me a synonym for happy.",
    "What language is spoken in Brazil?", "Who wrote Hamlet?", "What is H2O?",
    "Which is bigger, a cat or a whale?", "What do bees make?",
    "What is the weather like in Rome today?", "Name a fruit that is yellow.",
    "How many days are in a week?", "Is it sunny in Tokyo?", "Reply in JSON, please.",
    "List three animals.", "What is the opposite of cold?", "Tell me a tiny fact.",
    "Where is Lima?", "Spell 'cat' backwards.",
]


@pytest.mark.server
@pytest.mark.parametrize("i", range(len(PROMPTS)))
async def test_json_schema_output_validates(server_model, i):
    constraint = Constraint.json_schema(SCHEMAS[i % len(SCHEMAS)])
    messages = [Message(role="system", content="Answer with one JSON document."),
                Message(role="user", content=PROMPTS[i])]
    out = await server_model.complete(messages, constraint=constraint, max_tokens=60)
    assert out.finish_reason == "stop", out.text
    assert matches(constraint, out.text), out.text


REGEXES = [r"\d{4}-\d{2}-\d{2}", r"(yes|no)", r"\(\d{3}\) \d{3}-\d{4}", r"[A-Z][a-z]{2,8}"]
REGEX_PROMPTS = ["When did the first moon landing happen?", "Is water wet?",
                 "What is the support phone number?"]


@pytest.mark.server
@pytest.mark.parametrize("pattern", REGEXES)
@pytest.mark.parametrize("prompt", REGEX_PROMPTS)
async def test_regex_output_fullmatches(server_model, pattern, prompt):
    constraint = Constraint.regex(pattern)
    out = await server_model.complete([Message(role="user", content=prompt)], constraint=constraint,
                              max_tokens=30)
    assert re.fullmatch(pattern, out.text), out.text


GREETING = r'''
root ::= greeting " " name "!"
greeting ::= "Hello" | "Hi" | "Good " ("morning" | "evening")
name ::= [A-Z] [a-z]{1,9}
'''
GREETING_RE = r"(Hello|Hi|Good (morning|evening)) [A-Z][a-z]{1,9}!"


@pytest.mark.server
@pytest.mark.parametrize("prompt", ["Greet Alice.", "Say good morning to Bob.", "Hi!"])
async def test_gbnf_grammar_output_matches(server_model, prompt):
    out = await server_model.complete([Message(role="user", content=prompt)],
                              constraint=Constraint.grammar(GREETING), max_tokens=30)
    assert re.fullmatch(GREETING_RE, out.text), out.text


@pytest.mark.server
async def test_stream_deltas_add_up_to_the_completion(server_model):
    deltas = [d async for d in server_model.stream(ASK, max_tokens=20)]
    final = deltas[-1].completion
    assert final is not None and all(d.completion is None for d in deltas[:-1])
    assert "".join(d.text for d in deltas) == final.text and final.text
    assert final.usage.completion_tokens > 0
    assert final.timings.total_s >= final.timings.time_to_first_token_s > 0
    assert final.timings.tokens_per_s > 0
    assert final.model and server_model.model  # discovered through GET /models


# -- retries and errors, against the scripted server ---------------------------------------------

async def test_unreachable_server_raises_unavailable(unused_port):
    model = fast(f"http://127.0.0.1:{unused_port}/v1", max_retries=1)
    url = f"http://127.0.0.1:{unused_port}"
    with pytest.raises(ServerUnavailableError, match=f"cannot reach {url}"):
        await model.complete(ASK)
    await model.aclose()


async def test_500_is_retried_then_succeeds(scripted):
    scripted.answer((500, {"Content-Type": "text/plain"}, b"boom"), OK)
    model = fast(scripted.url, api_key="sk-test")
    out = await model.complete(ASK)
    assert out.text == "Hello" and len(scripted.requests) == 2
    assert out.usage.prompt_tokens == 10 and out.usage.prompt_tokens_evaluated == 6
    assert out.usage.completion_tokens == 2 and out.model == "fake"
    sent = scripted.requests[-1]
    assert sent["path"] == "/v1/chat/completions"
    assert sent["headers"]["Authorization"] == "Bearer sk-test"
    assert sent["json"]["stream"] is True
    assert sent["json"]["stream_options"] == {"include_usage": True}
    await model.aclose()


async def test_429_honours_retry_after(scripted):
    scripted.answer((429, {"Retry-After": "0"}, b"slow down"), OK)
    model = OpenAICompatible(scripted.url, "m", backoff_s=5.0)  # Retry-After: 0 wins over 5 s
    out = await model.complete(ASK)
    assert out.text == "Hello" and len(scripted.requests) == 2
    await model.aclose()


async def test_retries_run_out(scripted):
    scripted.answer((503, {}, b"overloaded"))
    model = fast(scripted.url, max_retries=2)
    with pytest.raises(ServerError, match="HTTP 503: overloaded"):
        await model.complete(ASK)
    assert len(scripted.requests) == 3
    await model.aclose()


async def test_400_is_not_retried(scripted):
    scripted.answer((400, {"Content-Type": "application/json"}, b'{"error": "bad field x"}'))
    model = fast(scripted.url)
    with pytest.raises(ServerError, match=r"HTTP 400: .*bad field x") as info:
        await model.complete(ASK)
    assert not isinstance(info.value, ServerUnavailableError)
    assert len(scripted.requests) == 1
    await model.aclose()


@pytest.mark.parametrize("body, message", [
    (b"data: {not json\n\n", "not JSON"),
    (b'{"choices": []}', "did not send an SSE stream"),
    (sse({"choices": [{"index": 0, "delta": {"content": "cut"}}]}, done=False), "without"),
])
async def test_malformed_stream_is_a_protocol_error(scripted, body, message):
    scripted.answer((200, {}, body))
    model = fast(scripted.url)
    with pytest.raises(ServerProtocolError, match=message):
        await model.complete(ASK)
    assert len(scripted.requests) == 1  # a bad answer is not retried
    await model.aclose()


async def test_unsupported_constraint_is_refused_before_any_request(scripted):
    scripted.answer(OK)
    model = fast(scripted.url, dialect="openai")
    with pytest.raises(UnsupportedConstraintError, match="regex"):
        await model.complete(ASK, constraint=Constraint.regex("yes|no"))
    with pytest.raises(UnsupportedConstraintError, match="lark"):
        await fast(scripted.url, dialect="sglang").complete(
            ASK, constraint=Constraint.grammar("start: 'a'", syntax="lark"))
    assert scripted.requests == []


async def test_invalid_schema_is_refused_before_any_request(scripted):
    scripted.answer(OK)
    with pytest.raises(InvalidConstraintError, match="JSON Schema"):
        await fast(scripted.url).complete(ASK, constraint=Constraint.json_schema({"type": 12}))
    assert scripted.requests == []


async def test_json_schema_goes_out_as_response_format(scripted):
    scripted.answer(OK)
    schema = {"type": "object"}
    model = fast(scripted.url, dialect="openai")
    await model.complete(ASK, constraint=Constraint.json_schema(schema), reasoning="low")
    sent = scripted.requests[0]["json"]
    assert sent["response_format"]["json_schema"]["schema"] == schema
    assert sent["reasoning_effort"] == "low"
    await model.aclose()


@pytest.mark.parametrize("dialect, constraint, field", [
    ("vllm", Constraint.regex("a+"), {"structured_outputs": {"regex": "a+"}}),
    ("vllm", Constraint.json_schema({"type": "object"}),
     {"structured_outputs": {"json": {"type": "object"}}}),
    ("vllm", Constraint.grammar("start: 'a'", "lark"),
     {"structured_outputs": {"grammar": "start: 'a'"}}),
    ("sglang", Constraint.regex("a+"), {"regex": "a+"}),
    ("sglang", Constraint.grammar('root ::= "a"'), {"ebnf": 'root ::= "a"'}),
    ("llama-server", Constraint.json_schema({"type": "object"}),
     {"json_schema": {"type": "object"}}),
    ("llama-server", Constraint.grammar('root ::= "a"'), {"grammar": 'root ::= "a"'}),
])
def test_constraint_fields_per_dialect(dialect, constraint, field):
    assert OpenAICompatible("http://h/v1", "m", dialect=dialect).constraint_fields(constraint) \
        == field


def test_reasoning_effort_only_for_dialects_that_take_it():
    assert "reasoning_effort" not in OpenAICompatible("http://h/v1", "m", dialect="sglang") \
        .request_body(ASK, reasoning="high")
    assert "reasoning_effort" not in OpenAICompatible("http://h/v1", "m").request_body(ASK)


def test_load_model_reads_dialect_and_model():
    model = load_model("http://127.0.0.1:8123/v1?dialect=llama-cpp#x")
    assert isinstance(model, OpenAICompatible)
    assert (model.base_url, model.dialect, model.model) == ("http://127.0.0.1:8123/v1",
                                                            "llama-cpp", "x")
    assert "regex" in model.constraint_kinds


def test_bad_dialect_is_a_spec_error():
    with pytest.raises(ModelSpecError, match="vllm"):
        load_model("http://127.0.0.1:8123/v1?dialect=nope#x")


# -- native tool calls -----------------------------------------------------------------------------

def _call_chunk(index: int, **fields) -> dict:
    return {"choices": [{"index": 0, "delta": {"tool_calls": [{"index": index, **fields}]}}]}


async def test_streamed_tool_calls_are_assembled(scripted):
    body = sse(
        _call_chunk(0, id="call_a", type="function", function={"name": "get_weather",
                                                               "arguments": ""}),
        _call_chunk(0, function={"arguments": '{"city": "Pa'}),
        _call_chunk(1, id="call_b", type="function", function={"name": "add", "arguments": '{"a"'}),
        _call_chunk(0, function={"arguments": 'ris"}'}),
        _call_chunk(1, function={"arguments": ": 1, \"b\": 2}"}),
        {"choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]},
    )
    scripted.answer((200, {}, body))
    model = fast(scripted.url)
    tools = [ToolSpec(name="get_weather"), ToolSpec(name="add")]
    history = [*ASK, Message(role="assistant", tool_calls=[ToolCall(id="c0", name="add",
                                                                    arguments={"a": 1})]),
               Message(role="tool", content="1", tool_call_id="c0")]
    out = await model.complete(history, tools=tools)
    assert out.finish_reason == "tool_calls" and out.text == ""
    assert [(c.id, c.name, c.arguments) for c in out.tool_calls] == [
        ("call_a", "get_weather", {"city": "Paris"}), ("call_b", "add", {"a": 1, "b": 2})]
    sent = scripted.requests[0]["json"]
    assert [t["function"]["name"] for t in sent["tools"]] == ["get_weather", "add"]
    assert sent["messages"][1]["tool_calls"][0]["function"]["arguments"] == '{"a": 1}'
    assert sent["messages"][2]["tool_call_id"] == "c0"
    await model.aclose()


async def test_unparseable_tool_arguments_are_kept_raw(scripted):
    scripted.answer((200, {}, sse(
        _call_chunk(0, id="c", function={"name": "f", "arguments": '{"x": '}),
        {"choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]})))
    model = fast(scripted.url)
    out = await model.complete(ASK)
    assert out.tool_calls[0].arguments == {"__raw__": '{"x": '}
    await model.aclose()


# -- credentials -----------------------------------------------------------------------------------

async def test_a_key_in_the_url_is_sent_as_a_bearer_and_never_shown(scripted):
    keyed = scripted.url.replace("http://", "http://:sk-secret-1@")
    scripted.answer((401, {"Content-Type": "application/json"},
                     b'{"error": "bad key sk-secret-1 in Authorization"}'))
    model = OpenAICompatible(keyed, backoff_s=0.01)
    assert "sk-secret" not in model.base_url and "sk-secret" not in model.name
    with pytest.raises(ServerError) as info:
        await model.complete(ASK)
    assert scripted.requests[0]["headers"]["Authorization"] == "Bearer sk-secret-1"
    assert "sk-secret-1" not in str(info.value) and "***" in str(info.value)
    await model.aclose()


def test_the_openai_key_goes_to_openai_only(monkeypatch):
    monkeypatch.delenv("TOOLWEAVE_API_KEY", raising=False)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-openai")
    assert OpenAICompatible("https://api.openai.com/v1").api_key == "sk-openai"
    assert OpenAICompatible("http://127.0.0.1:8000/v1").api_key is None
    assert OpenAICompatible("https://evil.example/v1").api_key is None
    assert OpenAICompatible("https://evil.example/v1", api_key="mine").api_key == "mine"
    monkeypatch.setenv("TOOLWEAVE_API_KEY", "tw-key")
    assert OpenAICompatible("http://127.0.0.1:8000/v1").api_key == "tw-key"
    assert OpenAICompatible("http://[::1]:8000/v1").base_url == "http://[::1]:8000/v1"
