"""The bid manager over real HTTP: bids only from the marketplace's key, specific refusals
for bad input, and its ``/match`` letters delivered to a marketplace inbox by HTTP too."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request

from plaza.api.energy import BidManagerService
from plaza.api.energy.link import HttpLink
from plaza.api.serving import ThreadedServer
from plaza.bootstrap.energy_modules import open_bidmanager
from plaza.crypto import Identity
from plaza.energy.envelope import ModuleKey, open_letter, seal_letter
from plaza.jobs import InlineQueue, Worker
from plaza.market.auth import MemoryNonceStore
from plaza.testing import FakeClock


@dataclass
class Running:
    service: BidManagerService
    url: str
    marketplace: Identity
    clock: FakeClock
    queue: InlineQueue
    received: list[bytes]
    client: httpx.Client

    def letter(self, body: dict[str, Any], *, identity: Identity | None = None) -> bytes:
        return seal_letter(
            body,
            sender="marketplace",
            identity=identity or self.marketplace,
            recipient=self.service.key,
            audience="bidmanager",
            now_ms=self.clock.now_ms(),
        )

    def post(self, path: str, content: bytes) -> httpx.Response:
        return self.client.post(
            self.url + path, content=content, headers={"content-type": "application/json"}
        )


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    received: list[bytes] = []
    inbox = FastAPI()

    @inbox.post("/match")
    async def match(request: Request) -> dict[str, bool]:
        received.append(await request.body())
        return {"success": True}

    clock, marketplace = FakeClock(), Identity.generate()
    queue, link = InlineQueue(clock), HttpLink(timeout_s=5.0)
    with ThreadedServer(inbox) as market_inbox:
        service = open_bidmanager(
            Path(tmp_path_factory.mktemp("bids")),
            link=link,
            queue=queue,
            clock=clock,
            marketplace_url=market_inbox.url,
            marketplace_key=ModuleKey.of(marketplace),
        )
        with ThreadedServer(service.app) as server, httpx.Client(timeout=10.0) as client:
            yield Running(service, server.url, marketplace, clock, queue, received, client)
        service.close()
    link.close()


def offer_bid(clock: FakeClock, tx_id: str, energy: int = 1000) -> dict[str, Any]:
    return {
        "providerId": "solar",
        "providerTransactionId": tx_id,
        "energyAmount": energy,
        "energyPrice": 10,
        "type": "offer",
        "walletAddress": "w",
        "timestamp": str(clock.now_ms()),
        "additionalDetails": "",
    }


def test_a_match_reaches_the_marketplace_over_http(running: Running) -> None:
    offer = offer_bid(running.clock, "o-1")
    request = {
        "requesterId": "ev",
        "requesterTransactionId": "r-1",
        "energyAmount": 400,
        "energyPrice": 12,
        "type": "request",
        "timestamp": str(running.clock.now_ms()),
        "additionalDetails": "",
    }
    assert running.post("/offer", running.letter(offer)).json() == {"success": True}
    assert running.post("/request", running.letter(request)).json() == {"success": True}
    Worker(running.queue, running.service.handlers()).run_until_idle()
    (document,) = running.received
    body = open_letter(
        document,
        identity=running.marketplace,
        audience="marketplace",
        now_ms=running.clock.now_ms(),
        nonces=MemoryNonceStore(),
        known_key=lambda s: running.service.key.signing,
    ).body
    assert body == {"offer": offer, "request": request}


@pytest.mark.parametrize(
    ("path", "content", "status", "code"),
    [
        ("/offer", b"{not json", 400, "invalid_message"),
        ("/remove", b'{"plain": "json"}', 400, "invalid_message"),
        ("/request", b'{"encrypted": "bm90IGEgbGV0dGVy"}', 401, "not_authenticated"),
    ],
)
def test_bad_bodies_are_refused(
    running: Running, path: str, content: bytes, status: int, code: str
) -> None:
    before = running.service.statistics()
    reply = running.post(path, content)
    assert (reply.status_code, reply.json()["code"]) == (status, code)
    assert running.service.statistics() == before


def test_only_the_marketplace_key_is_heard(running: Running) -> None:
    before = running.service.statistics()
    reply = running.post(
        "/offer", running.letter(offer_bid(running.clock, "o-x"), identity=Identity.generate())
    )
    assert (reply.status_code, reply.json()["code"]) == (401, "not_authenticated")
    reply = running.post(
        "/offer", running.letter({**offer_bid(running.clock, "o-y"), "energyAmount": 0})
    )
    assert (reply.status_code, reply.json()["code"]) == (400, "invalid_message")
    reply = running.post("/remove", running.letter({"type": "both"}))
    assert (reply.status_code, reply.json()["code"]) == (400, "invalid_message")
    assert running.service.statistics() == before
