"""A Python client of a Plaza node's HTTP API.

::

    with NodeClient("http://127.0.0.1:8650") as node:
        result = node.compose_and_submit(key, DataPayload(b"weather", b"21C"))
        node.wait_for_confirmation(result.id)

Errors are :class:`ApiError` subclasses carrying the node's stable ``code``
(:mod:`plaza.clients.errors`, shared with the market's client; exported here too,
as the node client's callers catch them).
"""

from plaza.clients.errors import (
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
from plaza.clients.node.client import MessageId, NodeClient
from plaza.clients.node.events import EventStreamReader, ServerSentEvent, parse_sse
from plaza.clients.node.models import (
    Balance,
    ClientEvent,
    FaucetGrant,
    HistoryItem,
    NodeInfo,
    SubmitResult,
)

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
    "EventStreamReader",
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
