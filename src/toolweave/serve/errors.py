"""Errors as clear JSON bodies in one shape (OpenAI's: ``{"error": {"type", "message",
"code"}}``), so OpenAI clients and people read them alike; nothing leaks a traceback."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException

from toolweave.serve.catalog import UnavailableToolSetError, UnknownAgentError
from toolweave.serve.runs import InvalidSettingsError, TooManyRunsError, UnknownRunError

log = logging.getLogger("toolweave.serve")

_TYPES = {400: "invalid_request_error", 401: "authentication_error", 404: "not_found_error",
          405: "invalid_request_error", 413: "request_too_large", 422: "invalid_request_error",
          429: "rate_limit_error", 503: "service_unavailable_error"}


class ErrorDetail(BaseModel):
    loc: list[str]
    msg: str


class ErrorBody(BaseModel):
    type: str
    code: int
    message: str
    details: list[ErrorDetail] | None = None


class ErrorResponse(BaseModel):
    """Every error the server answers: what went wrong, in one readable line."""

    error: ErrorBody


# the errors any API route may answer, for the OpenAPI spec (FastAPI's own 422 shape is
# replaced: the handlers below answer in this one)
API_ERRORS: dict[int | str, dict] = {
    401: {"model": ErrorResponse, "description": "No valid API key (when keys are set)"},
    404: {"model": ErrorResponse, "description": "No such run, agent, model or tool set"},
    413: {"model": ErrorResponse, "description": "Request body over the size limit"},
    422: {"model": ErrorResponse, "description": "The request does not validate"},
    429: {"model": ErrorResponse, "description": "Too many runs going for this key"},
    503: {"model": ErrorResponse,
          "description": "The tool set's MCP servers could not be started with the server"},
}


def error_response(status: int, message: str, details: list | None = None,
                   headers: dict[str, str] | None = None) -> JSONResponse:
    body: dict = {"type": _TYPES.get(status, "error"), "code": status, "message": message}
    if details:
        body["details"] = details
    return JSONResponse({"error": body}, status_code=status, headers=headers)


def readable(errors: list[dict]) -> tuple[str, list[dict]]:
    """Pydantic's errors as one line ("body.question: String should have at least 1
    character") and as a list of {loc, msg} a program can use."""
    details = [{"loc": [str(p) for p in e.get("loc", ())], "msg": e.get("msg", "")}
               for e in errors]
    return "; ".join(f"{'.'.join(d['loc'])}: {d['msg']}" for d in details), details


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, exc: RequestValidationError) -> JSONResponse:
        message, details = readable(exc.errors())
        return error_response(422, message, details)

    @app.exception_handler(InvalidSettingsError)
    async def invalid_settings(_: Request, exc: InvalidSettingsError) -> JSONResponse:
        message, details = readable(exc.errors)
        return error_response(422, message, details)

    @app.exception_handler(HTTPException)
    async def http_error(_: Request, exc: HTTPException) -> JSONResponse:
        return error_response(exc.status_code, str(exc.detail), headers=exc.headers)

    @app.exception_handler(UnknownAgentError)
    async def unknown_name(_: Request, exc: UnknownAgentError) -> JSONResponse:
        return error_response(404, str(exc.args[0]))

    @app.exception_handler(UnavailableToolSetError)
    async def unavailable_toolset(_: Request, exc: UnavailableToolSetError) -> JSONResponse:
        return error_response(503, str(exc.args[0]))

    @app.exception_handler(UnknownRunError)
    async def unknown_run(_: Request, exc: UnknownRunError) -> JSONResponse:
        return error_response(404, str(exc.args[0]))

    @app.exception_handler(TooManyRunsError)
    async def too_many(_: Request, exc: TooManyRunsError) -> JSONResponse:
        return error_response(429, str(exc), headers={"Retry-After": "1"})

    @app.exception_handler(Exception)
    async def internal(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return error_response(500, "internal server error (see the server's log)")
