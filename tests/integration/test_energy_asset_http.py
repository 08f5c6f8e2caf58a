"""The asset module over real HTTP: the seed's endpoints and replies, and bad input.

Every bad request gets a specific 4xx with ``{success: false, error, code}`` and
changes nothing the device shows (its status, its transactions); no reply ever
carries the device's seed or its uuid. The device runs on a real server
(``ThreadedServer``) over real SQLite and an in-process node.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from plaza.adapters.ledger.local import LocalLedger
from plaza.api.energy import AssetService
from plaza.api.serving import ThreadedServer
from plaza.bootstrap.energy_modules import open_asset
from plaza.channels import MemoryCursorStore
from plaza.crypto import Identity
from plaza.energy.envelope import ModuleKey, seal_letter, sign_document
from plaza.energy.ledger import LedgerAccess
from plaza.energy.model import EnergyContract, Transaction, TransactionStatus, TransactionType
from plaza.energy.reads import READ_HEADER, read_credentials
from plaza.energy.twins import Twins
from plaza.jobs import InlineQueue
from plaza.market.twins.records import MemoryTwinIndex
from plaza.testing.builders import key_from_number
from plaza.testing.nodes import InProcessNode, in_process_node

UUID = "5e2d6f1c-3a4b-4c8d-9e0f-1a2b3c4d5e6f"
MARKET = Identity.generate()
OWNER = Identity.generate()
INIT: dict[str, Any] = {
    "uuid": UUID,
    "assetId": "solar-7",
    "assetName": "roof",
    "type": "provider",
    "assetOwner": "owner-7",
    "location": "Bergen",
    "url": "http://device.test",
    "marketplaceAPI": "http://market.test",
    "assetOwnerAPI": "http://owner.test",
    "marketplacePublicKey": ModuleKey.of(MARKET).to_text(),
    "assetOwnerPublicKey": ModuleKey.of(OWNER).to_text(),
    "status": "running",
    "minOfferAmount": 200,
    "energyPrice": 150,
    "exchangeRate": 0.15,
    "dashboard": "enabled",
}


@dataclass
class QuietLink:
    """The peers: every post accepted and counted."""

    posts: list[tuple[str, str]] = field(default_factory=list)

    def post(self, url: str, path: str, document: bytes) -> dict[str, Any]:
        self.posts.append((url, path))
        return {"success": True}


@dataclass
class Served:
    node: InProcessNode
    service: AssetService
    http: httpx.Client
    data_dir: Path
    queue: InlineQueue

    def post(self, path: str, body: Any = None, *, content: bytes | None = None) -> httpx.Response:
        if content is None:
            return self.http.post(path, json=body)
        return self.http.post(path, content=content, headers={"content-type": "application/json"})

    def shown(self) -> tuple[Any, Any]:
        """What the device shows: its status and its transactions."""
        return self.read("/status").json(), self.read("/transactions").json()

    def read(
        self, path: str, *, reader: Identity = OWNER, sender: str = "owner-7"
    ) -> httpx.Response:
        """``GET path`` with a read letter from ``reader`` (the owner, by default)."""
        headers = read_credentials(
            path,
            sender=sender,
            identity=reader,
            recipient=self.service.key,
            audience="solar-7",
            now_ms=self.node.clock.now_ms(),
        )
        return self.http.get(path, headers=headers)

    def letter(self, body: dict[str, Any], *, sender: Identity = MARKET) -> bytes:
        return seal_letter(
            body,
            sender="marketplace",
            identity=sender,
            recipient=self.service.key,
            audience="solar-7",
            now_ms=self.node.clock.now_ms(),
        )


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    with in_process_node(network="plaza-energy-asset-http") as node:
        queue = InlineQueue(node.clock)
        service = open_asset(
            tmp_path,
            uuid=UUID,
            ledger=LedgerAccess(LocalLedger(node.runtime)),
            link=QuietLink(),
            queue=queue,
            clock=node.clock,
        )
        try:
            with ThreadedServer(service.app) as server, httpx.Client(base_url=server.url) as http:
                yield Served(node, service, http, tmp_path, queue)
        finally:
            service.close()


def refused(
    served: Served,
    status: int,
    code: str,
    path: str,
    body: Any = None,
    *,
    content: bytes | None = None,
    needle: str = "",
) -> None:
    before = served.shown()
    reply = served.post(path, body, content=content)
    assert reply.status_code == status, reply.text
    assert reply.json()["success"] is False
    assert reply.json()["code"] == code
    assert needle in reply.json()["error"]
    assert served.shown() == before


def initialised(served: Served) -> dict[str, Any]:
    reply = served.post("/init", INIT)
    assert reply.status_code == 200, reply.text
    return dict(reply.json())


def test_health_and_the_seed_endpoints_are_served(served: Served) -> None:
    assert served.http.get("/health").json() == {"success": True}
    paths = served.http.get("/openapi.json").json()["paths"]
    for path in (
        "/init",
        "/produce",
        "/consume",
        "/contract",
        "/payment",
        "/payment_sent",
        "/payment_confirmed",
        "/cancel",
        "/claim",
    ):
        assert "post" in paths[path]
    assert served.http.get("/docs").status_code == 200


def test_init_refuses_bad_bodies_with_specific_errors(served: Served) -> None:
    refused(served, 400, "invalid_message", "/init", content=b"{not json", needle="not JSON")
    refused(served, 400, "invalid_message", "/init", ["uuid", UUID], needle="JSON object")
    refused(served, 403, "forbidden", "/init", {**INIT, "uuid": UUID.upper()}, needle="uuid")
    refused(
        served,
        400,
        "invalid_message",
        "/init",
        {**INIT, "assetWallet": {"seed": "CNYA0XQJOYQOMNWEBH", "keyIndex": 0}},
        needle="seed",
    )
    refused(
        served,
        400,
        "invalid_message",
        "/init",
        {**INIT, "minOfferAmount": 0.2},
        needle="minOfferAmount",
    )
    without_key = {k: v for k, v in INIT.items() if k != "marketplacePublicKey"}
    refused(served, 400, "invalid_message", "/init", without_key, needle="marketplacePublicKey")
    refused(served, 409, "not_configured", "/produce", {"energy": 300, "uuid": UUID})
    assert served.http.get("/status").json()["configured"] is False


def test_init_answers_keys_and_no_reply_carries_a_secret(served: Served) -> None:
    reply = initialised(served)
    assert reply == {
        "success": True,
        "publicKey": served.service.key.to_text(),
        "walletAddress": served.service.wallet_address,
    }
    served.post("/produce", {"energy": 300, "uuid": UUID})
    status, transactions = served.shown()
    assert (status["assetId"], status["pool"], status["reserved"]) == ("solar-7", 300, 300)
    assert status["transactions"] == {"Initial offer": 1}
    mnemonic = (served.data_dir / "asset.key").read_text().split()
    everything = str([reply, status, transactions])
    assert UUID not in everything
    # Any three words of the phrase in a row would be a leak; one word alone may be a field
    # name ("pool") by chance.
    tokens = re.findall(r"[a-z]+", everything)
    runs = {tuple(tokens[i : i + 3]) for i in range(len(tokens) - 2)}
    assert not any(tuple(mnemonic[i : i + 3]) in runs for i in range(len(mnemonic) - 2))
    assert "seed" not in everything.lower()


def test_produce_and_consume_refuse_bad_input_and_change_nothing(served: Served) -> None:
    initialised(served)
    refused(served, 403, "forbidden", "/produce", {"energy": 300, "uuid": "nope"})
    refused(served, 403, "forbidden", "/produce", {"energy": 300})
    for energy in (2.5, 0, -1, "300", None, 10**13):
        refused(
            served,
            400,
            "invalid_message",
            "/produce",
            {"energy": energy, "uuid": UUID},
            needle="energy",
        )
    refused(
        served, 409, "wrong_state", "/consume", {"energy": 100, "uuid": UUID}, needle="consumer"
    )
    refused(served, 400, "invalid_message", "/produce", content=b"x" * 300_000, needle="larger")
    ok = served.post("/produce", {"energy": 300, "uuid": UUID})
    assert ok.json() == {"success": True}


def test_letters_refuse_what_is_not_a_good_letter_and_change_nothing(served: Served) -> None:
    initialised(served)
    served.post("/produce", {"energy": 300, "uuid": UUID})
    refused(served, 400, "invalid_message", "/contract", {"sealed": "x"}, needle="encrypted")
    refused(served, 400, "invalid_message", "/contract", {"encrypted": "%%%"})
    stranger = base64.b64encode(b"\x00" * 120).decode()
    refused(served, 401, "not_authenticated", "/payment_sent", {"encrypted": stranger})
    forged = served.letter({"transaction": {}}, sender=Identity.generate())
    refused(served, 401, "not_authenticated", "/cancel", content=forged, needle="marketplace")
    refused(served, 403, "forbidden", "/payment", content=served.letter({}), needle="consumer")
    unknown = Transaction(
        TransactionType.OFFER,
        TransactionStatus.CANCELLED,
        300,
        150,
        "1",
        providerId="solar-7",
        providerTransactionId="no-such-offer",
    )
    refused(
        served,
        404,
        "not_found",
        "/cancel",
        content=served.letter({"transaction": unknown.to_json()}),
        needle="no-such-offer",
    )
    letter = served.letter({"transaction": unknown.to_json()})
    served.post("/cancel", content=letter)
    refused(served, 401, "not_authenticated", "/cancel", content=letter, needle="replay")
    refused(
        served,
        400,
        "invalid_message",
        "/cancel",
        content=served.letter({"transaction": {"type": "offer"}}),
        needle="status",
    )


def test_a_contract_letter_over_http_and_the_event_views(served: Served) -> None:
    initialised(served)
    served.post("/produce", {"energy": 300, "uuid": UUID})
    ((offer_row,),) = [served.read("/transactions").json()["transactions"]]
    offer = Transaction.from_json(offer_row["transaction"])
    request = Transaction(
        TransactionType.REQUEST,
        TransactionStatus.INITIAL_REQUEST,
        250,
        200,
        "1",
        requesterId="ev-1",
        requesterTransactionId="ev-tx",
        requesterWalletAddress=str(key_from_number(5).public_key.address),
    )
    contract = EnergyContract.join("c-9", offer, request, now_ms=served.node.clock.now_ms())
    twins = Twins(
        identity=MARKET,
        gateway=served.node.gateway,
        cursors=MemoryCursorStore(),
        index=MemoryTwinIndex(),
        clock=served.node.clock,
    )
    twins.record("c-9", contract.to_json())
    body = {"contract": sign_document(contract.to_json(), MARKET), "twin": twins.reader_key("c-9")}
    reply = served.post("/contract", content=served.letter(body))
    assert reply.json() == {"success": True}, reply.text
    status = served.read("/status").json()
    assert (status["reserved"], status["transactions"]) == (250, {"Contract created": 1})
    events = served.read(f"/transactions/{offer.id}/events").json()["events"]
    assert [e["state"]["status"] for e in events] == ["Initial offer", "Contract created"]
    missing = served.read("/transactions/nope/events")
    assert (missing.status_code, missing.json()["code"]) == (404, "not_found")


def test_the_devices_reads_are_its_owners_alone(served: Served) -> None:
    """Read access is granted, never assumed (issue 16, item 5): the device's status and
    transactions go to the owner its /init names, with a fresh read letter for that path."""
    initialised(served)
    served.post("/produce", {"energy": 300, "uuid": UUID})
    for path in ("/status", "/transactions", "/transactions/nope/events"):
        anonymous = served.http.get(path)
        assert (anonymous.status_code, anonymous.json()["code"]) == (401, "not_authenticated")
        assert served.read(path, reader=MARKET).status_code == 401  # not the owner's key
        assert served.read(path, sender="marketplace", reader=MARKET).status_code == 401
    granted = served.read("/transactions")
    assert granted.status_code == 200
    assert len(granted.json()["transactions"]) == 1
    letter = {READ_HEADER: granted.request.headers[READ_HEADER]}
    assert served.http.get("/transactions", headers=letter).status_code == 401  # replayed
    other = served.read("/transactions").request.headers[READ_HEADER]
    assert served.http.get("/status", headers={READ_HEADER: other}).status_code == 401
    assert served.read("/status").json()["pool"] == 300
