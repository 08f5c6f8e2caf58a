"""What the browser's wallet asks this site for: public reads, and the relay of what it signed.

The wallet page's Content-Security-Policy keeps every connection on this origin, so the
node is asked through here: the network's id and tips to build a transfer on, an
address's balance and history, the devnet faucet, and the relay of a message the browser
signed to the node, which does its proof of work. What crosses is public (addresses,
messages already signed). The one JSON API of the web app: documented at
``/openapi.json`` and fuzzed with the others; every refusal is a 4xx ``{"error": …}``
(a node's own fault a 502, a node that does not answer a 503).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from plaza.clients.errors import ApiError, ClientError, NotFoundError
from plaza.clients.node import NodeClient
from plaza.crypto import Address, InvalidAddress
from plaza.ledger.model import MAX_PAYLOAD_SIZE

__all__ = ["router"]

T = TypeVar("T")
#: A signed transfer is far smaller; anything larger is not one.
_MAX_MESSAGE = MAX_PAYLOAD_SIZE + 1024


class Refusal(BaseModel):
    error: str


class Network(BaseModel):
    networkId: int  # noqa: N815 - the wire's camelCase
    tips: list[str]
    milestone: str  # the latest milestone's message: a parent whose cone is confirmed
    nowMs: int  # noqa: N815


class HistoryEntry(BaseModel):
    messageId: str  # noqa: N815
    delta: int
    issuedAtMs: int  # noqa: N815
    state: str
    milestone: int | None


class AddressView(BaseModel):
    address: str
    balance: int
    milestone: int
    history: list[HistoryEntry]


class Grant(BaseModel):
    messageId: str  # noqa: N815
    amount: int


class Relayed(BaseModel):
    messageId: str  # noqa: N815


def _refusals(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {status: {"model": Refusal} for status in (*statuses, 502, 503)}


_FAUCET_BODY = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "properties": {"address": {"type": "string", "description": "plz1…"}},
                "required": ["address"],
            }
        }
    },
}
_MESSAGE_BODY = {
    "required": True,
    "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
}

router = APIRouter(prefix="/wallet/api", tags=["wallet"])


class _Refused(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _answer(call: Callable[[], T]) -> T:
    """The node's answer, or a refusal the browser can show: its 4xx as it said it."""
    try:
        return call()
    except NotFoundError as error:
        raise _Refused(404, error.message) from None
    except ApiError as error:
        raise _Refused(error.status if error.status < 500 else 502, error.message) from None
    except ClientError as error:
        raise _Refused(503, f"the node could not be reached: {error}") from None


def _json(call: Callable[[], dict[str, Any]]) -> JSONResponse:
    try:
        return JSONResponse(call())
    except _Refused as refused:
        return JSONResponse({"error": refused.message}, status_code=refused.status)


def _node(request: Request) -> NodeClient:
    node: NodeClient = request.app.state.sources.node
    return node


def _address(text: str) -> Address:
    try:
        return Address.parse(text)
    except (InvalidAddress, ValueError) as error:
        raise _Refused(400, f"not a Plaza address (plz1…): {error}") from None


@router.get("/network", response_model=Network, responses=_refusals())
def network(request: Request) -> JSONResponse:
    """What a transfer is built on: the network's id, the node's tips, the latest milestone,
    the time now. A payment that must confirm soon approves the milestone alone: a tip may
    hang from a cone of unconfirmed messages that is about to fall too far behind the
    milestones to be confirmed (lazy), and a message approving it with it."""
    node = _node(request)

    def read() -> dict[str, Any]:
        info = _answer(node.info)
        tips = _answer(lambda: node.tips(4))
        milestone = _answer(node.latest_milestone).message_id.hex()
        now_ms = int(time.time() * 1000)
        return {
            "networkId": info.network_id,
            "tips": [t.hex() for t in tips],
            "milestone": milestone,
            "nowMs": now_ms,
        }

    return _json(read)


@router.get("/addresses/{address}", response_model=AddressView, responses=_refusals(400))
def address(request: Request, address: str) -> JSONResponse:
    """An address's balance (confirmed at which milestone) and its 50 latest transfers."""
    node = _node(request)

    def read() -> dict[str, Any]:
        parsed = _address(address)
        balance = _answer(lambda: node.balance(parsed))
        history = _answer(lambda: node.history(parsed, limit=50))
        entries = [
            HistoryEntry(
                messageId=item.message_id.hex(),
                delta=item.delta,
                issuedAtMs=item.issued_at_ms,
                state=item.state.value,
                milestone=item.milestone_index,
            ).model_dump()
            for item in history
        ]
        found = {"balance": balance.balance, "milestone": balance.milestone_index}
        return {"address": str(parsed), **found, "history": entries}

    return _json(read)


@router.post(
    "/faucet",
    response_model=Grant,
    responses=_refusals(400, 404, 429),
    openapi_extra={"requestBody": _FAUCET_BODY},
)
async def faucet(request: Request) -> JSONResponse:
    """The devnet faucet, for the address the browser names (public: no key involved)."""
    try:
        body = await request.json()
    except ValueError:
        body = None
    text = body.get("address") if isinstance(body, dict) else None
    node = _node(request)

    def ask() -> dict[str, Any]:
        if not isinstance(text, str):
            raise _Refused(400, 'send {"address": "plz1…"}')
        grant = _answer(lambda: node.faucet(_address(text)))
        return {"messageId": grant.message_id.hex(), "amount": grant.amount}

    return _json(ask)


@router.post(
    "/messages",
    response_model=Relayed,
    responses=_refusals(400, 415, 429),
    openapi_extra={"requestBody": _MESSAGE_BODY},
)
async def submit(request: Request) -> JSONResponse:
    """Relay a message the browser signed; the node checks it and does its proof of work."""
    raw = await request.body()
    node = _node(request)

    def relay() -> dict[str, Any]:
        if request.headers.get("content-type") != "application/octet-stream":
            raise _Refused(415, "send the signed message's bytes as application/octet-stream")
        if not 0 < len(raw) <= _MAX_MESSAGE:
            raise _Refused(400, f"a message is 1 to {_MAX_MESSAGE} bytes")
        result = _answer(lambda: node.submit(raw, pow=True))
        return {"messageId": result.id.hex()}

    return _json(relay)
