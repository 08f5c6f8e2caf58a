"""Pay-per-call services (issue 13): the pure domain of the services vertical.

A provider describes its service on its public channel
(:class:`ServiceDescription`); a customer asks it for a signed :class:`Quote` for a
fresh call id, holds the price with the quote's hashlock and deadline, the job
sealed inside (:class:`CallRequest`); the provider runs it, publishes the result
sealed under a key derived from its secret and the customer's side key
(:mod:`plaza.services.sealing`), and releases the hold with its secret, or refunds
with a sealed reason. ``docs/protocol.md`` ("Calls") has the rules and test
vectors. Nothing here reaches a node, a wallet, the web or a database: the agent
and the customer's side are :mod:`plaza.services.provider` and
:mod:`plaza.services.customer`.
"""

from __future__ import annotations

from plaza.services.calls import CustomerState, ProviderState, deadline_for, may_start, next_state
from plaza.services.description import MAX_INPUT_BYTES, ServiceDescription
from plaza.services.errors import (
    CallFailed,
    CallRefunded,
    CallRefused,
    CallTimedOut,
    InvalidCallData,
    InvalidDescription,
    InvalidQuote,
    ServiceError,
)
from plaza.services.quote import Quote
from plaza.services.request import CallRequest, decode_input, encode_input

__all__ = [
    "MAX_INPUT_BYTES",
    "CallFailed",
    "CallRefunded",
    "CallRefused",
    "CallRequest",
    "CallTimedOut",
    "CustomerState",
    "InvalidCallData",
    "InvalidDescription",
    "InvalidQuote",
    "ProviderState",
    "Quote",
    "ServiceDescription",
    "ServiceError",
    "deadline_for",
    "decode_input",
    "encode_input",
    "may_start",
    "next_state",
]
