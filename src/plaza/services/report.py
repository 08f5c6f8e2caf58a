"""A provider's failure report: why its calls were refunded, for its owner's dashboard.

The ledger shows how every call to a provider ended (its hold paid, refunded or
expired) and what the provider was paid, but a refund's reason rides sealed to the
customer's side key, so only the provider knows, from its book, why its calls
failed. A provider with an owner (``plaza service run --owner usr_…``) files what
its owner's dashboard shows of that, whenever it changed, under a tag derived from
its channel id and issued by its own key (the one its announcement is signed by and
its holds pay)::

    tag  = BLAKE2b-256(channel_id, person="plaza-svc-report")
    data = 0x01 || canonical JSON {"at_ms": int, "reasons": [[reason, count], ...]}

``reasons`` tallies the refunded calls by the reason the provider gave, most
frequent first, at most :data:`MAX_REASONS` of them, each cut to
:data:`REASON_CHARS` characters. No hold, call, customer or time of a single call is
in it; what it does make public is the reasons' text, so a provider that files
reports should give reasons that say nothing of a customer's input.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

from plaza.crypto import blake2b
from plaza.services.errors import InvalidDescription

__all__ = [
    "MAX_REASONS",
    "REASON_CHARS",
    "FailureReport",
    "decode_report",
    "encode_report",
    "report_tag",
]

MAX_REASONS = 20
REASON_CHARS = 200
_VERSION = b"\x01"


@dataclass(frozen=True, slots=True)
class FailureReport:
    """Why a provider's calls were refunded, as of ``at_ms``: (reason, calls), most first."""

    at_ms: int
    reasons: tuple[tuple[str, int], ...]

    @property
    def failed(self) -> int:
        """The refunded calls the report accounts for."""
        return sum(count for _, count in self.reasons)

    @classmethod
    def of(cls, at_ms: int, tally: Iterable[tuple[str, int]]) -> FailureReport:
        """The report of ``tally``, reasons cut and merged, the :data:`MAX_REASONS` most
        frequent kept."""
        merged: dict[str, int] = {}
        for reason, count in tally:
            cut = reason[:REASON_CHARS]
            merged[cut] = merged.get(cut, 0) + count
        ranked = sorted(merged.items(), key=lambda item: (-item[1], item[0]))
        return cls(at_ms, tuple(ranked[:MAX_REASONS]))


def report_tag(channel_id: bytes) -> bytes:
    """Where a provider files its reports (one lookup finds the latest)."""
    return blake2b(channel_id, person=b"plaza-svc-report")


def encode_report(report: FailureReport) -> bytes:
    body = {"at_ms": report.at_ms, "reasons": [list(item) for item in report.reasons]}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return _VERSION + text.encode()


def decode_report(data: bytes) -> FailureReport:
    """The report ``data`` holds; :class:`InvalidDescription` if it is not one."""
    if not data.startswith(_VERSION):
        raise InvalidDescription("a failure report starts 0x01")
    try:
        body = json.loads(data[1:])
        at_ms, rows = body["at_ms"], body["reasons"]
        reasons = tuple((reason, count) for reason, count in rows)
    except (ValueError, KeyError, TypeError) as error:
        raise InvalidDescription(f"not a failure report: {error}") from None
    if not isinstance(at_ms, int) or len(reasons) > MAX_REASONS:
        raise InvalidDescription("a failure report has a time and at most 20 reasons")
    if not all(_row(reason, count) for reason, count in reasons):
        raise InvalidDescription("a failure report's reasons are short texts, each counted")
    return FailureReport(at_ms, reasons)


def _row(reason: object, count: object) -> bool:
    counted = isinstance(count, int) and not isinstance(count, bool) and count >= 1
    return isinstance(reason, str) and len(reason) <= REASON_CHARS and counted
