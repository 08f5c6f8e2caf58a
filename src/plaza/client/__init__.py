"""A Python client of a Plaza node's HTTP API.

::

    with NodeClient("http://127.0.0.1:8650") as node:
        result = node.compose_and_submit(key, DataPayload(b"weather", b"21C"))
        node.wait_for_confirmation(result.id)

Errors are :class:`ApiError` subclasses carrying the node's stable ``code``.
"""

from plaza.client.errors import (
    MARKET_PAYMENT_CODES,
    MARKET_REFUSAL_CODES,
    REJECTION_CODES,
    ApiError,
    AuthenticationError,
    ClientError,
    ConfirmationTimeoutError,
    ConflictError,
    ForbiddenError,
    InvalidRequestError,
    MatchRefusedError,
    MessageRejectedError,
    NodeBusyError,
    NodeUnreachableError,
    NotFoundError,
    PaymentRejectedError,
    RateLimitedError,
    RequestTooLargeError,
    UnexpectedResponseError,
)
from plaza.client.events import EventStream, ServerSentEvent, parse_sse
from plaza.client.models import (
    Balance,
    ClientEvent,
    FaucetGrant,
    HistoryItem,
    NodeInfo,
    SubmitResult,
)
from plaza.client.node import MessageId, NodeClient

__all__ = [
    "MARKET_PAYMENT_CODES",
    "MARKET_REFUSAL_CODES",
    "REJECTION_CODES",
    "ApiError",
    "AuthenticationError",
    "Balance",
    "ClientError",
    "ClientEvent",
    "ConfirmationTimeoutError",
    "ConflictError",
    "EventStream",
    "FaucetGrant",
    "ForbiddenError",
    "HistoryItem",
    "InvalidRequestError",
    "MatchRefusedError",
    "MessageId",
    "MessageRejectedError",
    "NodeBusyError",
    "NodeClient",
    "NodeInfo",
    "NodeUnreachableError",
    "NotFoundError",
    "PaymentRejectedError",
    "RateLimitedError",
    "RequestTooLargeError",
    "ServerSentEvent",
    "SubmitResult",
    "UnexpectedResponseError",
    "parse_sse",
]
