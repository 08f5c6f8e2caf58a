"""What can go wrong talking to a node or a marketplace, as exceptions a caller can branch on.

Both services answer every error with a stable ``code``; :class:`ApiError` carries
it with the HTTP status, and its subclasses group the codes by what a caller
does next: fix the message (:class:`MessageRejectedError`), fix the request
(:class:`InvalidRequestError`), sign again or fix the credentials
(:class:`AuthenticationError`), stop trying (:class:`ForbiddenError`), read the
record again (:class:`ConflictError`), wait and retry (:class:`RateLimitedError`,
:class:`NodeBusyError`, both with ``retry_after``), or give up on an id
(:class:`NotFoundError`). Failures below HTTP are :class:`NodeUnreachableError`.
The marketplace's codes are listed in ``docs/api.md`` (Marketplace API).

    ClientError
    ├── ApiError                     the service answered with an error
    │   ├── InvalidRequestError      400 not about the message (bad hex, address, query, order)
    │   ├── MessageRejectedError     400/422 the ledger refused the message
    │   ├── AuthenticationError      401 unsigned, badly signed, stale, replayed, unknown key
    │   ├── ForbiddenError           403 known caller, not allowed (not its record, no scope)
    │   ├── NotFoundError            404
    │   ├── ConflictError            409 the record's state refuses the step (or a reused key)
    │   ├── MatchRefusedError        422 the marketplace refused a manual match
    │   ├── PaymentRejectedError     422 a reported payment does not pay its contract
    │   ├── RequestTooLargeError     413
    │   ├── RateLimitedError         429
    │   └── NodeBusyError            503 (the node or the marketplace; retry later)
    ├── NodeUnreachableError         connection refused, reset, timed out
    ├── UnexpectedResponseError      the answer is not what this API returns
    └── ConfirmationTimeoutError     still unconfirmed at the deadline (also a TimeoutError)
"""

from __future__ import annotations

from collections.abc import Mapping

from plaza.ledger.errors import MessageRejected

__all__ = [
    "MARKET_PAYMENT_CODES",
    "MARKET_REFUSAL_CODES",
    "REJECTION_CODES",
    "ApiError",
    "AuthenticationError",
    "ClientError",
    "ConfirmationTimeoutError",
    "ConflictError",
    "ForbiddenError",
    "InvalidRequestError",
    "MatchRefusedError",
    "MessageRejectedError",
    "NodeBusyError",
    "NodeUnreachableError",
    "NotFoundError",
    "PaymentRejectedError",
    "RateLimitedError",
    "RequestTooLargeError",
    "UnexpectedResponseError",
    "api_error",
]


def _rejection_codes() -> frozenset[str]:
    """Every ``MessageRejected`` code, read from the ledger so a new rule needs no edit here."""
    codes: set[str] = set()
    pending: list[type[MessageRejected]] = [MessageRejected]
    while pending:
        cls = pending.pop()
        codes.add(cls.code)
        pending.extend(cls.__subclasses__())
    return frozenset(codes)


#: Codes meaning "this message is invalid": resubmitting the same bytes fails again.
REJECTION_CODES = _rejection_codes()

#: The marketplace's 422 codes: a manual match the book refuses (not a ledger message).
MARKET_REFUSAL_CODES = frozenset({"self_match", "not_matchable"})

#: The marketplace's 422 codes for a reported payment, one per failed check (the
#: settlement's ``Rejection``; a test keeps the two lists equal).
MARKET_PAYMENT_CODES = frozenset(
    {
        "payment_unknown_message",
        "payment_not_a_transfer",
        "payment_wrong_payer",
        "payment_wrong_payee",
        "payment_short_amount",
        "payment_wrong_contract",
    }
)


class ClientError(Exception):
    """Base of everything ``NodeClient`` and ``MarketClient`` raise on purpose."""


class ApiError(ClientError):
    """The node answered with an error status and ``{"error": {"code", "message"}}``."""

    def __init__(
        self, status: int, code: str, message: str, *, retry_after: float | None = None
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.retry_after = retry_after


class InvalidRequestError(ApiError):
    """The request itself was wrong (an id that is not hex, a bad address, a bad query)."""


class MessageRejectedError(ApiError):
    """The ledger refused the message; ``code`` says which rule it broke."""


class NotFoundError(ApiError):
    """No such message, milestone, order, contract or route."""


class AuthenticationError(ApiError):
    """The marketplace could not establish who is calling; sign a new request or fix the key."""


class ForbiddenError(ApiError):
    """The marketplace knows the caller, who may not do this (not its record, scope lacking)."""


class ConflictError(ApiError):
    """The record's state refuses the step, or an idempotency key was reused; read it again."""


class MatchRefusedError(ApiError):
    """The marketplace refused a manual match (same owner, prices or filters)."""


class PaymentRejectedError(ApiError):
    """The reported ledger message does not pay the contract; ``code`` says which check
    failed (wrong payer or payee, short amount, ...). Pay correctly, then report that."""


class RequestTooLargeError(ApiError):
    """The body was larger than any message can be."""


class RateLimitedError(ApiError):
    """Too many proof-of-work or faucet requests; wait ``retry_after`` seconds."""


class NodeBusyError(ApiError):
    """The node cannot take this now (held-message buffer full, storage down); retry later."""


class NodeUnreachableError(ClientError):
    """No HTTP answer: the connection failed, was reset, or timed out."""


class UnexpectedResponseError(ClientError):
    """The node answered, but not in the shape this client understands."""


class ConfirmationTimeoutError(ClientError, TimeoutError):
    """A message was still unconfirmed when the wait ran out."""


_BY_STATUS: Mapping[int, type[ApiError]] = {
    400: InvalidRequestError,
    401: AuthenticationError,
    403: ForbiddenError,
    404: NotFoundError,
    409: ConflictError,
    413: RequestTooLargeError,
    422: MessageRejectedError,
    429: RateLimitedError,
    503: NodeBusyError,
}


def api_error(status: int, code: str, message: str, retry_after: float | None) -> ApiError:
    """The most specific :class:`ApiError` for a node's or marketplace's error answer."""
    if code in MARKET_REFUSAL_CODES:
        cls: type[ApiError] = MatchRefusedError
    elif code in MARKET_PAYMENT_CODES:
        cls = PaymentRejectedError
    elif code in REJECTION_CODES:
        cls = MessageRejectedError
    else:
        cls = _BY_STATUS.get(status, ApiError)
    return cls(status, code, message, retry_after=retry_after)
