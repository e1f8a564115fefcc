"""``/v1/chat/completions`` with the real `openai` client against a server on loopback."""

from __future__ import annotations

import httpx
import pytest

openai = pytest.importorskip("openai")


@pytest.fixture
def oai(server):
    return openai.OpenAI(base_url=f"{server}/v1", api_key="unused", max_retries=0)


def test_a_completion_answers_with_the_agent_and_names_its_run(oai, client):
    raw = oai.chat.completions.with_raw_response.create(
        model="calc", messages=[{"role": "user", "content": "What is 12 * 7?"}])
    completion = raw.parse()
    assert completion.choices[0].message.content == "The answer is 84."
    assert completion.choices[0].finish_reason == "stop"
    assert completion.model == "calc" and completion.object == "chat.completion"
    run_id = raw.headers["x-toolweave-run"]
    assert completion.id == f"chatcmpl-{run_id}"
    run = client.get(f"/v1/runs/{run_id}").json()  # the chat was a run like any other
    assert run["request"]["source"] == "chat" and run["trace"]["steps"][0]["calls"]


def test_a_streamed_completion_sends_steps_then_the_answer(oai):
    stream = oai.chat.completions.create(
        model="slow", stream=True, stream_options={"include_usage": True},
        messages=[{"role": "system", "content": "Be brief."},
                  {"role": "user", "content": "Hi"},
                  {"role": "assistant", "content": "Hello."},
                  {"role": "user", "content": "What is 2 + 3?"}])
    chunks = list(stream)
    reasoning = [getattr(c.choices[0].delta, "reasoning_content", None) or ""
                 for c in chunks if c.choices]
    content = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    finish = [c.choices[0].finish_reason for c in chunks if c.choices and
              c.choices[0].finish_reason]
    assert chunks[0].choices[0].delta.role == "assistant"
    assert sum("calculator(" in r for r in reasoning) == 3  # each step, as it finished
    assert content == "The answer is 5." and finish == ["stop"]
    assert chunks[-1].usage is not None and not chunks[-1].choices


def test_the_history_reaches_the_agent(oai, client):
    raw = oai.chat.completions.with_raw_response.create(
        model="calc", messages=[{"role": "user", "content": "Remember 9."},
                                {"role": "assistant", "content": "Noted."},
                                {"role": "user", "content": "What is 9 * 9?"}])
    trace = client.get(f"/v1/runs/{raw.headers['x-toolweave-run']}").json()["trace"]
    assert trace["question"] == "What is 9 * 9?"
    assert raw.parse().choices[0].message.content == "The answer is 81."


def test_agents_are_listed_as_models_and_bad_requests_are_openai_errors(oai, server):
    assert {m.id for m in oai.models.list()} == {"calc", "slow"}
    with pytest.raises(openai.NotFoundError, match="no agent 'gpt-4o'"):
        oai.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "x"}])
    with pytest.raises(openai.BadRequestError, match="last message must be a user message"):
        oai.chat.completions.create(model="calc",
                                    messages=[{"role": "assistant", "content": "x"}])
    empty = httpx.post(f"{server}/v1/chat/completions", json={"model": "calc", "messages": []})
    assert empty.status_code == 422 and "body.messages" in empty.json()["error"]["message"]
