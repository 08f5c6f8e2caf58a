"""What can go wrong with a pay-per-call service, as the customer and the provider say it.

Every error carries a reason a person can act on; a customer's :func:`call` ends in
exactly one of the last four when it does not return a result.
"""

from __future__ import annotations

__all__ = [
    "CallFailed",
    "CallRefunded",
    "CallRefused",
    "CallTimedOut",
    "InvalidCallData",
    "InvalidDescription",
    "InvalidQuote",
    "ServiceError",
]


class ServiceError(Exception):
    """The root of the services vertical's errors."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class InvalidDescription(ServiceError):
    """A service description that breaks a rule (name, price, limits, keys)."""

    def __str__(self) -> str:
        return f"invalid service description: {self.reason}"


class InvalidQuote(ServiceError):
    """A quote that is malformed, badly signed, or not the one asked for."""

    def __str__(self) -> str:
        return f"invalid quote: {self.reason}"


class InvalidCallData(ServiceError):
    """A sealed request, result or reason that does not decode or decrypt."""

    def __str__(self) -> str:
        return f"invalid call data: {self.reason}"


class CallFailed(ServiceError):
    """A call that returned no result; the subclasses say whether and why it was refunded."""

    def __init__(self, call_id: bytes, reason: str) -> None:
        super().__init__(reason)
        self.call_id = call_id


class CallRefused(CallFailed):
    """The provider would not quote (unknown or retired service, bad input, busy): nothing
    was paid."""

    def __str__(self) -> str:
        return f"call {self.call_id.hex()} refused: {self.reason}"


class CallRefunded(CallFailed):
    """The provider ran the job, it failed, and the provider refunded the hold saying why."""

    def __str__(self) -> str:
        return f"call {self.call_id.hex()} failed and was refunded: {self.reason}"


class CallTimedOut(CallFailed):
    """No result by the deadline: the ledger refunded the hold by itself."""

    def __str__(self) -> str:
        return f"call {self.call_id.hex()} timed out and was refunded: {self.reason}"
