"""Tips, milestones, balances and the node's description of itself."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from plaza.api.deps import (
    AddressPath,
    HoldIdPath,
    LimitQuery,
    MilestoneIndexPath,
    OffsetQuery,
    RuntimeDep,
)
from plaza.api.errors import error_responses
from plaza.api.hold_views import hold_view
from plaza.api.schemas import BalanceView, HistoryView, HoldView, InfoView, MilestoneView, TipsView
from plaza.api.views import history_entry_view, milestone_view
from plaza.ledger.errors import NotFound
from plaza.ledger.model import MAX_PARENTS, ConfirmationState, Conflict
from plaza.ledger.ports import HistoryEntry
from plaza.ledger.service import Tangle

__all__ = ["router"]

router = APIRouter(tags=["ledger"])

_BALANCE_READ_ATTEMPTS = 5


@router.get("/tips", responses=error_responses(400))
def get_tips(
    runtime: RuntimeDep,
    count: Annotated[int, Query(ge=1, le=MAX_PARENTS, description="how many parents")] = 4,
) -> TipsView:
    """Parents for a new message, chosen by the node's tip selection."""
    return TipsView(tips=[tip.hex() for tip in runtime.tangle.select_parents(count)])


@router.get("/milestones/latest")
def get_latest_milestone(runtime: RuntimeDep) -> MilestoneView:
    return milestone_view(runtime.tangle.latest_milestone)


@router.get("/milestones/{index}", responses=error_responses(400, 404))
def get_milestone(index: MilestoneIndexPath, runtime: RuntimeDep) -> MilestoneView:
    """An applied milestone; index 0 is the genesis."""
    return milestone_view(runtime.tangle.milestone(index))


@router.get("/addresses/{address}/balance", responses=error_responses(400))
def get_balance(address: AddressPath, runtime: RuntimeDep) -> BalanceView:
    """The confirmed balance and the milestone it is confirmed at."""
    balance, index = runtime.tangle.balance_at(address.raw)
    return BalanceView(address=str(address), balance=balance, milestone_index=index)


@router.get("/addresses/{address}/history", responses=error_responses(400))
def get_history(
    address: AddressPath, runtime: RuntimeDep, limit: LimitQuery = 100, offset: OffsetQuery = 0
) -> HistoryView:
    """Every transfer paying from or to the address, newest first, with its state."""
    tangle = runtime.tangle
    entries = tangle.history(address.raw, limit=limit, offset=offset)
    views = [history_entry_view(entry, _entry_state(tangle, entry)) for entry in entries]
    return HistoryView(address=str(address), entries=views)


def _entry_state(tangle: Tangle, entry: HistoryEntry) -> ConfirmationState:
    """A history row knows its confirmation but not its solidity: ask only when unconfirmed.

    Only held messages are ever deleted (found invalid once their parents came),
    so a row whose message vanished since was held.
    """
    if entry.milestone_index is not None:
        if entry.conflict is Conflict.NONE:
            return ConfirmationState.CONFIRMED
        return ConfirmationState.CONFLICTING
    try:
        return tangle.metadata(entry.message_id).state
    except NotFound:
        return ConfirmationState.HELD


@router.get("/holds/{hold_id}", responses=error_responses(400, 404))
def get_hold(hold_id: HoldIdPath, runtime: RuntimeDep) -> HoldView:
    """A held payment, open or closed, as of the latest milestone.

    The id is the hold message's transfer key (``H(essence)``, the ``hold_id`` of its
    payload view), the same however often the signed hold is attached. A hold is found
    once a milestone confirmed it; a closed one says how it closed and by which message.
    """
    return hold_view(runtime.tangle.hold(hold_id))


@router.get("/info")
def get_info(runtime: RuntimeDep) -> InfoView:
    """What a client needs to build messages for this node, and how the node is doing."""
    tangle = runtime.tangle
    genesis = tangle.genesis
    return InfoView(
        network=genesis.network,
        network_id=genesis.network_id,
        genesis_id=genesis.id.hex(),
        pow_difficulty=runtime.work.difficulty,
        milestone_interval_s=runtime.config.milestone_interval_s,
        coordinator=runtime.coordinator is not None,
        latest_milestone_index=tangle.latest_milestone.index,
        state_root=tangle.state_root().hex(),
        supply=genesis.supply,
        statistics={**tangle.statistics(), **runtime.events.statistics()},
    )
