"""Why a sensor's announcement, terms or payment memo was refused.

::

    StreamError
    ├── InvalidTerms          a price, period or minimum that cannot sell anything
    ├── InvalidAnnouncement   an announcement that does not describe a sensor
    └── InvalidMemo           transfer data that is not a stream payment or refund
"""

from __future__ import annotations

__all__ = ["InvalidAnnouncement", "InvalidMemo", "InvalidTerms", "StreamError"]


class StreamError(ValueError):
    """Base of the streams vertical's refusals; each says what did not hold."""

    code = "stream_error"


class InvalidTerms(StreamError):
    code = "invalid_terms"

    def __init__(self, reason: str) -> None:
        super().__init__(f"invalid stream terms: {reason}")
        self.reason = reason


class InvalidAnnouncement(StreamError):
    code = "invalid_announcement"

    def __init__(self, reason: str) -> None:
        super().__init__(f"invalid sensor announcement: {reason}")
        self.reason = reason


class InvalidMemo(StreamError):
    code = "invalid_memo"

    def __init__(self, reason: str) -> None:
        super().__init__(f"invalid stream memo: {reason}")
        self.reason = reason
