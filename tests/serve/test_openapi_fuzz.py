"""schemathesis against the OpenAPI spec of a real server on loopback: no generated request
gets a 500, and every response matches what the spec says.

Driven through its Python API with hypothesis (its pytest plugin does not run under pytest 9).
"""

from __future__ import annotations

import pytest
from serving import running_server, scripted_config

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from schemathesis.checks import positive_data_acceptance  # noqa: E402


def test_no_generated_request_breaks_the_server_or_the_spec(tmp_path):
    config = scripted_config(tmp_path, limits={"max_body_bytes": 4096})
    with running_server(config) as url:
        schema = schemathesis.openapi.from_url(f"{url}/openapi.json")
        operations = [result.ok() for result in schema.get_all_operations()]
        assert len(operations) >= 8
        for operation in operations:

            @given(case=operation.as_strategy())
            @settings(max_examples=25, deadline=None, database=None,
                      suppress_health_check=list(HealthCheck))
            def check(case):
                # a chat's last message must be a user's, which JSON Schema cannot say: that
                # schema-valid request is refused (a documented 400), never a 500
                excluded = ([positive_data_acceptance] if case.path == "/v1/chat/completions"
                            else [])
                case.call_and_validate(timeout=30, excluded_checks=excluded)

            check()
