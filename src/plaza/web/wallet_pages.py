"""The wallet a person holds in their browser, and the few reads and relays it needs.

Keys are made, kept (locked under the person's passphrase) and used in the browser
(``static/wallet/protocol.js``, per ``docs/protocol.md``); this module serves the page
and answers what the browser may not ask the node itself (the page's
Content-Security-Policy keeps every connection on this origin): the network's id and
tips to build on, an address's balance and history, the devnet faucet, and the relay of
a message the browser signed to the node, which does its proof of work. What crosses
here is public: addresses, and messages already signed. No seed, private key or
passphrase ever does.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from functools import cache
from typing import Any, TypeVar

import segno
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from mnemonic import Mnemonic

from plaza.clients.errors import ApiError, ClientError, NotFoundError
from plaza.clients.node import NodeClient
from plaza.crypto import Address, InvalidAddress
from plaza.ledger.model import MAX_PAYLOAD_SIZE
from plaza.web.headers import SECURITY_HEADERS
from plaza.web.pages import pages_of

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
#: The site's Content-Security-Policy with ``'wasm-unsafe-eval'``, which lets a page compile
#: WebAssembly (libsodium's) and nothing else: ``eval`` and inline scripts stay refused.
WALLET_POLICY = SECURITY_HEADERS["content-security-policy"].replace(
    "script-src 'self'", "script-src 'self' 'wasm-unsafe-eval'"
)
T = TypeVar("T")
#: A signed transfer is far smaller; anything larger is not one.
_MAX_MESSAGE = MAX_PAYLOAD_SIZE + 1024


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


@cache
def _wordlist() -> str:
    """BIP-39's English words, the ones the Python wallet writes seeds in."""
    return "\n".join(Mnemonic("english").wordlist) + "\n"


@router.get("/wallet", response_class=HTMLResponse)
def wallet(request: Request) -> HTMLResponse:
    """The wallet's page: the site's policy, plus WebAssembly for libsodium (Argon2id and
    Ed25519 at native speed); still no eval, no inline script, no other origin."""
    page = pages_of(request).render(request, "wallet/wallet.html", {"title": "Wallet"})
    page.headers["content-security-policy"] = WALLET_POLICY
    return page


@router.get("/wallet/words.txt")
def words() -> PlainTextResponse:
    headers = {"cache-control": "public, max-age=86400"}
    return PlainTextResponse(_wordlist(), headers=headers)


@router.get("/wallet/qr/{address}.svg")
def qr(address: str) -> Response:
    """The address as a QR code, to receive coins from a phone's wallet."""
    try:
        parsed = _address(address)
    except _Refused as refused:
        return JSONResponse({"error": refused.message}, status_code=refused.status)
    image = io.BytesIO()
    segno.make(str(parsed).upper(), error="m").save(image, kind="svg", scale=4, title=str(parsed))
    return Response(image.getvalue(), media_type="image/svg+xml")


@router.get("/wallet/api/network")
def network(request: Request) -> JSONResponse:
    """What a transfer is built on: the network's id, the node's tips, the node's time."""
    node = _node(request)

    def read() -> dict[str, Any]:
        info = _answer(node.info)
        tips = _answer(lambda: node.tips(4))
        return {
            "networkId": info.network_id,
            "tips": [tip.hex() for tip in tips],
            "nowMs": int(time.time() * 1000),
        }

    return _json(read)


@router.get("/wallet/api/addresses/{address}")
def address(request: Request, address: str) -> JSONResponse:
    node = _node(request)

    def read() -> dict[str, Any]:
        parsed = _address(address)
        balance = _answer(lambda: node.balance(parsed))
        history = _answer(lambda: node.history(parsed, limit=50))
        return {
            "address": str(parsed),
            "balance": balance.balance,
            "milestone": balance.milestone_index,
            "history": [
                {
                    "messageId": item.message_id.hex(),
                    "delta": item.delta,
                    "issuedAtMs": item.issued_at_ms,
                    "state": item.state.value,
                    "milestone": item.milestone_index,
                }
                for item in history
            ],
        }

    return _json(read)


@router.post("/wallet/api/faucet")
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


@router.post("/wallet/api/messages")
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
