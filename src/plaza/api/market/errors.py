"""The marketplace API's one table from errors to HTTP statuses.

Errors leave as ``{"error": {"code", "message"}}``, the node API's shape, with
the domain's own stable ``code``. The rule of thumb: 400 the request is
malformed or breaks a rule of its own; 401 who is calling is not established
(unsigned, badly signed, stale, replayed, unknown key); 403 the caller is known
but may not; 404 no such record; 409 the record's state refuses the step
(retry after reading it again); 422 a well-formed request the domain refuses on
its merits (a manual match the book refuses, a reported payment that does not pay
its contract: reporting it again fails again); 502/503 something behind the
marketplace failed (retry later). A 500 is a bug,
never bad input.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from plaza.api.errors import error_response, install_request_handlers, lookup
from plaza.crypto import CryptoError
from plaza.http.guard import UnexpectedErrors
from plaza.ledger.errors import LedgerAccessError
from plaza.market.auth import (
    ApiKeyNotFound,
    AuthenticationFailed,
    AuthError,
    DeliveryFailed,
    EnvelopeError,
    Forbidden,
    InvalidApiKeyExpiry,
    InvalidApiKeyName,
    InvalidParticipant,
    ParticipantExists,
    ParticipantNotFound,
    RegistrationRejected,
)
from plaza.market.contracts import ContractSignatureInvalid
from plaza.market.errors import (
    AssetConflict,
    AssetInUse,
    AssetNotActive,
    AssetNotFound,
    BookStoreFailed,
    CorruptJournal,
    IdempotencyConflict,
    InvalidAsset,
    InvalidOrder,
    InvalidTwinKey,
    JournalConflict,
    MarketError,
    NotMatchable,
    NotOwner,
    OrderNotActive,
    OrderNotFound,
    SelfMatch,
    StoreFailed,
    TwinUnavailable,
)
from plaza.market.payments.holds import HoldNotOpen, HoldRefused
from plaza.market.settlement import (
    ConcurrentUpdate,
    ContractNotFound,
    InvalidTransition,
    NotAParty,
    PaymentFailed,
    PaymentRejected,
    SettlementError,
)
from plaza.notify import InvalidEvent, InvalidSubscription, NotifyError, SubscriptionNotFound
from plaza.storage import StorageError

__all__ = [
    "MARKET_STATUS_BY_ERROR",
    "RETRY_AFTER_S",
    "install_market_error_guard",
    "install_market_error_handlers",
]

log = logging.getLogger(__name__)

#: Seconds a client should wait after a 503: a database or twin hiccup.
RETRY_AFTER_S = 5

#: The table; lookup walks the MRO, so an unlisted subclass takes its ancestor's status.
MARKET_STATUS_BY_ERROR: Mapping[type[Exception], int] = {
    # The book.
    InvalidOrder: 400,
    InvalidAsset: 400,
    InvalidTwinKey: 400,
    NotOwner: 403,
    OrderNotFound: 404,
    AssetNotFound: 404,
    OrderNotActive: 409,
    AssetNotActive: 409,
    AssetInUse: 409,
    AssetConflict: 409,
    IdempotencyConflict: 409,
    SelfMatch: 422,
    NotMatchable: 422,
    HoldRefused: 422,  # a held payment that does not pay as agreed
    HoldNotOpen: 409,  # not confirmed yet, or closed already
    JournalConflict: 503,
    BookStoreFailed: 503,
    StoreFailed: 503,
    TwinUnavailable: 503,
    CorruptJournal: 500,
    MarketError: 500,
    # Participants, signatures, API keys, sealed bodies.
    InvalidParticipant: 400,
    InvalidApiKeyName: 400,
    InvalidApiKeyExpiry: 400,
    EnvelopeError: 400,
    RegistrationRejected: 400,
    AuthenticationFailed: 401,
    Forbidden: 403,
    ParticipantNotFound: 404,
    ApiKeyNotFound: 404,
    ParticipantExists: 409,
    DeliveryFailed: 502,
    AuthError: 500,
    # Settlement and contracts.
    NotAParty: 403,
    ContractNotFound: 404,
    InvalidTransition: 409,
    ConcurrentUpdate: 409,
    PaymentRejected: 422,
    PaymentFailed: 502,
    SettlementError: 500,
    ContractSignatureInvalid: 500,
    # Notifications, keys, storage.
    InvalidSubscription: 400,
    SubscriptionNotFound: 404,
    InvalidEvent: 500,
    NotifyError: 503,
    CryptoError: 400,
    StorageError: 503,
    # The ledger node behind twins and audits.
    LedgerAccessError: 503,
}

#: Codes for errors that carry none of their own.
_CODE_BY_ERROR: Mapping[type[Exception], str] = {
    InvalidSubscription: "invalid_subscription",
    SubscriptionNotFound: "subscription_not_found",
    InvalidEvent: "invalid_event",
    NotifyError: "notifications_unavailable",
    CryptoError: "invalid_key",
    StorageError: "storage_unavailable",
    LedgerAccessError: "ledger_unavailable",
}

_DOMAIN_ERRORS = (
    MarketError,
    AuthError,
    SettlementError,
    ContractSignatureInvalid,
    NotifyError,
    CryptoError,
    StorageError,
    LedgerAccessError,
)


def market_status_for(error: Exception) -> int:
    status = lookup(MARKET_STATUS_BY_ERROR, error)
    return 500 if status is None else status


def market_code_for(error: Exception) -> str:
    code = lookup(_CODE_BY_ERROR, error) or getattr(error, "code", None)
    return code if isinstance(code, str) else "internal_error"


def _message(error: Exception) -> str:
    """The error's text; for a refusal only its reason, since the action names the record's
    owner (``read a private record of plz1...``): who trades with whom is itself private."""
    if isinstance(error, Forbidden):
        return f"not allowed: {error.reason}"
    return str(error)


async def _domain_error(request: Request, error: Exception) -> JSONResponse:
    status = market_status_for(error)
    if status == 500:
        log.error("marketplace error on %s", request.url.path, exc_info=error)
    retry = getattr(error, "retry_after_s", RETRY_AFTER_S)
    headers = {"Retry-After": str(retry)} if status == 503 else None
    return error_response(status, market_code_for(error), _message(error), headers)


def _internal_error() -> JSONResponse:
    return error_response(500, "internal_error", "the marketplace failed to answer; see its log")


def install_market_error_handlers(app: FastAPI) -> None:
    """Refused requests as in the node API, then the domain errors by the table."""
    install_request_handlers(app)
    for cls in _DOMAIN_ERRORS:
        app.add_exception_handler(cls, _domain_error)


def install_market_error_guard(app: FastAPI) -> None:
    """Any other error, raised by a route or by a middleware: one log line and a generic 500.
    Install it last, so it wraps every middleware."""
    app.add_middleware(UnexpectedErrors, answer=_internal_error, name="marketplace API")
