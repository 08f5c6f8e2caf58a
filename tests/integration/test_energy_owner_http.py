"""The user module over real HTTP: owners' API, onboarding against a device app, letters.

Three real servers on threads: the user module (``open_owner(...).app``), a tiny
device app that answers the seed's ``/init`` as an asset does (its UUID checked,
its own keys and wallet in the answer), and nothing at all on a closed port for a
device that is down. Owners talk JSON with their API keys; devices post sealed
letters. Ledger work runs on a real node in this process with a faucet.
"""

from __future__ import annotations

import hmac
import json
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from plaza.adapters.ledger.local import LocalLedger
from plaza.api.energy import OwnerService
from plaza.api.energy.link import HttpLink
from plaza.api.serving import ThreadedServer
from plaza.bootstrap.energy_modules import open_owner
from plaza.channels import MemoryCursorStore
from plaza.crypto import Identity
from plaza.energy.envelope import ModuleKey, open_letter, seal_letter
from plaza.energy.ledger import LedgerAccess
from plaza.energy.model import Transaction, TransactionStatus, TransactionType
from plaza.energy.questions import answer
from plaza.energy.twins import Twins
from plaza.jobs import InlineQueue
from plaza.ledger.genesis import Genesis
from plaza.market.auth import MemoryNonceStore
from plaza.market.twins.records import MemoryTwinIndex
from plaza.node import FaucetPolicy, NodeConfig, NodeRuntime
from plaza.storage import MemoryTangleStore
from plaza.testing import FakeClock
from plaza.testing.builders import key_from_number

GRANT = 1_000_000
UUID = "ba4a33f0-ee20-41e4-9fcd-9f91ecf77d0f"


@dataclass
class DeviceApp:
    """What a device's asset module answers on /init, and what it was told."""

    identity: Identity = field(default_factory=Identity.generate)
    wallet: Identity = field(default_factory=Identity.generate)
    inits: list[dict[str, Any]] = field(default_factory=list)

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/init")
        async def init(request: Request) -> JSONResponse:
            body = await request.json()
            if not hmac.compare_digest(str(body.get("uuid")), UUID):
                return JSONResponse({"success": False, "error": "uuid mismatch"}, 403)
            self.inits.append(body)
            return JSONResponse(
                {
                    "success": True,
                    "publicKey": ModuleKey.of(self.identity).to_text(),
                    "walletAddress": str(self.wallet.address),
                }
            )

        return app


@dataclass
class MarketplaceApp:
    """The marketplace as the user module sees it on ``/fund``: ``/unpaid`` answers, signed,
    that the device owes ``owed`` (a fake: the asking key is taken as it comes)."""

    clock: FakeClock
    identity: Identity = field(default_factory=Identity.generate)
    owed: int = 10_000

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/unpaid")
        async def unpaid(request: Request) -> JSONResponse:
            letter = open_letter(
                await request.body(),
                identity=self.identity,
                audience="marketplace",
                now_ms=self.clock.now_ms(),
                nonces=MemoryNonceStore(),
                known_key=lambda sender: None,
                introduce=True,
            )
            contracts = [{"contractId": "c-owed", "value": self.owed}]
            message = {"assetId": letter.body["assetId"], "contracts": contracts}
            return JSONResponse({"success": True, **answer(letter, message, self.identity)})

        return app


@dataclass
class Stack:
    http: httpx.Client
    owners: OwnerService
    device: DeviceApp
    device_url: str
    clock: FakeClock
    node: NodeRuntime
    ledger: LedgerAccess

    def milestone(self) -> None:
        assert self.node.coordinator is not None
        self.node.coordinator.issue_milestone()

    def sign_up(self, name: str) -> dict[str, str]:
        reply = self.http.post("/api/owners", json={"name": name}).json()
        return {"id": reply["ownerId"], "Authorization": f"Bearer {reply['apiKey']}"}

    def onboard(self, owner: dict[str, str], **changes: Any) -> dict[str, Any]:
        reply = self.http.post(
            "/api/devices", json=form(self.device_url, **changes), headers=auth(owner)
        )
        assert reply.status_code == 200, reply.text
        device: dict[str, Any] = reply.json()["device"]
        return device

    def letter(self, path: str, body: dict[str, Any], *, owner: dict[str, str]) -> httpx.Response:
        document = seal_letter(
            body,
            sender=body["assetId"],
            identity=self.device.identity,
            recipient=self.owners.key,
            audience=owner["id"],
            now_ms=self.clock.now_ms(),
        )
        return self.http.post(path, content=document, headers={"content-type": "application/json"})


def auth(owner: dict[str, str]) -> dict[str, str]:
    return {"Authorization": owner["Authorization"]}


def form(url: str, **changes: Any) -> dict[str, Any]:
    base = {
        "type": "consumer",
        "name": "heat-pump",
        "uuid": UUID,
        "energyPrice": 2000,
        "running": True,
        "dashboard": False,
        "url": url,
        "location": "Trondheim",
        "minOfferAmount": 300,
    }
    return {**base, **changes}


def closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    clock = FakeClock()
    faucet, coordinator = key_from_number(1), key_from_number(2)
    genesis = Genesis.create(
        "plaza-owner-http",
        timestamp_ms=clock.now_ms() - 1000,
        allocations={faucet.public_key.address.raw: 10**12},
        coordinator_keys=(coordinator.public_key.raw,),
    )
    node = NodeRuntime(
        store=MemoryTangleStore(),
        genesis=genesis,
        clock=clock,
        coordinator_keys=[coordinator],
        config=NodeConfig(pow_difficulty=0, faucet=FaucetPolicy(amount=GRANT, burst=100)),
        faucet_key=faucet,
    )
    market = MarketplaceApp(clock)
    market_server = ThreadedServer(market.app())
    ledger, link, device = LedgerAccess(LocalLedger(node)), HttpLink(timeout_s=5), DeviceApp()
    owners = open_owner(
        tmp_path,
        ledger=ledger,
        link=link,
        queue=InlineQueue(clock),
        clock=clock,
        marketplace_url=market_server.url,
        marketplace_key=ModuleKey.of(market.identity),
        public_url="http://owner.test",
    )
    try:
        with (
            market_server,
            ThreadedServer(device.app()) as device_server,
            ThreadedServer(owners.app) as server,
            httpx.Client(base_url=server.url, timeout=10) as http,
        ):
            yield Stack(http, owners, device, device_server.url, clock, node, ledger)
    finally:
        owners.close()
        link.close()
        node.close()


def test_an_owner_signs_up_funds_its_wallet_and_manages_a_device(stack: Stack) -> None:
    assert stack.http.get("/health").json() == {"success": True}
    paths = stack.http.get("/openapi.json").json()["paths"]
    assert {"/fund", "/notify_event", "/api/owners", "/api/devices/{device_id}"} <= set(paths)
    ada = stack.sign_up("Ada")
    missing = stack.http.get("/api/owners/me")
    assert (missing.status_code, missing.json()["code"]) == (401, "not_authenticated")
    funds = stack.http.post("/api/owners/me/funds", headers=auth(ada)).json()
    assert funds["transfer"]["amount"] == GRANT
    stack.milestone()
    me = stack.http.get("/api/owners/me", headers=auth(ada)).json()
    assert (me["ownerId"], me["balance"], me["available"]) == (ada["id"], GRANT, GRANT)

    device = stack.onboard(ada)
    (init,) = stack.device.inits
    assert init["assetId"] == device["assetId"]
    assert init["assetOwner"] == ada["id"]
    assert init["assetOwnerPublicKey"] == stack.owners.key.to_text()
    assert "assetWallet" not in init
    assert "uuid" not in device
    path = f"/api/devices/{device['assetId']}"
    paused = stack.http.post(path + "/pause", headers=auth(ada)).json()["device"]
    assert paused["status"] == "paused"
    assert stack.device.inits[-1]["status"] == "paused"
    stack.http.post(path + "/continue", headers=auth(ada))
    updated = stack.http.patch(
        path, json={"energyPrice": 2600, "dashboard": True}, headers=auth(ada)
    ).json()["device"]
    assert (updated["energyPrice"], updated["maxEnergyPrice"], updated["dashboard"]) == (
        2600,
        2600,
        True,
    )
    assert stack.device.inits[-1]["dashboard"] == "enabled"

    funded = stack.http.post(path + "/fund", json={"amount": 5000}, headers=auth(ada)).json()
    assert funded["transfer"]["kind"] == "fund"
    stack.milestone()
    (listed,) = stack.http.get("/api/devices", headers=auth(ada)).json()["devices"]
    assert (listed["status"], listed["balance"]) == ("running", 5000)
    assert stack.http.delete(path, headers=auth(ada)).json() == {"success": True}
    assert stack.device.inits[-1]["status"] == "stopped"
    assert stack.http.get("/api/devices", headers=auth(ada)).json()["devices"] == []


def test_an_owner_reaches_only_its_own_devices(stack: Stack) -> None:
    ada, bob = stack.sign_up("Ada"), stack.sign_up("Bob")
    stack.http.post("/api/owners/me/funds", headers=auth(bob))
    stack.milestone()
    path = f"/api/devices/{stack.onboard(ada)['assetId']}"
    attempts = [
        stack.http.get(path, headers=auth(bob)),
        stack.http.patch(path, json={"name": "mine"}, headers=auth(bob)),
        stack.http.post(path + "/pause", headers=auth(bob)),
        stack.http.delete(path, params={"force": "true"}, headers=auth(bob)),
        stack.http.get(path + "/transactions", headers=auth(bob)),
        stack.http.post(path + "/fund", json={"amount": 10}, headers=auth(bob)),
    ]
    assert [(r.status_code, r.json()["code"]) for r in attempts] == [(404, "not_found")] * 6
    assert stack.http.get("/api/devices", headers=auth(bob)).json()["devices"] == []
    forged = {"Authorization": auth(ada)["Authorization"].replace(ada["id"], bob["id"])}
    assert stack.http.get(path, headers=forged).status_code == 401
    assert len(stack.device.inits) == 1
    assert stack.http.get(path, headers=auth(ada)).json()["device"]["name"] == "heat-pump"


def test_bad_input_gets_a_specific_4xx_and_changes_nothing(stack: Stack) -> None:
    ada = stack.sign_up("Ada")
    headers = auth(ada)
    refusals = {
        "not json": stack.http.post("/api/devices", content=b"{nope", headers=headers),
        "an array": stack.http.post("/api/devices", json=[1], headers=headers),
        "a typo": stack.http.post(
            "/api/devices", json={**form(stack.device_url), "energyprice": 5}, headers=headers
        ),
        "a float": stack.http.post(
            "/api/devices", json=form(stack.device_url, energyPrice=2.5), headers=headers
        ),
        "a bad uuid": stack.http.post(
            "/api/devices", json=form(stack.device_url, uuid="guess"), headers=headers
        ),
        "a device down": stack.http.post(
            "/api/devices", json=form(closed_port_url()), headers=headers
        ),
        "no funds": stack.http.post(
            "/api/owners/me/withdraw",
            headers=headers,
            json={"address": str(Identity.generate().address), "amount": 5},
        ),
        "a bad address": stack.http.post(
            "/api/owners/me/withdraw", headers=headers, json={"address": "plz1xyz", "amount": 5}
        ),
        "no name": stack.http.post("/api/owners", json={}),
    }
    statuses = {name: (r.status_code, r.json()["code"]) for name, r in refusals.items()}
    assert statuses == {
        "not json": (400, "invalid_message"),
        "an array": (400, "invalid_message"),
        "a typo": (400, "invalid_message"),
        "a float": (400, "invalid_message"),
        "a bad uuid": (502, "peer_failed"),
        "a device down": (502, "peer_failed"),
        "no funds": (409, "wrong_state"),
        "a bad address": (400, "invalid_message"),
        "no name": (400, "invalid_message"),
    }
    assert "uuid mismatch" in refusals["a bad uuid"].json()["error"]
    assert "energyprice" in refusals["a typo"].json()["error"]
    assert stack.http.get("/api/devices", headers=headers).json()["devices"] == []
    assert stack.device.inits == []

    path = f"/api/devices/{stack.onboard(ada)['assetId']}"
    for query, status in (({"page": "x"}, 422), ({"per_page": 0}, 400), ({"status": "Done"}, 400)):
        reply = stack.http.get(path + "/transactions", params=query, headers=headers)
        assert (reply.status_code, reply.json()["code"]) == (status, "invalid_message"), query
    patched = stack.http.patch(path, json={"type": "provider"}, headers=headers)
    assert (patched.status_code, patched.json()["code"]) == (400, "invalid_message")
    assert stack.http.get(path, headers=headers).json()["device"]["type"] == "consumer"
    assert len(stack.device.inits) == 1


def test_devices_letters_fill_the_history_and_fund_the_device(stack: Stack) -> None:
    ada = stack.sign_up("Ada")
    stack.http.post("/api/owners/me/funds", headers=auth(ada))
    stack.milestone()
    device = stack.onboard(ada)
    asset_id = device["assetId"]
    twins = Twins(
        identity=stack.device.identity,
        gateway=stack.ledger.ledger,
        cursors=MemoryCursorStore(),
        index=MemoryTwinIndex(),
        clock=stack.clock,
    )
    for i in range(7):
        request = Transaction(
            TransactionType.REQUEST,
            TransactionStatus.INITIAL_REQUEST,
            300,
            2000,
            str(i),
            requesterId=asset_id,
            requesterTransactionId=f"r{i}",
        )
        twins.record(request.id, request.to_json())
        body = {
            "assetId": asset_id,
            "transaction": request.to_json(),
            "twin": twins.reader_key(request.id),
        }
        assert stack.letter("/notify_event", body, owner=ada).json() == {"success": True}
    path = f"/api/devices/{asset_id}/transactions"
    page = stack.http.get(path, params={"page": 2, "per_page": 3}, headers=auth(ada)).json()
    assert (page["total"], page["page"], page["perPage"]) == (7, 2, 3)
    assert [t["transactionId"] for t in page["transactions"]] == ["r3", "r2", "r1"]
    assert page["transactions"][0]["events"][0]["status"] == "Initial request"
    stack.milestone()
    twin = stack.http.get(path + "/r3/twin", headers=auth(ada)).json()
    assert [e["onTwin"] for e in twin["events"]] == [True]

    fund = {
        "assetId": asset_id,
        "type": "consumer",
        "walletAddress": device["walletAddress"],
        "balance": 0,
        "amount": 1234,
        "reference": f"{asset_id}:r1",
    }
    reply = stack.letter("/fund", fund, owner=ada).json()
    assert reply["success"] is True
    assert reply["amount"] == 1234
    assert len(reply["messageId"]) == 64
    stack.milestone()
    balance = stack.http.get(f"/api/devices/{asset_id}", headers=auth(ada)).json()["device"]
    assert balance["balance"] == 1234
    assert balance["stats"]["transactions"] == 7

    bob = stack.sign_up("Bob")
    misaddressed = stack.letter("/fund", fund, owner=bob)
    assert (misaddressed.status_code, misaddressed.json()["code"]) == (401, "not_authenticated")
    garbage = stack.http.post("/notify_event", content=b'{"encrypted": "!!"}')
    assert (garbage.status_code, garbage.json()["code"]) == (400, "invalid_message")
    assert json.loads(stack.http.post("/fund", content=b"[]").text)["success"] is False
