"""`one_shot` encodes as the encoder it stands for does, and fails as it does."""

from __future__ import annotations

import datetime
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from toolweave._json_encoding import one_shot

ENCODERS = [json.JSONEncoder(), json.JSONEncoder(sort_keys=True, default=str),
            json.JSONEncoder(ensure_ascii=False), json.JSONEncoder(separators=(",", ":"))]

VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.text(max_size=5) | st.integers(), inner, max_size=4),
    max_leaves=20)


def outcome(encode, value) -> tuple[str, str]:
    try:
        return "text", encode(value)
    except (TypeError, ValueError) as exc:  # e.g. sorting int and str keys
        return "refused", type(exc).__name__


@pytest.mark.parametrize("encoder", ENCODERS)
@given(value=VALUES)
def test_the_same_text_as_the_encoder(encoder, value):
    assert outcome(one_shot(encoder), value) == outcome(encoder.encode, value)


def test_what_the_encoder_refuses_is_refused_the_same_way():
    loop: list = []
    loop.append(loop)
    plain = one_shot(json.JSONEncoder())
    with pytest.raises(ValueError, match="Circular reference"):
        plain({"x": loop})
    with pytest.raises(TypeError, match="not JSON serializable"):
        plain({"when": datetime.date(2020, 1, 2)})
    # a refusal leaves nothing behind: the next value is encoded as before
    assert plain({"x": [1]}) == '{"x": [1]}'
    assert one_shot(json.JSONEncoder(default=str))({"when": datetime.date(2020, 1, 2)}) \
        == '{"when": "2020-01-02"}'


def test_an_indenting_encoder_is_used_as_it_is():
    encoder = json.JSONEncoder(indent=2)
    assert one_shot(encoder) == encoder.encode
