"""Why the ledger refused something.

Every rejection is its own class carrying the data a caller needs, and a stable
``code`` the API returns and ``docs/protocol.md`` lists. A rejected message never
changes state.

    LedgerError
    ├── MessageRejected                 the message is invalid, now and forever
    │   ├── MalformedMessage            bytes are not a canonical message
    │   ├── WrongNetwork                network id is not this node's
    │   ├── UnsupportedVersion          protocol version unknown
    │   ├── UnknownPayloadKind          payload kind unknown
    │   ├── InvalidSignature            issuer signature does not verify
    │   ├── InsufficientProofOfWork     too few leading zero bits
    │   ├── InvalidParentCount          fewer than 1 or more than 8 parents
    │   ├── DuplicateParents            a parent listed twice
    │   ├── PayloadTooLarge             payload over the size limit
    │   ├── TimestampInFuture           issued too far ahead of the node clock
    │   ├── TimestampBeforeParent       issued before one of its parents
    │   ├── InvalidTransfer             transfer payload breaks a rule
    │   ├── InvalidHold                 hold, release or settle payload breaks a rule
    │   ├── InvalidCarrier              carrier payload or one of its carried messages breaks a rule
    │   ├── CarriedAlone                a carried message submitted outside a carrier
    │   └── InvalidMilestone            milestone not signed by the coordinator
    ├── HeldLimitReached                too many messages wait for parents; retry later
    ├── PowRateLimited                  this client asked the node for too much work
    ├── NotFound                        no such message, milestone or address record
    └── LedgerAccessError               a ledger adapter (plaza.ledger.ports) could not do it
        ├── LedgerUnavailable           the same call may work later
        │   ├── NodeUnreachable         no answer at the node's URL
        │   ├── NodeBusy                the node asked to retry later; ``retry_after_s``
        │   └── RateLimited             too many requests (faucet, proof of work); ``retry_after_s``
        ├── ConfirmationTimeout         not confirmed before the deadline (it may still confirm)
        ├── NoFaucet                    the node has no faucet
        └── RequestRefused(code)        the node refused the request
            └── MessageRefused(code)    ... because the message itself is invalid: sign anew

The access errors are what the in-process and the remote adapter raise alike,
so the wallet, channels and the market handle one family whichever runs.
"""

from __future__ import annotations


class LedgerError(Exception):
    """Base of every error the ledger raises."""

    code = "ledger_error"


class MessageRejected(LedgerError):
    """The message is invalid; resubmitting the same bytes will fail the same way."""

    code = "message_rejected"


class MalformedMessage(MessageRejected):
    code = "malformed_message"

    def __init__(self, reason: str) -> None:
        super().__init__(f"malformed message: {reason}")
        self.reason = reason


class WrongNetwork(MessageRejected):
    code = "wrong_network"

    def __init__(self, expected: int, got: int) -> None:
        super().__init__(f"message is for network {got:#010x}, this node runs {expected:#010x}")
        self.expected = expected
        self.got = got


class UnsupportedVersion(MessageRejected):
    code = "unsupported_version"

    def __init__(self, got: int, supported: int) -> None:
        super().__init__(f"protocol version {got} is not supported (this node speaks {supported})")
        self.got = got
        self.supported = supported


class UnknownPayloadKind(MessageRejected):
    code = "unknown_payload_kind"

    def __init__(self, kind: int) -> None:
        super().__init__(f"unknown payload kind {kind}")
        self.kind = kind


class InvalidSignature(MessageRejected):
    code = "invalid_signature"

    def __init__(self) -> None:
        super().__init__("issuer signature does not verify")


class InsufficientProofOfWork(MessageRejected):
    code = "insufficient_pow"

    def __init__(self, required: int, got: int) -> None:
        super().__init__(f"proof of work has {got} leading zero bits, {required} required")
        self.required = required
        self.got = got


class InvalidParentCount(MessageRejected):
    code = "invalid_parent_count"

    def __init__(self, count: int, maximum: int) -> None:
        super().__init__(f"{count} parents given, 1 to {maximum} allowed")
        self.count = count


class DuplicateParents(MessageRejected):
    code = "duplicate_parents"

    def __init__(self, parent: bytes) -> None:
        super().__init__(f"parent {parent.hex()} is listed more than once")
        self.parent = parent


class PayloadTooLarge(MessageRejected):
    code = "payload_too_large"

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(f"payload of {size} bytes exceeds the limit of {limit}")
        self.size = size
        self.limit = limit


class TimestampInFuture(MessageRejected):
    code = "timestamp_in_future"

    def __init__(self, issued_at_ms: int, now_ms: int, tolerance_ms: int) -> None:
        ahead = issued_at_ms - now_ms
        super().__init__(f"issued {ahead} ms in the future, at most {tolerance_ms} ms tolerated")
        self.issued_at_ms = issued_at_ms
        self.now_ms = now_ms


class TimestampBeforeParent(MessageRejected):
    code = "timestamp_before_parent"

    def __init__(self, issued_at_ms: int, parent: bytes, parent_issued_at_ms: int) -> None:
        super().__init__(
            f"issued at {issued_at_ms} ms, before its parent {parent.hex()} "
            f"issued at {parent_issued_at_ms} ms"
        )
        self.parent = parent


class InvalidTransfer(MessageRejected):
    code = "invalid_transfer"

    def __init__(self, reason: str) -> None:
        super().__init__(f"invalid transfer: {reason}")
        self.reason = reason


class InvalidHold(MessageRejected):
    code = "invalid_hold"

    def __init__(self, reason: str) -> None:
        super().__init__(f"invalid hold: {reason}")
        self.reason = reason


class InvalidCarrier(MessageRejected):
    code = "invalid_carrier"

    def __init__(self, reason: str) -> None:
        super().__init__(f"invalid carrier: {reason}")
        self.reason = reason


class CarriedAlone(MessageRejected):
    """A carried message (parent all zeros) reached the ledger on its own.

    Its zero parent is no message, so it would wait for ever; it does no work, so
    only its carrier's work may stand for it.
    """

    code = "carried_alone"

    def __init__(self, message_id: bytes) -> None:
        super().__init__(
            f"message {message_id.hex()} is a carried message (its parent is 32 zero bytes, "
            "no message): carried messages travel only inside a carrier"
        )
        self.message_id = message_id


class InvalidMilestone(MessageRejected):
    code = "invalid_milestone"

    def __init__(self, reason: str) -> None:
        super().__init__(f"invalid milestone: {reason}")
        self.reason = reason


class HeldLimitReached(LedgerError):
    code = "held_limit_reached"

    def __init__(self, limit: int, submitter: str | None = None) -> None:
        whose = "" if submitter is None else f" from {submitter}"
        super().__init__(f"{limit} messages{whose} already wait for missing parents; retry later")
        self.limit = limit
        self.submitter = submitter


class PowRateLimited(LedgerError):
    code = "pow_rate_limited"

    def __init__(self, retry_after_s: float) -> None:
        super().__init__(f"proof-of-work requests rate limited; retry in {retry_after_s:.1f} s")
        self.retry_after_s = retry_after_s


class NotFound(LedgerError):
    code = "not_found"

    def __init__(self, what: str) -> None:
        super().__init__(f"{what} not found")
        self.what = what


class LedgerAccessError(LedgerError):
    """A ledger adapter could not do what was asked (its port is in :mod:`plaza.ledger.ports`)."""

    code = "ledger_unavailable"


class LedgerUnavailable(LedgerAccessError):
    """The node could not be reached, was busy or answered oddly; the same call may work later."""


class NodeUnreachable(LedgerUnavailable):
    def __init__(self, where: str, detail: str) -> None:
        super().__init__(f"cannot reach the node at {where} ({detail}); is it running?")
        self.where = where
        self.detail = detail


class NodeBusy(LedgerUnavailable):
    def __init__(self, message: str, retry_after_s: float | None) -> None:
        super().__init__(f"the node is busy: {message}")
        self.retry_after_s = retry_after_s


class RateLimited(LedgerUnavailable):
    def __init__(self, message: str, retry_after_s: float | None) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class ConfirmationTimeout(LedgerAccessError):
    def __init__(self, message_id: bytes, timeout_s: float) -> None:
        super().__init__(
            f"transfer {message_id.hex()} not confirmed within {timeout_s:g} s; "
            "it may still confirm (see `plaza wallet history`)"
        )
        self.message_id = message_id
        self.timeout_s = timeout_s


class NoFaucet(LedgerAccessError):
    def __init__(self) -> None:
        super().__init__("this node has no faucet (only a devnet node holding the faucet key has)")


class RequestRefused(LedgerAccessError):
    """The node refused the request; ``code`` is its stable error code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class MessageRefused(RequestRefused):
    """The node refused the message for good; signing the same payload anew may pass."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(code, f"the node refused the message ({code}): {message}")
