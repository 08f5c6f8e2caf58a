"""The one table from errors to HTTP responses, and the handlers that apply it.

Every error leaves the API as ``{"error": {"code": ..., "message": ...}}`` so a
client branches on ``code`` (the ledger's stable codes, listed in
``docs/protocol.md``) and never parses prose. Statuses follow one rule for
rejected messages: bytes that are not a canonical message at all are a 400,
a well-formed message that breaks a network rule is a 422. Resubmitting either
fails the same way; only 429 and 503 invite a retry, with ``Retry-After``.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from plaza.api.schemas import ErrorBody, ErrorDetail
from plaza.crypto import InvalidAddress
from plaza.http.guard import UnexpectedErrors
from plaza.ledger.errors import (
    CarriedAlone,
    DuplicateParents,
    HeldLimitReached,
    InsufficientProofOfWork,
    InvalidCarrier,
    InvalidHold,
    InvalidMilestone,
    InvalidParentCount,
    InvalidSignature,
    InvalidTransfer,
    LedgerError,
    MalformedMessage,
    MessageRejected,
    NotFound,
    PayloadTooLarge,
    PowRateLimited,
    TimestampBeforeParent,
    TimestampInFuture,
    UnknownPayloadKind,
    UnsupportedVersion,
    WrongNetwork,
)
from plaza.node.errors import (
    FaucetEmpty,
    FaucetRateLimited,
    FaucetUnavailable,
    NodeError,
    SubscriberLimitReached,
)
from plaza.storage import StorageError

__all__ = [
    "HELD_RETRY_AFTER_S",
    "STATUS_BY_ERROR",
    "RequestProblem",
    "error_response",
    "error_responses",
    "install_error_handlers",
    "install_request_handlers",
    "lookup",
    "status_for",
]

log = logging.getLogger(__name__)

V = TypeVar("V")

#: How long a client should wait when the node's held-message buffer is full:
#: about the time a milestone or two takes to release waiting messages.
HELD_RETRY_AFTER_S = 5

#: The table. Lookup walks the exception's MRO, so a subclass not listed takes
#: its nearest listed ancestor's status (a new ``MessageRejected`` is a 422).
STATUS_BY_ERROR: Mapping[type[Exception], int] = {
    # Not a canonical message: the bytes themselves are wrong.
    MalformedMessage: 400,
    UnsupportedVersion: 400,
    UnknownPayloadKind: 400,
    InvalidParentCount: 400,
    DuplicateParents: 400,
    PayloadTooLarge: 400,
    InvalidTransfer: 400,
    InvalidHold: 400,
    # Every carrier rule is checked on its bytes alone, the carried signatures too.
    InvalidCarrier: 400,
    # A well-formed message this network refuses.
    WrongNetwork: 422,
    InvalidSignature: 422,
    InsufficientProofOfWork: 422,
    TimestampInFuture: 422,
    TimestampBeforeParent: 422,
    InvalidMilestone: 422,
    CarriedAlone: 422,
    MessageRejected: 422,
    # Not the message's fault: try again later.
    HeldLimitReached: 503,
    PowRateLimited: 429,
    NotFound: 404,
    InvalidAddress: 400,
    StorageError: 503,
    # The node's own services.
    FaucetUnavailable: 404,
    FaucetRateLimited: 429,
    FaucetEmpty: 503,
    SubscriberLimitReached: 429,
    NodeError: 500,
    LedgerError: 500,
}

#: Codes for errors that do not carry one of their own.
_CODE_BY_ERROR: Mapping[type[Exception], str] = {
    InvalidAddress: "invalid_address",
    StorageError: "storage_unavailable",
}

_HTTP_CODES: Mapping[int, str] = {
    404: "not_found",
    405: "method_not_allowed",
    413: "request_too_large",
    415: "unsupported_media_type",
}


class RequestProblem(Exception):
    """A request the API refuses before the ledger sees it (bad hex, too large, …)."""

    def __init__(
        self, status: int, code: str, message: str, *, headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = dict(headers or {})


def lookup(table: Mapping[type[Exception], V], error: Exception) -> V | None:
    """The entry of ``error``'s nearest class in ``table`` (walking its MRO), if any.

    Shared with the marketplace's table, so both APIs resolve subclasses alike.
    """
    for cls in type(error).__mro__:
        value = table.get(cls)
        if value is not None:
            return value
    return None


def status_for(error: Exception) -> int:
    """The HTTP status of ``error`` by the table, 500 for anything not in it."""
    status = lookup(STATUS_BY_ERROR, error)
    return 500 if status is None else status


def code_for(error: Exception) -> str:
    code = lookup(_CODE_BY_ERROR, error)
    if code is not None:
        return code
    code = getattr(error, "code", None)
    return code if isinstance(code, str) else "internal_error"


def retry_after_s(error: Exception) -> int | None:
    """Whole seconds for ``Retry-After`` (HTTP allows no fractions), at least 1."""
    if isinstance(error, PowRateLimited | FaucetRateLimited):
        return max(1, math.ceil(error.retry_after_s))
    if isinstance(error, HeldLimitReached | StorageError | FaucetEmpty | SubscriberLimitReached):
        return HELD_RETRY_AFTER_S
    return None


def error_response(
    status: int, code: str, message: str, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    body = ErrorBody(error=ErrorDetail(code=code, message=message))
    return JSONResponse(body.model_dump(), status_code=status, headers=dict(headers or {}))


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries documenting the error body for each status."""
    return {status: {"model": ErrorBody} for status in statuses}


def _describe_validation(errors: Sequence[Any]) -> str:
    parts = []
    for error in errors[:5]:
        location = ".".join(str(part) for part in error.get("loc", ()) if part != "body")
        parts.append(f"{location}: {error.get('msg', 'invalid')}" if location else error["msg"])
    return "; ".join(parts) or "invalid request"


async def _domain_error(request: Request, error: Exception) -> JSONResponse:
    status = status_for(error)
    if status >= 500 and status != 503:
        log.error("unexpected ledger error on %s", request.url.path, exc_info=error)
    retry = retry_after_s(error)
    headers = {"Retry-After": str(retry)} if retry is not None else None
    return error_response(status, code_for(error), str(error), headers)


async def _request_problem(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestProblem)
    return error_response(error.status, error.code, error.message, error.headers)


async def _validation_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    return error_response(400, "invalid_request", _describe_validation(error.errors()))


async def _http_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, StarletteHTTPException)
    code = _HTTP_CODES.get(error.status_code, "invalid_request")
    return error_response(error.status_code, code, str(error.detail), error.headers)


def _internal_error() -> JSONResponse:
    return error_response(500, "internal_error", "the node failed to answer; see its log")


def install_request_handlers(app: FastAPI) -> None:
    """Register the handlers for refused requests (not domain errors): any API reuses them."""
    app.add_exception_handler(RequestProblem, _request_problem)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers; domain errors are matched by the table above."""
    install_request_handlers(app)
    for cls in (LedgerError, NodeError, InvalidAddress, StorageError):
        app.add_exception_handler(cls, _domain_error)
    app.add_middleware(UnexpectedErrors, answer=_internal_error, name="node API")
