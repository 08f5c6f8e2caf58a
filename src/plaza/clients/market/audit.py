"""Audit answers as the market's own values: :class:`~plaza.market.audit.service.AuditReport`.

The report is rebuilt from its fields, so ``clean``, ``signatures_verified`` and
``confirmed`` are computed here by the same rules as on the server, not trusted
from the answer's summary flags.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from plaza.market.audit.service import AuditedEntry, AuditReport, Confirmation, Difference
from plaza.market.twins.documents import TwinKind

__all__ = ["SentKey", "parse_audit_report", "parse_sent_keys"]


@dataclass(frozen=True, slots=True)
class SentKey:
    """A twin whose read-only key the marketplace sealed to the auditor (``sent``), or not
    (``sent`` False: the record has no twin yet)."""

    kind: TwinKind
    record_id: str
    sent: bool


def _hex(text: Any) -> bytes | None:
    return None if text is None else bytes.fromhex(str(text))


def _confirmation(body: Any) -> Confirmation:
    index = body["milestone_index"]
    return Confirmation(str(body["state"]), None if index is None else int(index))


def _entry(body: Any) -> AuditedEntry:
    return AuditedEntry(
        position=int(body["position"]),
        message_id=bytes.fromhex(body["message_id"]),
        type=body["type"],
        record=body["record"],
        step=body["step"],
        event=body["event"],
        signature_verified=bool(body["signature_verified"]),
        confirmation=_confirmation(body["confirmation"]),
    )


def parse_audit_report(body: Any) -> AuditReport:
    payment = body["payment"]
    return AuditReport(
        kind=TwinKind(body["kind"]),
        record_id=str(body["record_id"]),
        channel_id=_hex(body["channel_id"]),
        bound_to_marketplace=bool(body["bound_to_marketplace"]),
        entries=tuple(_entry(entry) for entry in body["entries"]),
        differences=tuple(
            Difference(str(item["field"]), item["database_value"], item["ledger_value"])
            for item in body["differences"]
        ),
        problems=tuple(str(problem) for problem in body["problems"]),
        foreign_skipped=int(body["foreign_skipped"]),
        contract_signature_valid=body["contract_signature_valid"],
        contract_matches_database=body["contract_matches_database"],
        on_party_twins=tuple(
            (str(item["participant"]), bool(item["holds_contract"])) for item in body["party_twins"]
        ),
        payment=None if payment is None else _confirmation(payment),
    )


def parse_sent_keys(body: Any) -> list[SentKey]:
    return [
        SentKey(TwinKind(item["kind"]), str(item["record_id"]), bool(item["sent"]))
        for item in body["keys"]
    ]
