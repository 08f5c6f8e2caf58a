"""The devnet faucet: ``POST /faucet`` funds an address from the node's faucet key.

A plain ``def`` route, so FastAPI runs it in its thread pool: a grant signs,
does its proof of work and writes to the store, none of which may stall the
event loop. Limits are per address and per client host (see
:mod:`plaza.node.faucet`); a node without a faucet key answers 404
``faucet_unavailable``.
"""

from __future__ import annotations

from fastapi import APIRouter, Request

from plaza.api.deps import RuntimeDep, client_host, parse_address
from plaza.api.errors import error_responses
from plaza.api.schemas import FaucetGrantView, FaucetRequest

__all__ = ["router"]

router = APIRouter(tags=["faucet"])


@router.post("/faucet", status_code=202, responses=error_responses(400, 404, 429, 503))
def request_faucet(body: FaucetRequest, request: Request, runtime: RuntimeDep) -> FaucetGrantView:
    """Devnet only: pay the faucet's grant to ``address``; 202 once the transfer is attached.

    The grant is pending until a milestone confirms it: poll the returned
    message's metadata, as for any transfer.
    """
    grant = runtime.grant_faucet(parse_address(body.address), client=client_host(request))
    return FaucetGrantView(
        message_id=grant.message_id.hex(), address=str(grant.address), amount=grant.amount
    )
