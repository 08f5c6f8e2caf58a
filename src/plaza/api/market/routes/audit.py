"""Audit: any order, asset or contract against its digital twin on the ledger, for auditors.

An audit fetches the record's twin from the ledger, checks every entry's
signatures and its confirmation, checks the marketplace's signature of a
contract and that both parties' twins hold it, and compares the twin's latest
state with the marketplace database field by field. It only reads (lookups on
the node, selects on the database): an audit changes nothing anywhere.

The server audits with the twins' read-only keys it owns. An auditor that wants
not to trust this server asks ``POST /audit/keys``: the marketplace seals those
read-only keys to the auditor's registered encryption key, on the ledger, and
the auditor runs the same :class:`~plaza.market.audit.service.Auditor` on its own
machine with :class:`~plaza.market.audit.channels.InboxTwinKeys` (``docs/api.md``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from plaza.api.errors import error_responses
from plaza.api.market.audit_views import (
    AuditKeysIn,
    AuditKeysView,
    AuditReportView,
    SentKeyView,
    audit_report_view,
)
from plaza.api.market.auth import CallerDep, ServicesDep
from plaza.api.market.schemas import ID_PATTERN
from plaza.api.market.services import MarketServices
from plaza.market.audit.service import Auditor
from plaza.market.auth import Principal
from plaza.market.auth.policy import check_can_audit
from plaza.market.errors import TwinUnavailable
from plaza.market.settlement import ContractNotFound
from plaza.market.twins.documents import TwinKind

__all__ = ["router"]

router = APIRouter(tags=["audit"])

ContractIdPath = Annotated[str, Path(pattern=ID_PATTERN, description="e.g. mat-7")]
OrderIdPath = Annotated[str, Path(pattern=ID_PATTERN, description="e.g. ord-12")]
AssetIdPath = Annotated[str, Path(pattern=ID_PATTERN, description="e.g. ast-3")]

_NO_TWINS = "this marketplace records no twins: no ledger node is configured"


def _auditor(services: MarketServices) -> Auditor:
    if services.auditor is None:
        raise TwinUnavailable("this marketplace has no auditor wired")
    return services.auditor


@router.get("/audit/contracts/{contract_id}", responses=error_responses(401, 403, 404, 503))
def audit_contract(
    contract_id: ContractIdPath, caller: CallerDep, services: ServicesDep
) -> AuditReportView:
    """A contract's twin (signed contract, then every settlement state), both parties' twins
    and the payment's confirmation, against the database. 404 only if neither has it."""
    check_can_audit(caller)
    report = _auditor(services).audit_contract(contract_id)
    if report.channel_id is None:  # no twin: the database must know the contract, or 404
        services.marketplace.audit_settlements(caller, [contract_id])
    return audit_report_view(report)


@router.get("/audit/orders/{order_id}", responses=error_responses(401, 403, 404, 503))
def audit_order(order_id: OrderIdPath, caller: CallerDep, services: ServicesDep) -> AuditReportView:
    """An order's twin (every step of the order), against the book. 404 only if neither has it."""
    check_can_audit(caller)
    report = _auditor(services).audit_order(order_id)
    if report.channel_id is None:
        services.marketplace.order(caller, order_id)
    return audit_report_view(report)


@router.get("/audit/assets/{asset_id}", responses=error_responses(401, 403, 404, 503))
def audit_asset(asset_id: AssetIdPath, caller: CallerDep, services: ServicesDep) -> AuditReportView:
    """An asset's twin (every state it went through), against its stored state. 404 only if
    neither has it."""
    check_can_audit(caller)
    report = _auditor(services).audit_asset(asset_id)
    if report.channel_id is None:
        services.marketplace.asset(caller, asset_id)
    return audit_report_view(report)


def _wanted(
    services: MarketServices, caller: Principal, body: AuditKeysIn
) -> list[tuple[TwinKind, str]]:
    """The twins an audit of these records reads: each order's and asset's; each contract's
    and its parties' (a party's twin holds its copy of the signed contract)."""
    wanted = [(TwinKind.ORDER, order_id) for order_id in body.orders]
    wanted += [(TwinKind.ASSET, asset_id) for asset_id in body.assets]
    for contract_id in body.contracts:
        wanted.append((TwinKind.CONTRACT, contract_id))
        try:
            [settlement] = services.marketplace.audit_settlements(caller, [contract_id])
        except ContractNotFound:
            continue
        parties = (settlement.contract.provider, settlement.contract.consumer)
        wanted += [(TwinKind.PARTICIPANT, party) for party in parties]
    return list(dict.fromkeys(wanted))


@router.post("/audit/keys", responses=error_responses(400, 401, 403, 404, 503))
def send_audit_keys(body: AuditKeysIn, caller: CallerDep, services: ServicesDep) -> AuditKeysView:
    """Seal the read-only keys of these records' twins to the caller's encryption key, in its
    inbox on the ledger, so it can audit them without this server. No record changes."""
    check_can_audit(caller)
    twins = services.twins
    if twins is None:
        raise TwinUnavailable(_NO_TWINS)
    assert caller.participant_id is not None  # an auditor is always a participant
    recipient = services.registry.get(caller.participant_id).encryption_key
    keys = [
        SentKeyView(
            kind=kind.value,
            record_id=record_id,
            sent=twins.send_reader_key(kind, record_id, recipient),
        )
        for kind, record_id in _wanted(services, caller, body)
    ]
    return AuditKeysView(recipient=recipient.raw.hex(), keys=keys)
