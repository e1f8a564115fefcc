"""Bearer-token auth: with keys configured, every route but ``/healthz`` (and the viewer's
static page, which holds no data) needs ``Authorization: Bearer <key>``."""

from __future__ import annotations

import hmac

from fastapi import HTTPException, Request


def bearer_key(request: Request) -> str | None:
    """The caller's key when keys are set (401 without a valid one); None when auth is off."""
    keys: frozenset[str] = request.app.state.api_keys
    if not keys:
        return None
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    token = token.strip()
    # compared against every key in constant time: the timing says nothing about which matched
    if scheme.lower() == "bearer" and token and any(
            hmac.compare_digest(token.encode(), k.encode()) for k in keys):
        return token
    raise HTTPException(401, "missing or invalid API key: send 'Authorization: Bearer <key>'",
                        headers={"WWW-Authenticate": "Bearer"})
