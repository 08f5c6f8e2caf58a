"""Contracts: the signed terms and where their settlement stands, for their parties.

A contract is private: its provider, its consumer, auditors and operators may
read it; only its parties move it on (delivery by either, the payment request by
the provider). Every answer carries the marketplace's signature over the terms,
so a party can check a contract without trusting this API (``plaza market verify``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from plaza.api.errors import error_responses
from plaza.api.market.auth import CallerDep, ServicesDep
from plaza.api.market.schemas import ID_PATTERN, ContractList, ContractView, PaymentIn
from plaza.api.market.services import MarketServices
from plaza.api.market.views import contract_view
from plaza.market.contracts import SignedContract
from plaza.market.settlement import ContractNotFound, Settlement

__all__ = ["router"]

router = APIRouter(tags=["contracts"])

ContractIdPath = Annotated[str, Path(pattern=ID_PATTERN, description="e.g. mat-7")]


def _signed(services: MarketServices, contract_id: str) -> SignedContract:
    signed = services.contracts.get(contract_id)
    if signed is None:
        raise ContractNotFound(contract_id)
    return signed


def _view(services: MarketServices, settlement: Settlement) -> ContractView:
    return contract_view(_signed(services, settlement.id), settlement)


@router.get("/contracts", responses=error_responses(401))
def my_contracts(
    caller: CallerDep,
    services: ServicesDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=2**31)] = 0,
) -> ContractList:
    """The caller's contracts, as provider or consumer, newest first."""
    assert caller.participant_id is not None
    items = []
    for signed in services.contracts.of_party(caller.participant_id, limit=limit, offset=offset):
        try:
            settlement = services.marketplace.settlement(caller, signed.match.id)
        except ContractNotFound:  # journaled, not opened yet: reconciled on the next start
            continue
        items.append(contract_view(signed, settlement))
    return ContractList(items=items)


@router.get("/contracts/{contract_id}", responses=error_responses(401, 403, 404))
def get_contract(
    contract_id: ContractIdPath, caller: CallerDep, services: ServicesDep
) -> ContractView:
    """The signed terms, the signature and the settlement phase."""
    return _view(services, services.marketplace.settlement(caller, contract_id))


@router.post("/contracts/{contract_id}/delivery", responses=error_responses(401, 403, 404, 409))
def report_delivery(
    contract_id: ContractIdPath, caller: CallerDep, services: ServicesDep
) -> ContractView:
    """Provision finished, reported by either party: the payment clock starts."""
    return _view(services, services.marketplace.report_delivery(caller, contract_id))


@router.post(
    "/contracts/{contract_id}/payment-request", responses=error_responses(401, 403, 404, 409)
)
def request_payment(
    contract_id: ContractIdPath, caller: CallerDep, services: ServicesDep
) -> ContractView:
    """The provider asks the consumer to pay, after delivery."""
    return _view(services, services.marketplace.request_payment(caller, contract_id))


@router.post(
    "/contracts/{contract_id}/payment", responses=error_responses(401, 403, 404, 409, 422, 502)
)
def report_payment(
    contract_id: ContractIdPath, body: PaymentIn, caller: CallerDep, services: ServicesDep
) -> ContractView:
    """The consumer paid on the ledger itself: the transfer's message id. The marketplace
    reads it back from its node and checks it (422, coded by the check it fails); the
    periodic round then confirms it and fulfils the contract."""
    message_id = bytes.fromhex(body.message_id)
    return _view(services, services.marketplace.report_payment(caller, contract_id, message_id))
