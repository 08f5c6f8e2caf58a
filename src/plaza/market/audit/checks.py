"""The audit's verdicts as pure functions: twin entries, confirmations and database rows in,
a report out. Nothing here fetches, so every rule is testable with hand-made trails.

A twin is checked in three ways: **authenticity** (the channel is announced by the
marketplace identity, every entry was signed by the channel, a contract by the
marketplace), **consistency** (each document names this twin, steps increase;
an identical re-write of a step, which a crash can cause, is tolerated) and
**agreement** (the latest state equals the database, field by field).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from plaza.market.audit.model import (
    AuditedEntry,
    AuditReport,
    Confirmation,
    Difference,
    TrailEntry,
    TwinTrail,
)
from plaza.market.contracts import ContractSignatureInvalid, SignedContract
from plaza.market.model import Asset, Order
from plaza.market.settlement import Contract, Settlement
from plaza.market.twins.documents import (
    DocumentType,
    InvalidTwinDocument,
    TwinDocument,
    asset_fields,
    decode_document,
    order_fields,
    settlement_fields,
    signed_contract_of,
)

__all__ = [
    "CheckedTrail",
    "asset_report",
    "check_trail",
    "contract_report",
    "diff_fields",
    "order_report",
]

_UNKNOWN = Confirmation("unknown")


@dataclass(frozen=True, slots=True)
class CheckedTrail:
    """A trail after the consistency checks: audited entries and the documents to trust."""

    trail: TwinTrail
    bound: bool
    entries: tuple[AuditedEntry, ...]
    documents: tuple[TwinDocument, ...]
    problems: tuple[str, ...] = field(default=())

    def latest(self, type_: DocumentType, record: str) -> TwinDocument | None:
        found = [d for d in self.documents if d.type is type_ and d.record == record]
        return found[-1] if found else None

    def first(self, type_: DocumentType, record: str) -> TwinDocument | None:
        return next((d for d in self.documents if d.type is type_ and d.record == record), None)


def check_trail(
    trail: TwinTrail, marketplace_key: bytes, confirmations: Mapping[bytes, Confirmation]
) -> CheckedTrail:
    """Decode and check every entry of a trail, in position order."""
    problems = list(trail.problems)
    bound = trail.owner is not None and trail.owner == marketplace_key
    if trail.channel_id is not None and not bound:
        problems.append("the twin's channel is not announced by the marketplace identity")
    entries: list[AuditedEntry] = []
    documents: list[TwinDocument] = []
    for entry in trail.entries:
        confirmation = confirmations.get(entry.message_id, _UNKNOWN)
        try:
            document = decode_document(entry.content)
        except InvalidTwinDocument as error:
            problems.append(f"position {entry.position}: {error}")
            entries.append(_audited(entry, None, confirmation))
            continue
        entries.append(_audited(entry, document, confirmation))
        problem = _sequence_problem(trail, documents, document, entry.position)
        if problem is not None:
            problems.append(problem)
        elif not documents or document != documents[-1]:
            documents.append(document)
    return CheckedTrail(trail, bound, tuple(entries), tuple(documents), tuple(problems))


def _audited(
    entry: TrailEntry, document: TwinDocument | None, confirmation: Confirmation
) -> AuditedEntry:
    """One entry as the report shows it; an undecodable one says only where it is."""
    if document is None:
        return AuditedEntry(
            entry.position,
            entry.message_id,
            None,
            None,
            None,
            None,
            entry.signature_verified,
            confirmation,
        )
    return AuditedEntry(
        entry.position,
        entry.message_id,
        document.type.value,
        document.record,
        document.step,
        _event(document),
        entry.signature_verified,
        confirmation,
    )


def _event(document: TwinDocument) -> str | None:
    """What a document records, in the words of its own lifecycle."""
    if document.type is DocumentType.CONTRACT:
        return "signed"
    event = document.body.get("reason" if document.type is DocumentType.ORDER else "event")
    return event if isinstance(event, str) else None


def _sequence_problem(
    trail: TwinTrail, before: list[TwinDocument], document: TwinDocument, position: int
) -> str | None:
    if (document.twin_kind, document.twin_id) != (trail.kind, trail.record_id):
        return (
            f"position {position}: a document of the {document.twin_kind} twin {document.twin_id!r}"
        )
    if before and document.step <= before[-1].step and document != before[-1]:
        return f"position {position}: step {document.step} after step {before[-1].step}"
    return None


def diff_fields(
    database: Mapping[str, Any], ledger: Mapping[str, Any], prefix: str = ""
) -> list[Difference]:
    """Every field whose values differ, by name; a field missing on one side is None there."""
    return [
        Difference(prefix + name, database.get(name), ledger.get(name))
        for name in sorted(set(database) | set(ledger))
        if database.get(name) != ledger.get(name)
    ]


def _json(value: Any) -> Any:
    """Values as they read back from JSON (tuples become lists), so a comparison is fair."""
    if isinstance(value, dict):
        return {key: _json(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_json(item) for item in value]
    return value


def _base_report(checked: CheckedTrail, **extra: Any) -> AuditReport:
    trail = checked.trail
    return AuditReport(
        kind=trail.kind,
        record_id=trail.record_id,
        channel_id=trail.channel_id,
        bound_to_marketplace=checked.bound,
        entries=checked.entries,
        foreign_skipped=trail.foreign_skipped,
        **extra,
    )


def _latest_differences(
    checked: CheckedTrail, name: str, database: dict[str, Any] | None
) -> tuple[list[Difference], list[str]]:
    """The twin's latest ``name`` document against the database's fields (None: no record)."""
    record_id = checked.trail.record_id
    latest = checked.latest(DocumentType(name), record_id)
    if latest is None and database is None:
        return [], [f"no {name} {record_id!r} in the database nor on a twin"]
    if latest is None:
        return [Difference(name, "present", None)], []
    if database is None:
        return [Difference(name, None, "present")], []
    return diff_fields(_json(database), latest.body.get(name, {})), []


def order_report(checked: CheckedTrail, order: Order | None) -> AuditReport:
    """An order's twin against the bid manager's order."""
    fields = None if order is None else order_fields(order)
    differences, problems = _latest_differences(checked, "order", fields)
    return _base_report(
        checked, differences=tuple(differences), problems=(*checked.problems, *problems)
    )


def asset_report(checked: CheckedTrail, asset: Asset | None) -> AuditReport:
    """An asset's twin against the asset's stored state (its latest version)."""
    fields = None if asset is None else asset_fields(asset)
    differences, problems = _latest_differences(checked, "asset", fields)
    return _base_report(
        checked, differences=tuple(differences), problems=(*checked.problems, *problems)
    )


def _contract_fields(contract: Contract) -> dict[str, Any]:
    return {
        "contract_id": contract.id,
        "provider": contract.provider,
        "consumer": contract.consumer,
        "quantity": contract.quantity,
        "unit_price": contract.unit_price,
        "matched_at_ms": contract.created_at_ms,
    }


def _signed_terms(
    document: TwinDocument, marketplace_key: bytes
) -> tuple[SignedContract | None, bool, list[str]]:
    """The twin's contract, whether the marketplace signed it, and what is wrong with it."""
    try:
        signed = signed_contract_of(document.body)
    except InvalidTwinDocument as error:
        return None, False, [f"the contract on the twin is unreadable: {error}"]
    problems = []
    if signed.marketplace_key != marketplace_key:
        problems.append("the contract on the twin names another marketplace key")
    try:
        signed.check_signature()
    except ContractSignatureInvalid:
        return signed, False, [*problems, "the contract's marketplace signature does not verify"]
    return signed, not problems, problems


def contract_report(
    checked: CheckedTrail,
    settlement: Settlement | None,
    marketplace_key: bytes,
    *,
    party_trails: Mapping[str, CheckedTrail],
    payment: Confirmation | None,
) -> AuditReport:
    """A contract's twin (the signed contract, then settlement states) against the database."""
    contract_id = checked.trail.record_id
    problems, differences = list(checked.problems), []
    document = checked.first(DocumentType.CONTRACT, contract_id)
    signed, valid, matches = None, False, False
    if document is None:
        problems.append("the signed contract is not on its twin")
    else:
        signed, valid, found = _signed_terms(document, marketplace_key)
        problems.extend(found)
    if settlement is None:
        differences.append(Difference("contract", None, "present" if document else None))
    elif signed is None:
        differences.append(Difference("contract", "present", None))
    else:
        contract_diff = _contract_differences(settlement.contract, signed)
        differences.extend(contract_diff)
        matches = not contract_diff
    differences.extend(_settlement_differences(checked, settlement))
    parties = tuple(
        (party, _holds(trail, document)) for party, trail in sorted(party_trails.items())
    )
    return _base_report(
        checked,
        differences=tuple(differences),
        problems=tuple(problems),
        contract_signature_valid=valid if document is not None else None,
        contract_matches_database=matches,
        on_party_twins=parties,
        payment=payment,
    )


def _contract_differences(contract: Contract, signed: SignedContract) -> list[Difference]:
    database = _contract_fields(contract)
    terms = {name: value for name, value in signed.terms().items() if name in database}
    return diff_fields(database, terms, "contract.")


def _settlement_differences(
    checked: CheckedTrail, settlement: Settlement | None
) -> list[Difference]:
    latest = checked.latest(DocumentType.SETTLEMENT, checked.trail.record_id)
    if latest is None and settlement is None:
        return []
    if latest is None:
        return [Difference("settlement", "present", None)]
    if settlement is None:
        return [Difference("settlement", None, "present")]
    on_twin = latest.body.get("settlement", {})
    return diff_fields(_json(settlement_fields(settlement)), on_twin, "settlement.")


def _holds(party: CheckedTrail, contract: TwinDocument | None) -> bool:
    """Whether a party's twin holds the very contract (terms and signature) of the contract twin."""
    if contract is None:
        return False
    return any(
        document.type is DocumentType.CONTRACT
        and document.record == contract.record
        and document.body == contract.body
        for document in party.documents
    )
