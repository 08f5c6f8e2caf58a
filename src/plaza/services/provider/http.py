"""The provider agent's small HTTP API: its description, quotes, and where a call stands.

::

    GET  /service              the current description (JSON)
    POST /quotes               {"call_id": "<32 hex>"} -> the signed quote (same id, same quote)
    GET  /calls/{call_id}      the calls paid under that id and their states

Errors are ``{"error": {"code", "message"}}``: 400 ``invalid_request`` for a body
that is not a call id (read with a 1 KiB ceiling), 410 ``retired`` once the
service is retired, 404 ``not_found`` for a call id never quoted.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from plaza.api.docs import serve_docs
from plaza.http.bodies import read_limited
from plaza.services.errors import CallRefused
from plaza.services.provider.agent import ProviderAgent
from plaza.services.sealing import CALL_ID_SIZE

__all__ = ["create_provider_app"]

_BODY_LIMIT = 1024


class _BadRequest(Exception):
    pass


class ErrorDetail(BaseModel):
    code: str
    message: str


class ErrorBody(BaseModel):
    error: ErrorDetail


class CallState(BaseModel):
    hold_id: str
    state: str


class CallsView(BaseModel):
    call_id: str
    calls: list[CallState]


def _errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {status: {"model": ErrorBody} for status in statuses}


_QUOTE_BODY = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "properties": {"call_id": {"type": "string", "description": "32 hex digits"}},
                "required": ["call_id"],
            }
        }
    },
}


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


def _call_id(text: object) -> bytes:
    try:
        call_id = bytes.fromhex(text) if isinstance(text, str) else b""
    except ValueError:
        call_id = b""
    if len(call_id) != CALL_ID_SIZE:
        raise _BadRequest(f"call_id must be {CALL_ID_SIZE * 2} hex digits")
    return call_id


async def _quote_request(request: Request) -> bytes:
    body = await read_limited(request, _BODY_LIMIT, lambda: _BadRequest("the body is too large"))
    try:
        value = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise _BadRequest('the body must be JSON: {"call_id": "..."}') from None
    return _call_id(value.get("call_id") if isinstance(value, dict) else None)


def create_provider_app(agent: ProviderAgent) -> FastAPI:
    app = FastAPI(title=f"plaza service {agent.service.name}", docs_url=None, redoc_url=None)
    serve_docs(app)

    @app.get("/service")
    def description() -> dict[str, Any]:
        return agent.description.to_json()

    @app.post(
        "/quotes",
        response_model=dict[str, Any],
        responses=_errors(400, 410),
        openapi_extra={"requestBody": _QUOTE_BODY},
    )
    async def quote(request: Request) -> dict[str, Any] | JSONResponse:
        try:
            call_id = await _quote_request(request)
        except _BadRequest as error:
            return _error(400, "invalid_request", str(error))
        try:
            return agent.quote(call_id).to_json()
        except CallRefused as error:
            return _error(410, "retired", error.reason)

    @app.get("/calls/{call_id}", response_model=CallsView, responses=_errors(400, 404))
    def calls(call_id: str) -> dict[str, Any] | JSONResponse:
        try:
            raw = _call_id(call_id)
        except _BadRequest as error:
            return _error(400, "invalid_request", str(error))
        if agent.book.quote(raw) is None:
            return _error(404, "not_found", f"no call {call_id} was quoted")
        found = agent.book.calls_for(raw)
        return {
            "call_id": call_id,
            "calls": [{"hold_id": c.hold_id.hex(), "state": c.state.value} for c in found],
        }

    return app
