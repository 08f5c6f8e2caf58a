"""The 402 gateway over real HTTP and a real node: an upstream API sold per request.

The upstream is a small FastAPI app on its own uvicorn server; the gateway runs in
front of it on another; the client pays with :func:`plaza.services.gateway.paid_request`
through the remote ledger adapter.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI, Response
from node_helpers import address_of
from node_server import RunningNode
from services_support import CLOCK, FUNDS, eventually, funded_key

from plaza.adapters.ledger.remote import RemoteLedger
from plaza.api.serving import ThreadedServer
from plaza.clients.node import NodeClient
from plaza.crypto import SigningKey
from plaza.ledger.holds import HoldStatus
from plaza.services.gateway import GatewayBook, GatewayDesk, create_gateway_app, paid_request
from plaza.services.offers import Offer
from plaza.services.provider import ProviderHome
from plaza.wallet.holds import compose_hold

PRICE = 7


def upstream_app(calls: list[str]) -> FastAPI:
    app = FastAPI()

    @app.get("/forecast")
    def forecast(place: str) -> dict[str, str]:
        calls.append(place)
        return {"place": place, "forecast": "sun"}

    @app.get("/broken")
    def broken() -> Response:
        calls.append("broken")
        return Response("upstream trouble", status_code=500)

    return app


@dataclass
class Gateway:
    url: str
    desk: GatewayDesk
    ledger: RemoteLedger
    calls: list[str]


@pytest.fixture
def gateway(node: RunningNode, tmp_path: Path) -> Iterator[Gateway]:
    calls: list[str] = []
    home = ProviderHome(tmp_path / "gateway")
    book = GatewayBook(home.path / "gateway.sqlite3")
    with (
        ThreadedServer(upstream_app(calls)) as upstream,
        NodeClient(node.url) as client,
        httpx.Client(timeout=10) as http,
    ):
        ledger = RemoteLedger(client, clock=CLOCK)
        desk = GatewayDesk(home.identity(), book, ledger, price=PRICE, clock=CLOCK)
        with ThreadedServer(create_gateway_app(desk, upstream.url, http)) as served:
            yield Gateway(served.url, desk, ledger, calls)
    book.close()


@pytest.fixture
def payer(node: RunningNode, client: NodeClient) -> SigningKey:
    return funded_key(node, client)


def test_an_unpaid_request_gets_a_signed_offer_bound_to_it(gateway: Gateway) -> None:
    refused = httpx.get(f"{gateway.url}/forecast?place=Torino")
    assert refused.status_code == 402
    offer = Offer.from_header(refused.headers["payment-required"]).verify(str(gateway.desk.address))
    assert refused.json()["offer"] == offer.to_json()
    assert (offer.price, offer.pay_to) == (PRICE, str(gateway.desk.address))
    assert gateway.calls == []


def test_a_paid_request_is_answered_once_with_a_receipt_and_a_replay_is_refused(
    gateway: Gateway, payer: SigningKey, client: NodeClient
) -> None:
    with httpx.Client(timeout=10) as http:
        paid = paid_request(
            gateway.ledger, payer, http, "GET", f"{gateway.url}/forecast?place=Torino", max_price=10
        )
        assert paid.response.status_code == 200
        assert paid.response.json() == {"place": "Torino", "forecast": "sun"}
        assert paid.receipt is not None
        assert paid.receipt.paid
        assert paid.receipt.status == 200
        assert paid.proof is not None
        replay = http.get(
            f"{gateway.url}/forecast?place=Torino", headers={"Payment-Proof": paid.proof}
        )
    assert (replay.status_code, replay.json()["error"]["code"]) == (409, "proof_used")
    assert gateway.calls == ["Torino"]
    eventually(lambda: client.hold(paid.receipt.hold_id).status is HoldStatus.RELEASED)  # type: ignore[union-attr]  # asserted above
    assert client.balance(gateway.desk.address).balance == PRICE
    assert httpx.get(f"{gateway.url}/.plaza/usage").json() == {"paid": 1, "revenue": PRICE}
    assert paid.offer is not None
    mine = httpx.get(f"{gateway.url}/.plaza/usage/{paid.offer.offer_id.hex()}").json()
    assert mine == {
        "offer_id": paid.offer.offer_id.hex(),
        "state": "paid",
        "price": PRICE,
        "status": 200,
        "hold_id": paid.receipt.hold_id.hex(),
    }
    for unknown in ("00" * 16, "zz", "00"):
        assert httpx.get(f"{gateway.url}/.plaza/usage/{unknown}").status_code == 404


def test_a_proof_for_another_request_is_refused_and_not_used_up(
    gateway: Gateway, payer: SigningKey
) -> None:
    asked = httpx.get(f"{gateway.url}/forecast?place=Bari")
    offer = Offer.from_header(asked.headers["payment-required"])
    held = compose_hold(
        gateway.ledger,
        payer,
        offer.pay_to,
        offer.price,
        expires_at_ms=offer.deadline_ms,
        hashlock=offer.hashlock,
    )
    gateway.ledger.submit(held.message.raw)
    gateway.ledger.wait_for_confirmation(held.message.id, timeout_s=10)
    proof = {"Payment-Proof": f"{offer.offer_id.hex()}:{held.message.id.hex()}"}
    other = httpx.get(f"{gateway.url}/forecast?place=Roma", headers=proof)
    assert (other.status_code, other.json()["error"]["message"]) == (
        400,
        "the proof's offer is for another request",
    )
    right = httpx.get(f"{gateway.url}/forecast?place=Bari", headers=proof)
    assert right.status_code == 200
    assert gateway.calls == ["Bari"]


def test_a_failed_upstream_call_is_not_charged(
    gateway: Gateway, payer: SigningKey, client: NodeClient
) -> None:
    with httpx.Client(timeout=10) as http:
        paid = paid_request(
            gateway.ledger, payer, http, "GET", f"{gateway.url}/broken", max_price=10
        )
    assert (paid.response.status_code, paid.response.text) == (500, "upstream trouble")
    assert paid.receipt is not None
    assert not paid.receipt.paid
    eventually(lambda: client.hold(paid.receipt.hold_id).status is HoldStatus.SETTLED)  # type: ignore[union-attr]  # asserted above
    assert client.balance(address_of(payer)).balance == FUNDS
    assert client.balance(gateway.desk.address).balance == 0


def test_bad_proofs_say_what_is_wrong(gateway: Gateway) -> None:
    for proof, status, says in [
        ("nonsense", 400, "Payment-Proof is <offer id>:<hold message id>"),
        (f"{'00' * 16}:{'00' * 32}", 400, "the proof names no offer of this gateway"),
    ]:
        answer = httpx.get(f"{gateway.url}/forecast?place=X", headers={"Payment-Proof": proof})
        assert (answer.status_code, answer.json()["error"]["message"]) == (status, says)
    asked = httpx.get(f"{gateway.url}/forecast?place=X")
    offer = Offer.from_header(asked.headers["payment-required"])
    unpaid = httpx.get(
        f"{gateway.url}/forecast?place=X",
        headers={"Payment-Proof": f"{offer.offer_id.hex()}:{'11' * 32}"},
    )
    assert (unpaid.status_code, unpaid.json()["error"]["message"]) == (
        400,
        "the proof names no hold on the ledger",
    )
    assert gateway.calls == []
