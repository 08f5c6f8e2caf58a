"""The seed's reply convention for every energy endpoint, in one place.

Success is ``{"success": true, ...}`` with HTTP 200. A refusal is
``{"success": false, "error": "<why>", "code": "<stable code>"}`` with the
error's HTTP status (400, 401, 403, 404, 409, 502), never a 500 for bad input;
an error with :attr:`~plaza.energy.errors.EnergyError.details` adds them as
``"details"`` (a peer acts on those, never on the wording of ``error``).
Handlers are plain functions of the request's bytes; they run on the thread
pool because they touch SQLite, the ledger and proof of work.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Header, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from plaza.energy.errors import NO_DETAILS, Details, EnergyError, InvalidMessage
from plaza.energy.reads import READ_HEADER
from plaza.http.bodies import read_limited
from plaza.http.guard import UnexpectedErrors

__all__ = [
    "MAX_BODY",
    "READ_REFUSALS",
    "ReadLetter",
    "Reply",
    "install_replies",
    "json_object",
    "post_route",
    "read_body",
    "refusal",
]

MAX_BODY = 256 * 1024

SEALED_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["encrypted"],
                    "properties": {"encrypted": {"type": "string", "format": "base64"}},
                }
            }
        },
    }
}


class Reply(BaseModel):
    """What every energy endpoint answers."""

    success: bool
    error: str | None = None
    code: str | None = None
    details: dict[str, str | list[str]] | None = None


#: A read's credential: the reader's letter in ``X-Energy-Letter`` (:mod:`plaza.energy.reads`).
ReadLetter = Annotated[
    str | None,
    Header(alias=READ_HEADER, description='The reader\'s letter: {"encrypted": …}'),
]

#: The refusals a read that takes credentials documents (``X-Energy-Letter``).
READ_REFUSALS: dict[int | str, dict[str, Any]] = {
    status: {"model": Reply} for status in (400, 401, 404, 409)
}


def refusal(status: int, code: str, message: str, details: Details = NO_DETAILS) -> JSONResponse:
    reply: dict[str, Any] = {"success": False, "error": message, "code": code}
    if details:
        reply["details"] = {
            name: value if isinstance(value, str) else list(value)
            for name, value in details.items()
        }
    return JSONResponse(reply, status_code=status)


def install_replies(app: FastAPI) -> None:
    """Map every refusal to the seed's reply shape."""

    async def energy_error(_: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, EnergyError)
        return refusal(error.status, error.code, error.message, error.details)

    async def invalid_request(_: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, RequestValidationError)
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in error.errors()
        )
        return refusal(422, InvalidMessage.code, problems or "invalid request")

    app.add_exception_handler(EnergyError, energy_error)
    app.add_exception_handler(RequestValidationError, invalid_request)
    app.add_middleware(UnexpectedErrors, answer=_internal_error, name=app.title)


def _internal_error() -> JSONResponse:
    return refusal(500, "internal_error", "the module failed to answer; see its log")


def json_object(body: bytes) -> dict[str, Any]:
    """A request body that must be one JSON object."""
    try:
        parsed = json.loads(body)
    except (ValueError, RecursionError):  # not UTF-8, not JSON, too deep, a huge number
        raise InvalidMessage("the body is not JSON") from None
    if not isinstance(parsed, dict):
        raise InvalidMessage("the body must be a JSON object")
    return parsed


Handler = Callable[[bytes], Mapping[str, Any] | None]


def post_route(
    router: APIRouter,
    path: str,
    handler: Handler,
    *,
    summary: str,
    sealed: bool = True,
    example: Mapping[str, Any] | None = None,
) -> None:
    """Register ``POST path``: read at most :data:`MAX_BODY` bytes, run ``handler`` on the
    thread pool, answer ``{"success": true, **its result}``."""

    async def endpoint(request: Request) -> JSONResponse:
        body = await read_body(request)
        result = await run_in_threadpool(handler, body)
        return JSONResponse({"success": True, **(result or {})})

    extra: dict[str, Any] = SEALED_BODY if sealed else {}
    if example is not None:
        extra = {
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {"schema": {"type": "object"}, "example": dict(example)}
                },
            }
        }
    router.add_api_route(
        path,
        endpoint,
        methods=["POST"],
        summary=summary,
        response_model=Reply,
        openapi_extra=extra,
        responses={status: {"model": Reply} for status in (400, 401, 403, 404, 409, 502)},
    )


async def read_body(request: Request) -> bytes:
    """The request's bytes, refused past :data:`MAX_BODY`."""
    return await read_limited(
        request, MAX_BODY, lambda: InvalidMessage(f"the body is larger than {MAX_BODY} bytes")
    )
