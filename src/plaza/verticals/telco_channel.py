"""An order against the telco orders channel: what an auditor verifies the trail by.

``GET productOrder/{id}/channel`` reads the marketplace's orders channel from the
ledger (:mod:`plaza.telco.channel`: one channel, each step of each order signed on
it) with the marketplace's read-only key, checks the channel (announced by the
marketplace's identity, every entry's signature, its confirmation on the ledger)
and answers the order's entries on it and whether they are exactly the order's
trail (``verified``), with what is wrong otherwise. It reads as the order does (its
parties, its orchestrator and auditors) and changes nothing. An auditor configured
with the marketplace (``PLAZA_MARKET_AUDITOR_KEYS``) gets the channel's read-only key
sealed to it as the channel is set up, and can read the same channel itself.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path
from starlette.concurrency import run_in_threadpool

from plaza.api.errors import RequestProblem
from plaza.api.market.auth import CallerDep, ServicesDep
from plaza.market.twins.documents import TwinKind
from plaza.telco.channel import CHANNEL, Verdict, verify
from plaza.verticals.telco_errors import TmfRoute, tmf_errors
from plaza.verticals.telco_ordering import ORDERING, refusals
from plaza.verticals.telco_runtime import DeskDep

__all__ = ["router", "verdict_view"]

router = APIRouter(route_class=TmfRoute)
IdPath = Annotated[str, Path(pattern=r"^[A-Za-z0-9._:-]{1,128}$")]


def verdict_view(order_id: str, verdict: Verdict) -> dict[str, Any]:
    return {
        "id": order_id,
        "channel": {"kind": TwinKind.ORDERS.value, "id": CHANNEL, "channelId": verdict.channel_id},
        "verified": verdict.verified,
        "problems": list(verdict.problems),
        "entries": [
            {
                "position": entry.position,
                "messageId": entry.message_id,
                "confirmed": entry.confirmed,
                "step": entry.body,
            }
            for entry in verdict.entries
        ],
    }


@router.get(
    f"{ORDERING}/productOrder/{{order_id}}/channel",
    responses=tmf_errors(401, 404, 503),
    response_model=dict[str, Any],
)
async def order_channel(
    order_id: IdPath, caller: CallerDep, desk: DeskDep, services: ServicesDep
) -> Any:
    """The order's steps on the orders channel, checked against its trail."""
    auditor = services.auditor
    if auditor is None:
        raise RequestProblem(503, "no_ledger", "this marketplace records no channels")

    def read() -> Any:
        with refusals():
            order = desk.order(caller, order_id)
        return verdict_view(order_id, verify(order, auditor.audit_trail(TwinKind.ORDERS, CHANNEL)))

    return await run_in_threadpool(read)
