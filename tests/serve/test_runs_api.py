"""The run API against a real server on loopback (Scripted model): start, read, follow live,
cancel, list; errors and limits."""

from __future__ import annotations

import json

import httpx
import pytest
from serving import running_server, scripted_config


def sse_events(response: httpx.Response):
    """(event, data) pairs of a text/event-stream response, as they arrive."""
    kind, data = "message", []
    for line in response.iter_lines():
        if line.startswith("event:"):
            kind = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].strip())
        elif not line and data:
            yield kind, json.loads("\n".join(data))
            kind, data = "message", []


def test_a_run_is_started_and_read_back_with_its_answer_and_trace(client):
    started = client.post("/v1/runs", json={"question": "What is 12 * 7?"})
    assert started.status_code == 202
    run_id = started.json()["id"]
    assert started.json()["status"] == "queued" and run_id.startswith("run_")
    run = client.get(f"/v1/runs/{run_id}", params={"wait": 10}).json()
    assert run["status"] == "completed" and run["stop_reason"] == "answer"
    assert run["answer"] == "The answer is 84."
    trace = run["trace"]
    assert trace["id"] == run_id and trace["question"] == "What is 12 * 7?"
    observation = trace["steps"][0]["observations"][0]
    assert observation["tool"] == "calculator" and observation["content"] == "84"


def test_events_stream_live_while_the_run_goes(client):
    run_id = client.post("/v1/runs", json={"question": "2 + 3", "agent": "slow"}).json()["id"]
    kinds, status_at_first_step = [], None
    with client.stream("GET", f"/v1/runs/{run_id}/events") as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        for kind, data in sse_events(response):
            kinds.append(kind)
            if kind == "step" and status_at_first_step is None:
                status_at_first_step = client.get(f"/v1/runs/{run_id}").json()["status"]
                assert data["step"]["calls"][0]["name"] == "calculator"
            if kind == "done":
                assert data["status"] == "completed"
                break
    assert status_at_first_step == "running"  # the step came while the run still went
    assert kinds[0] == "start" and kinds[-2:] == ["end", "done"]
    assert kinds.count("step") == 4 and "step_start" in kinds


def test_a_finished_runs_events_are_replayed_from_the_store(client):
    run_id = client.post("/v1/runs", json={"question": "6 * 7"}).json()["id"]
    client.get(f"/v1/runs/{run_id}", params={"wait": 10})
    with client.stream("GET", f"/v1/runs/{run_id}/events") as response:
        kinds = [kind for kind, _ in sse_events(response)]
    assert kinds == ["start", "meta", "step", "step", "end", "done"] or (
        kinds[0] == "start" and kinds[-2:] == ["end", "done"] and kinds.count("step") == 2)


def test_cancel_stops_a_run_and_it_says_so(client):
    run_id = client.post("/v1/runs", json={"question": "2 + 3", "agent": "slow"}).json()["id"]
    cancelled = client.post(f"/v1/runs/{run_id}/cancel").json()
    assert cancelled["status"] == "cancelled"
    assert cancelled["trace"]["stop_reason"] == "cancelled"
    assert client.get(f"/v1/runs/{run_id}").json()["status"] == "cancelled"


def test_runs_are_listed_newest_first_and_filtered_by_status(client):
    done = client.post("/v1/runs", json={"question": "1 + 1"}).json()["id"]
    client.get(f"/v1/runs/{done}", params={"wait": 10})
    going = client.post("/v1/runs", json={"question": "2 + 2", "agent": "slow"}).json()["id"]
    listed = [r["id"] for r in client.get("/v1/runs").json()["runs"]]
    assert listed[:2] == [going, done]
    running = [r["id"] for r in client.get("/v1/runs", params={"status": "running"}).json()["runs"]]
    completed = client.get("/v1/runs", params={"status": "completed"}).json()["runs"]
    assert going in running and done not in running
    assert [r["id"] for r in completed] == [done]
    bad = client.get("/v1/runs", params={"status": "sleeping"})
    assert bad.status_code == 422 and "status" in bad.json()["error"]["message"]


def test_bad_requests_get_clear_4xx_errors(client):
    empty = client.post("/v1/runs", json={"question": ""})
    assert empty.status_code == 422
    error = empty.json()["error"]
    assert error["type"] == "invalid_request_error"
    assert "body.question" in error["message"] and "at least 1 character" in error["message"]
    extra = client.post("/v1/runs", json={"question": "1+1", "max_steps": 0, "colour": "red"})
    assert extra.status_code == 422
    assert {tuple(d["loc"]) for d in extra.json()["error"]["details"]} == {
        ("body", "max_steps"), ("body", "colour")}
    unknown = client.post("/v1/runs", json={"question": "1+1", "agent": "nobody"})
    assert unknown.status_code == 404 and "calc, slow" in unknown.json()["error"]["message"]
    assert client.get("/v1/runs/run_missing").status_code == 404
    assert client.post("/v1/runs", content=b"{not json",
                       headers={"content-type": "application/json"}).status_code == 422


def test_a_body_over_the_size_limit_is_refused_with_413(tmp_path):
    config = scripted_config(tmp_path, limits={"max_body_bytes": 1024})
    with running_server(config) as url, httpx.Client(base_url=url) as client:
        big = client.post("/v1/runs", json={"question": "x" * 5000})
        assert big.status_code == 413 and "1024" in big.json()["error"]["message"]

        def chunks():  # no Content-Length: counted as it streams in
            yield b'{"question": "'
            for _ in range(10):
                yield b"y" * 500
            yield b'"}'

        chunked = client.post("/v1/runs", content=chunks(),
                              headers={"content-type": "application/json"})
        assert chunked.status_code == 413
        assert client.get("/v1/runs").json()["runs"] == []  # nothing was started


def test_keys_guard_every_route_but_health(tmp_path, monkeypatch):
    monkeypatch.setenv("TOOLWEAVE_SERVE_KEYS", "env-key, other")
    config = scripted_config(tmp_path, keys=["file-key"])
    with running_server(config) as url, httpx.Client(base_url=url) as client:
        assert client.get("/healthz").json()["status"] == "ok"
        for method, path in [("GET", "/v1/runs"), ("POST", "/v1/runs"), ("GET", "/v1/agents"),
                             ("GET", "/v1/runs/run_x"), ("POST", "/v1/chat/completions")]:
            refused = client.request(method, path, json={"question": "1+1"})
            assert refused.status_code == 401, path
            assert refused.headers["www-authenticate"] == "Bearer"
        wrong = client.get("/v1/runs", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
        for key in ("file-key", "env-key", "other"):
            ok = client.get("/v1/runs", headers={"Authorization": f"Bearer {key}"})
            assert ok.status_code == 200, key


def test_each_key_may_have_only_so_many_runs_going(tmp_path):
    config = scripted_config(tmp_path, keys=["a", "b"], limits={"max_active_runs_per_key": 1})
    with running_server(config) as url, httpx.Client(base_url=url) as client:
        a, b = {"Authorization": "Bearer a"}, {"Authorization": "Bearer b"}
        slow = {"question": "1 + 1", "agent": "slow"}
        first = client.post("/v1/runs", json=slow, headers=a)
        assert first.status_code == 202
        second = client.post("/v1/runs", json=slow, headers=a)
        assert second.status_code == 429 and "1 runs going" in second.json()["error"]["message"]
        assert client.post("/v1/runs", json=slow, headers=b).status_code == 202
        client.get(f"/v1/runs/{first.json()['id']}", params={"wait": 10}, headers=a)
        assert client.post("/v1/runs", json=slow, headers=a).status_code == 202


def test_the_openapi_spec_describes_the_routes(client):
    spec = client.get("/openapi.json").json()
    for path in ("/v1/runs", "/v1/runs/{run_id}", "/v1/runs/{run_id}/events",
                 "/v1/runs/{run_id}/cancel", "/v1/chat/completions", "/healthz"):
        assert path in spec["paths"], path
    assert "question" in spec["components"]["schemas"]["RunRequest"]["properties"]


@pytest.mark.parametrize("question", ["What is 3 * (4 + 5)?"])
def test_settings_overrides_reach_the_agent(client, question):
    run_id = client.post("/v1/runs", json={"question": question, "max_steps": 1}).json()["id"]
    run = client.get(f"/v1/runs/{run_id}", params={"wait": 10}).json()
    # one step allowed: the call is made, then the budget ends the run with an answer turn
    assert run["status"] == "completed" and run["trace"]["steps"][0]["calls"]
    assert run["request"]["max_steps"] == 1


def test_runs_in_a_session_continue_one_conversation(client, tmp_path):
    first = client.post("/v1/runs", json={"question": "What is 6 * 7?", "session": "s-1"}
                        ).json()["id"]
    second = client.post("/v1/runs", json={"question": "And 2 + 2?", "session": "s-1"}
                         ).json()["id"]
    other = client.post("/v1/runs", json={"question": "1 + 1", "session": "s-2"}).json()["id"]
    runs = {r: client.get(f"/v1/runs/{r}", params={"wait": 10}).json()
            for r in (first, second, other)}
    assert runs[second]["answer"] == "The answer is 4."
    conversation = runs[second]["trace"]["meta"]["conversation"]
    assert conversation["turn"] == 1 and conversation["previous"] == first
    assert runs[other]["trace"]["meta"]["conversation"]["turn"] == 0
    saved = (tmp_path / "sessions" / "s-1.jsonl").read_text().splitlines()
    assert len(saved) == 3  # the session's header and its two turns
    bad = client.post("/v1/runs", json={"question": "1+1", "session": "../etc/passwd"})
    assert bad.status_code == 422 and "body.session" in bad.json()["error"]["message"]


def test_a_run_whose_model_cannot_load_fails_with_the_reason(tmp_path):
    config = scripted_config(tmp_path)
    config["models"]["broken"] = {"spec": str(tmp_path / "missing.gguf")}
    config["agents"]["broken"] = {"model": "broken"}
    with running_server(config) as url, httpx.Client(base_url=url, timeout=30) as client:
        run_id = client.post("/v1/runs", json={"question": "1 + 1", "agent": "broken"}
                             ).json()["id"]
        run = client.get(f"/v1/runs/{run_id}", params={"wait": 20}).json()
        assert run["status"] == "failed" and "missing.gguf" in run["error"]
        # the server is unharmed: the next run answers
        ok = client.post("/v1/runs", json={"question": "1 + 1"}).json()["id"]
        assert client.get(f"/v1/runs/{ok}", params={"wait": 10}).json()["status"] == "completed"


def test_a_server_stopping_marks_its_unfinished_runs_interrupted(tmp_path):
    from toolweave.serve.store import SQLiteRunStore, trace_of

    config = scripted_config(tmp_path)
    with running_server(config) as url, httpx.Client(base_url=url, timeout=20) as client:
        run_id = client.post("/v1/runs", json={"question": "2 + 3", "agent": "slow"}
                             ).json()["id"]
        with client.stream("GET", f"/v1/runs/{run_id}/events") as response:
            next(kind for kind, _ in sse_events(response) if kind == "step")
    store = SQLiteRunStore(tmp_path / "runs.sqlite")
    assert store.get(run_id).status == "interrupted"
    trace = trace_of(store, run_id)
    assert trace.steps and trace.stop_reason == "cancelled"  # the recorder ended it


def test_a_restarted_server_resumes_plain_runs_and_leaves_session_runs_interrupted(tmp_path):
    config = scripted_config(tmp_path)
    slow = {"question": "2 + 3", "agent": "slow"}
    with running_server(config) as url, httpx.Client(base_url=url, timeout=20) as client:
        plain = client.post("/v1/runs", json=slow).json()["id"]
        in_session = client.post("/v1/runs", json={**slow, "session": "s"}).json()["id"]
        for run_id in (plain, in_session):
            with client.stream("GET", f"/v1/runs/{run_id}/events") as response:
                next(kind for kind, _ in sse_events(response) if kind == "step")
    with running_server(config) as url, httpx.Client(base_url=url, timeout=20) as client:
        resumed = client.get(f"/v1/runs/{plain}", params={"wait": 10}).json()
        assert resumed["status"] == "completed", resumed["error"]
        assert resumed["answer"] == "The answer is 5."
        kept = client.get(f"/v1/runs/{in_session}").json()
        assert kept["status"] == "interrupted" and kept["trace"]["steps"]
    config["resume_unfinished"] = False
    with running_server(config) as url, httpx.Client(base_url=url, timeout=20) as client:
        going = client.post("/v1/runs", json=slow).json()["id"]
        with client.stream("GET", f"/v1/runs/{going}/events") as response:
            next(kind for kind, _ in sse_events(response) if kind == "step")
    with running_server(config) as url, httpx.Client(base_url=url, timeout=20) as client:
        assert client.get(f"/v1/runs/{going}", params={"wait": 2}).json()["status"] == (
            "interrupted")
