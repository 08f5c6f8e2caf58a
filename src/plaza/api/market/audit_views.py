"""The audit's wire shapes and their conversion from :class:`~plaza.market.audit.model.AuditReport`.

Kept together and apart from :mod:`~plaza.api.market.schemas`: an audit report is
read-only output of one use case, and its shape follows the report field by
field, so the two change together. Message and channel ids are hex; values in
``differences`` are whatever JSON the database and the twin hold for the field.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from plaza.api.market.schemas import ID_PATTERN
from plaza.market.audit.service import AuditedEntry, AuditReport, Confirmation, Difference

__all__ = [
    "AUDIT_KEYS_MAX",
    "AuditEntryView",
    "AuditKeysIn",
    "AuditKeysView",
    "AuditReportView",
    "ConfirmationView",
    "DifferenceView",
    "PartyTwinView",
    "SentKeyView",
    "audit_report_view",
]

#: Records one key request may name: each key sent is a ledger message with its proof of work.
AUDIT_KEYS_MAX = 50

RecordId = Annotated[str, StringConstraints(pattern=ID_PATTERN)]


class _View(BaseModel):
    model_config = ConfigDict(frozen=True)


class ConfirmationView(_View):
    state: str = Field(description="confirmed, pending, held, conflicting or unknown")
    milestone_index: int | None = Field(description="the milestone that confirmed it")


class AuditEntryView(_View):
    position: int = Field(description="the entry's position on the twin's channel")
    message_id: str = Field(description="the ledger message holding it, hex")
    type: str | None = Field(description="order, asset, contract or settlement (None: unreadable)")
    record: str | None
    step: int | None
    event: str | None = Field(
        description="what it records: accepted, registered, signed, deliver..."
    )
    signature_verified: bool = Field(description="issuer and channel signatures checked")
    confirmation: ConfirmationView


class DifferenceView(_View):
    field: str
    database_value: Any = Field(description="the marketplace database's value")
    ledger_value: Any = Field(description="the twin's latest value")


class PartyTwinView(_View):
    participant: str
    holds_contract: bool = Field(description="the party's twin holds the same signed contract")


class AuditReportView(_View):
    kind: str = Field(description="order, asset or contract")
    record_id: str
    channel_id: str | None = Field(description="the twin's channel, hex (None: no twin)")
    clean: bool = Field(description="signed, bound, no difference, no problem (see confirmed)")
    signatures_verified: bool
    confirmed: bool = Field(description="every entry confirmed by a milestone")
    bound_to_marketplace: bool = Field(description="announced by the marketplace identity")
    entries: list[AuditEntryView]
    differences: list[DifferenceView]
    problems: list[str]
    foreign_skipped: int = Field(description="messages at the twin's addresses not its owner's")
    contract_signature_valid: bool | None = Field(description="contracts: marketplace signature")
    contract_matches_database: bool | None
    party_twins: list[PartyTwinView]
    payment: ConfirmationView | None = Field(description="contracts: the payment transfer")


class AuditKeysIn(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    orders: list[RecordId] = Field(default_factory=list, max_length=AUDIT_KEYS_MAX)
    contracts: list[RecordId] = Field(default_factory=list, max_length=AUDIT_KEYS_MAX)
    assets: list[RecordId] = Field(default_factory=list, max_length=AUDIT_KEYS_MAX)


class SentKeyView(_View):
    kind: str = Field(description="order, asset, contract or participant")
    record_id: str
    sent: bool = Field(description="False: no twin of this record (yet)")


class AuditKeysView(_View):
    recipient: str = Field(description="the caller's encryption key the keys are sealed to, hex")
    keys: list[SentKeyView]


def _confirmation(confirmation: Confirmation) -> ConfirmationView:
    return ConfirmationView(state=confirmation.state, milestone_index=confirmation.milestone_index)


def _entry(entry: AuditedEntry) -> AuditEntryView:
    return AuditEntryView(
        position=entry.position,
        message_id=entry.message_id.hex(),
        type=entry.type,
        record=entry.record,
        step=entry.step,
        event=entry.event,
        signature_verified=entry.signature_verified,
        confirmation=_confirmation(entry.confirmation),
    )


def _difference(difference: Difference) -> DifferenceView:
    return DifferenceView(
        field=difference.field,
        database_value=difference.database_value,
        ledger_value=difference.ledger_value,
    )


def audit_report_view(report: AuditReport) -> AuditReportView:
    return AuditReportView(
        kind=report.kind.value,
        record_id=report.record_id,
        channel_id=None if report.channel_id is None else report.channel_id.hex(),
        clean=report.clean,
        signatures_verified=report.signatures_verified,
        confirmed=report.confirmed,
        bound_to_marketplace=report.bound_to_marketplace,
        entries=[_entry(entry) for entry in report.entries],
        differences=[_difference(difference) for difference in report.differences],
        problems=list(report.problems),
        foreign_skipped=report.foreign_skipped,
        contract_signature_valid=report.contract_signature_valid,
        contract_matches_database=report.contract_matches_database,
        party_twins=[
            PartyTwinView(participant=party, holds_contract=found)
            for party, found in report.on_party_twins
        ],
        payment=None if report.payment is None else _confirmation(report.payment),
    )
