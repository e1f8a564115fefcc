"""`one_shot`: a `json.JSONEncoder`'s ``encode`` without its per-call set-up.

Every agent step serialises a call's arguments twice (its repeat signature, and the call as
the model's history shows it). ``JSONEncoder.encode`` builds a new C encoder object on every
call, which costs more than encoding a small object; `one_shot` builds it once and reuses it.
The reused encoder does not track the containers it is inside (that state would be shared
between threads): a value it cannot encode — a circular one, one ``default`` refuses — is
encoded again by ``encoder.encode``, which raises its own error. The same text either way.

This module imports nothing from toolweave.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from json import encoder as _stdlib
from typing import Any

# a value of every kind the C encoder handles itself, to check it agrees with ``encode``
_PROBE = {"b": [1, 2.5, None, True, "é\n\"<"], "a": {"x": -0.0, "y": float("inf")}}


def one_shot(encoder: json.JSONEncoder) -> Callable[[Any], str]:
    """``encoder.encode``, with its C encoder made once (or ``encoder.encode`` itself where
    there is no C encoder, or it is configured beyond what one handles: ``indent``)."""
    make = getattr(_stdlib, "c_make_encoder", None)
    if make is None or encoder.indent is not None:
        return encoder.encode
    quote = _stdlib.encode_basestring_ascii if encoder.ensure_ascii else _stdlib.encode_basestring
    try:
        reused = make(None, encoder.default, quote, None, encoder.key_separator,
                      encoder.item_separator, encoder.sort_keys, encoder.skipkeys,
                      encoder.allow_nan)
        agrees = "".join(reused(_PROBE, 0)) == encoder.encode(_PROBE)
    except (TypeError, ValueError):  # another Python's C encoder: not relied on
        agrees = False
    if not agrees:
        return encoder.encode

    def encode(value: Any) -> str:
        try:
            return "".join(reused(value, 0))
        except (TypeError, ValueError, RecursionError):
            return encoder.encode(value)  # raises what it raises (or says the same)

    return encode
