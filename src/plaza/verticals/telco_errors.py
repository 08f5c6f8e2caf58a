"""The telco API's refusals in the TM Forum error body (TMF630): ``{code, reason, message,
status, @type}``.

The market decides every refusal (its exception handlers: the status, the stable
code, the message, a ``Retry-After``); the telco routes only answer it in TM
Forum's shape, through :class:`TmfRoute`, the route class of the vertical's
routers. Refusals raised outside a route (a body over the size limit, refused by
the market's body gate) keep the market's shape.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Awaitable, Callable, Coroutine
from http import HTTPStatus
from typing import Any, Literal

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict, Field

__all__ = ["TmfError", "TmfRoute", "tmf_errors"]

Handler = Callable[[Request, Any], Response | Awaitable[Response]]
_KEPT_HEADERS = ("retry-after", "www-authenticate")


class TmfError(BaseModel):
    """TMF630's error: ``code`` the stable machine-readable code, ``reason`` the HTTP
    reason phrase, ``message`` what went wrong, ``status`` the HTTP status."""

    model_config = ConfigDict(populate_by_name=True)

    code: str
    reason: str
    message: str
    status: str
    type_: Literal["Error"] = Field(default="Error", alias="@type")


def tmf_errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries documenting the TMF error body for each status."""
    return {status: {"model": TmfError} for status in statuses}


def _handler_for(app: FastAPI, error: Exception) -> Handler | None:
    for cls in type(error).__mro__:
        handler = app.exception_handlers.get(cls)
        if handler is not None:
            return handler
    return None


def _as_tmf(answer: Response) -> Response:
    try:
        detail = json.loads(bytes(answer.body))["error"]
    except (ValueError, KeyError, TypeError):
        return answer
    status = answer.status_code
    body = TmfError(
        code=str(detail["code"]),
        reason=HTTPStatus(status).phrase,
        message=str(detail["message"]),
        status=str(status),
    )
    headers = {k: v for k, v in answer.headers.items() if k.lower() in _KEPT_HEADERS}
    return JSONResponse(body.model_dump(by_alias=True), status_code=status, headers=headers)


class TmfRoute(APIRoute):
    """A route whose refusals the market's handlers decide and TMF's body carries."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        route = super().get_route_handler()

        async def answer(request: Request) -> Response:
            try:
                return await route(request)
            except Exception as error:
                handler = _handler_for(request.app, error)
                if handler is None:
                    raise
                answered = handler(request, error)
                if inspect.isawaitable(answered):
                    answered = await answered
                return _as_tmf(answered)

        return answer
