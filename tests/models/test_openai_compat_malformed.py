"""`OpenAICompatible` against a real loopback server that answers wrongly: every malformed
shape is a typed error with a short message, and the overall deadline ends streams that are
kept alive forever (issue 18, item 4)."""

from __future__ import annotations

import json
import time

import pytest

from toolweave.errors import (
    ModelSpecError,
    ServerDeadlineError,
    ServerError,
    ServerProtocolError,
)
from toolweave.models import load_model
from toolweave.models.openai_compat import OpenAICompatible
from toolweave.types import Message

ASK = [Message(role="user", content="Say hello.")]
STOP = {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}


def sse(*events: dict | str) -> bytes:
    """An SSE body: each event (a dict is JSON-encoded) as one ``data:`` event, then [DONE]."""
    return "".join(f"data: {e if isinstance(e, str) else json.dumps(e)}\n\n"
                   for e in (*events, "[DONE]")).encode()


def delta(**fields) -> dict:
    return {"choices": [{"index": 0, "delta": fields}]}


def fast(url: str, **kwargs) -> OpenAICompatible:
    return OpenAICompatible(url, "m", **{"backoff_s": 0.01, **kwargs})


async def answer_of(scripted, body: bytes, headers: dict | None = None, **kwargs):
    scripted.answer((200, headers or {}, body))
    model = fast(scripted.url, **kwargs)
    try:
        return await model.complete(ASK)
    finally:
        await model.aclose()


DEEP = "[" * 100_000 + "]" * 100_000

MALFORMED = [
    pytest.param(sse({"choices": {"0": {"delta": {}}}}), r"`choices` should be a list, got an "
                 r"object", id="choices-object"),
    pytest.param(sse({"choices": "hello"}), "`choices` should be a list", id="choices-string"),
    pytest.param(sse({"choices": ["hello"]}), r"`choices\[0\]` should be an object",
                 id="choice-string"),
    pytest.param(sse({"choices": [{"delta": "hello"}]}),
                 r"`choices\[0\].delta` should be an object, got a string: 'hello'",
                 id="delta-string"),
    pytest.param(sse(delta(tool_calls=7)), r"`choices\[0\].delta.tool_calls` should be a list, "
                 "got a number", id="tool_calls-int"),
    pytest.param(sse(delta(tool_calls=["call"])), r"tool_calls\[0\]` should be an object",
                 id="tool_call-string"),
    pytest.param(sse(delta(tool_calls=[{"index": "0", "function": {"name": "f"}}])),
                 r"tool_calls\[0\].index` should be an integer", id="index-string"),
    pytest.param(sse(delta(tool_calls=[{"index": True}])), "index` should be an integer, got a "
                 "boolean", id="index-bool"),
    pytest.param(sse(delta(tool_calls=[{"index": 0, "function": ["f"]}])),
                 "function` should be an object", id="function-list"),
    pytest.param(sse(delta(tool_calls=[{"index": 0, "function": {"name": 3}}])),
                 "function.name` should be a string", id="name-int"),
    pytest.param(sse(delta(tool_calls=[{"index": 0, "function": {"arguments": {"a": 1}}}])),
                 "function.arguments` should be a string", id="arguments-object"),
    pytest.param(sse(delta(content={"text": "hi"})), r"delta.content` should be a string, got "
                 "an object", id="content-object"),
    pytest.param(sse(delta(content=["hi"])), "content` should be a string", id="content-list"),
    pytest.param(sse(delta(reasoning_content=5)), "reasoning_content` should be a string",
                 id="reasoning-int"),
    pytest.param(sse({"choices": [{"delta": {}, "finish_reason": 1}]}),
                 "finish_reason` should be a string", id="finish_reason-int"),
    pytest.param(sse({"model": ["m"], "choices": []}, STOP), "`model` should be a string",
                 id="model-list"),
    pytest.param(sse({"usage": [1, 2], "choices": []}, STOP), "`usage` should be an object",
                 id="usage-list"),
    pytest.param(sse(STOP, {"choices": [], "usage": {"prompt_tokens": "many"}}),
                 "`usage.prompt_tokens` should be a token count", id="usage-string"),
    pytest.param(sse(STOP, {"choices": [], "usage": {"completion_tokens": -3}}),
                 "completion_tokens` should be a token count", id="usage-negative"),
    pytest.param(sse(STOP, '{"choices": [], "usage": {"prompt_tokens": 1e999}}'),
                 "prompt_tokens` should be a token count", id="usage-infinite"),
    pytest.param(sse(STOP, {"choices": [], "usage": {"prompt_tokens_details": 4}}),
                 "prompt_tokens_details` should be an object", id="usage-details-int"),
    pytest.param(sse(DEEP), "not JSON", id="deeply-nested"),
    pytest.param(sse('{"choices": [], "n": 1' + "0" * 5000 + "}"), "not JSON",
                 id="5000-digit-int"),
    pytest.param(sse("{not json"), "not JSON", id="data-not-json"),
    pytest.param(sse("[1, 2]"), "not an object", id="data-array"),
    pytest.param(sse('"text"'), "not an object", id="data-string"),
    pytest.param(b'{"choices": []}', "did not send an SSE stream", id="plain-json"),
    pytest.param(b"hello\n\nworld", "did not send an SSE stream", id="plain-text"),
    pytest.param(b"data: " + b"x" * 5_000_000, "larger than", id="endless-line"),
    pytest.param((b"data: " + b"x" * 1000 + b"\n") * 5000, "larger than", id="endless-event"),
    pytest.param(b"", "without \\[DONE\\]", id="empty-body"),
    pytest.param(b": ping\n\n" * 3, "without \\[DONE\\]", id="only-pings"),
]


@pytest.mark.parametrize("body, message", MALFORMED)
async def test_a_malformed_stream_is_a_protocol_error(scripted, body, message):
    with pytest.raises(ServerProtocolError, match=message) as info:
        await answer_of(scripted, body)
    assert len(str(info.value)) < 400  # short: an excerpt, never the whole body
    assert len(scripted.requests) == 1  # a bad answer is not retried


async def test_a_200_with_html_is_a_protocol_error(scripted):
    page = b"<!DOCTYPE html>\n<html><head><title>Sign in</title></head>\n\n<body>x</body></html>"
    with pytest.raises(ServerProtocolError, match="HTML page.*/v1 base"):
        await answer_of(scripted, page, {"Content-Type": "text/html; charset=utf-8"})


async def test_html_without_its_content_type_is_still_refused(scripted):
    page = b"<html>\n<body>404</body>\n</html>"
    with pytest.raises(ServerProtocolError, match="did not send an SSE stream: '<html>'"):
        await answer_of(scripted, page)


@pytest.mark.parametrize("body", [b"<html><body>Bad Gateway</body></html>",
                                  b"\xff\xfe\x00garbage\x80", b"x" * 1_000_000])
async def test_a_non_json_error_body_is_a_short_server_error(scripted, body):
    scripted.answer((502, {"Content-Type": "text/html"}, body))
    model = fast(scripted.url, max_retries=1)
    with pytest.raises(ServerError, match="HTTP 502") as info:
        await model.complete(ASK)
    assert len(str(info.value)) < 400 and len(scripted.requests) == 2
    await model.aclose()


async def test_a_mid_stream_error_is_a_server_error_without_the_key(scripted):
    scripted.answer((200, {}, sse(delta(content="a"),
                                  {"error": {"message": "bad header Bearer sk-live-9",
                                             "nested": [[[1]]]}})))
    model = fast(scripted.url, api_key="sk-live-9")
    with pytest.raises(ServerError, match="failed mid-stream") as info:
        await model.complete(ASK)
    assert "sk-live-9" not in str(info.value) and "***" in str(info.value)
    await model.aclose()


async def test_invalid_utf8_and_lone_surrogates_become_replacement_characters(scripted):
    body = (b'data: {"choices": [{"delta": {"content": "a\xff\xfeb"}}]}\n\n'
            b'data: {"choices": [{"delta": {"content": "c\\ud800d"}}]}\n\n'
            + sse(STOP))
    out = await answer_of(scripted, body)
    assert out.text == "a\ufffd\ufffdbc\ufffdd"
    out.model_dump_json()  # writable as it is: nothing left that UTF-8 cannot encode


async def test_an_unknown_charset_is_read_as_utf8(scripted):
    out = await answer_of(scripted, sse(delta(content="héllo"), STOP),
                          {"Content-Type": "text/event-stream; charset=no-such-codec"})
    assert out.text == "héllo"


@pytest.mark.parametrize("arguments", [
    "[" * 70 + "]" * 70, '{"a": ' + "[" * 70 + "]" * 70 + "}", '{"a": ' + "[" * 100_000,
    "[" * 100_000 + "]" * 100_000,
])
async def test_tool_arguments_nested_too_deep_are_kept_raw(scripted, arguments):
    body = sse(delta(tool_calls=[{"index": 0, "id": "c1",
                                  "function": {"name": "f", "arguments": arguments}}]),
               {"choices": [{"delta": {}, "finish_reason": "tool_calls"}]})
    out = await answer_of(scripted, body)
    assert [(c.id, c.name, c.arguments) for c in out.tool_calls] == \
        [("c1", "f", {"__raw__": arguments})]


async def test_a_crlf_stream_split_anywhere_reads_the_same(scripted):
    body = sse(delta(content="one"), delta(content="two"), STOP).replace(b"\n", b"\r\n")

    def trickle(wfile):  # one byte per write: every \r\n is split across reads somewhere
        for i in range(len(body)):
            wfile.write(body[i:i + 1])
            wfile.flush()

    out = await answer_of(scripted, trickle)
    assert out.text == "onetwo" and out.finish_reason == "stop"


# -- the overall deadline ------------------------------------------------------------------------

def pings_forever(wfile):
    """What a stuck server behind a keep-alive proxy sends: a comment every half second."""
    while True:
        wfile.write(b": ping\n\n")
        wfile.flush()
        time.sleep(0.5)


def tokens_forever(wfile):
    """A token every 0.2 s, never a finish: each read is quick, the answer never ends."""
    while True:
        wfile.write(sse(delta(content="la"))[:-len(b"data: [DONE]\n\n")])
        wfile.flush()
        time.sleep(0.2)


@pytest.mark.parametrize("body", [pings_forever, tokens_forever])
async def test_the_deadline_ends_a_stream_kept_alive_forever(scripted, body):
    scripted.answer((200, {}, body))
    model = fast(scripted.url, deadline_s=1.5, timeout_s=1.0)  # every read is within 1 s
    started = time.monotonic()
    got = []
    with pytest.raises(ServerDeadlineError, match=r"did not finish within the 1.5 s deadline"):
        async for piece in model.stream(ASK):
            got.append(piece.text)
    assert 1.5 <= time.monotonic() - started < 2.5
    assert (body is tokens_forever) == bool(got)  # tokens reached the caller as they came
    await model.aclose()


async def test_the_deadline_covers_a_server_that_never_answers(scripted):
    scripted.answer((200, {}, lambda wfile: time.sleep(5)))  # headers sent, then silence
    model = fast(scripted.url, deadline_s=0.5, timeout_s=30.0)
    started = time.monotonic()
    with pytest.raises(ServerDeadlineError):
        await model.complete(ASK)
    assert time.monotonic() - started < 1.5
    await model.aclose()


async def test_no_retry_is_waited_for_past_the_deadline(scripted):
    scripted.answer((503, {"Retry-After": "20"}, b"overloaded"))
    model = fast(scripted.url, deadline_s=2.0)
    started = time.monotonic()
    with pytest.raises(ServerError, match="HTTP 503: overloaded"):  # the real failure, at once
        await model.complete(ASK)
    assert time.monotonic() - started < 1.0 and len(scripted.requests) == 1
    await model.aclose()


async def test_a_fast_answer_is_untouched_by_the_deadline(scripted):
    out = await answer_of(scripted, sse(delta(content="hi"), STOP), deadline_s=5.0)
    assert out.text == "hi"


def test_the_deadline_is_set_from_the_model_spec():
    assert load_model("http://127.0.0.1:1/v1#m").deadline_s == 600.0
    assert load_model("http://127.0.0.1:1/v1?deadline=2.5#m").deadline_s == 2.5
    assert load_model("http://127.0.0.1:1/v1?dialect=vllm&deadline=none#m").deadline_s is None
    for bad in ("abc", "0", "-1", "nan", "inf"):
        with pytest.raises(ModelSpecError, match="deadline"):
            load_model(f"http://127.0.0.1:1/v1?deadline={bad}#m")
    with pytest.raises(ModelSpecError, match="deadline_s"):
        OpenAICompatible("http://127.0.0.1:1/v1", deadline_s=0)
