"""The owner rules of issue 10, over real HTTP, as a third party would try them.

The four energy modules run as their own services (``energy_stack.py``). A third party
here holds a device's key (a compromised or dishonest device) or no onboarded key at
all, and writes its own letters:

* ``/fund`` pays only a consumer device, up to what its unpaid contracts (as the
  marketplace has them) still need, under the funding cap its owner sets;
* the marketplace registers only an asset its owner onboarded, checked with the user
  module, and refuses the orders of a paused or deleted device.

Each refusal is specific (``code`` and ``details``) and moves or stores nothing.
"""

from __future__ import annotations

import contextlib
import uuid as uuids
from pathlib import Path
from typing import Any

import httpx
from energy_stack import Flow, energy_flow

from plaza.adapters.ledger.local import LocalLedger
from plaza.bootstrap.energy_modules import KEY_FILE
from plaza.channels import MemoryCursorStore
from plaza.crypto import Identity
from plaza.energy.envelope import ModuleKey, seal_letter
from plaza.energy.keys import load_or_create
from plaza.energy.model import Transaction
from plaza.energy.twins import Twins
from plaza.market.twins.records import MemoryTwinIndex

CONTRACT_VALUE = 20  # 1000 Wh at 20 base units per kWh


def asset_identity(flow: Flow, name: str) -> Identity:
    """The device's own signing key, as a third party that took over the device holds it."""
    return load_or_create(flow.stack.root / "assets" / name / KEY_FILE).identity


def to_owner(flow: Flow, name: str, asset_id: str, owner_id: str, body: dict[str, Any]) -> Any:
    """A ``/fund`` letter signed with the device's key, posted to the user module."""
    document = seal_letter(
        body,
        sender=asset_id,
        identity=asset_identity(flow, name),
        recipient=flow.stack.owner.service.key,
        audience=owner_id,
        now_ms=flow.clock.now_ms(),
    )
    return flow.http.post(flow.stack.owner.url + "/fund", content=document)


def to_marketplace(flow: Flow, path: str, sender: str, identity: Identity, body: Any) -> Any:
    document = seal_letter(
        body,
        sender=sender,
        identity=identity,
        recipient=flow.stack.marketplace_key,
        audience="marketplace",
        now_ms=flow.clock.now_ms(),
    )
    return flow.http.post(flow.stack.marketplace.url + path, content=document)


def on_own_twin(flow: Flow, name: str, transaction: dict[str, Any]) -> dict[str, Any]:
    """An order's letter body as the device writes it: the transaction first put on its own
    twin, signed with the device's key, and the twin's reader key."""
    state = Transaction.from_json(transaction)
    twins = Twins(
        identity=asset_identity(flow, name),
        gateway=LocalLedger(flow.node.runtime),
        cursors=MemoryCursorStore(),
        index=MemoryTwinIndex(),
        clock=flow.clock,
    )
    twins.record(state.id, state.to_json())
    flow.node.milestone()
    return {"transaction": state.to_json(), "twin": twins.reader_key(state.id)}


def fund_body(flow: Flow, name: str, asset_id: str, amount: int, reference: str) -> dict[str, Any]:
    kind = "provider" if name == "solar" else "consumer"
    return {
        "assetId": asset_id,
        "type": kind,
        "walletAddress": flow.stack.assets[name].service.wallet_address,
        "balance": 0,
        "amount": amount,
        "reference": f"{asset_id}:{reference}",
    }


def fundings(flow: Flow, owner_id: str) -> list[dict[str, Any]]:
    transfers = flow.stack.owner.service.owner_wallet(owner_id)["transfers"]
    return [t for t in transfers if t["kind"] == "fund"]


def refused(reply: httpx.Response, status: int, code: str) -> dict[str, Any]:
    body: dict[str, Any] = reply.json()
    assert (reply.status_code, body["success"], body["code"]) == (status, False, code), body
    return body


def owed_contract(flow: Flow, bob: str) -> tuple[str, str]:
    """Alice's solar panel and Bob's EV with one contract whose payment the EV was asked
    for, before the EV's own payment cycle ran (so it has asked its owner for nothing)."""
    alice = flow.owner("alice", funds=1_000_000)
    solar = flow.device(alice, "solar", "provider", energyPrice=20)
    ev = flow.device(bob, "ev", "consumer", energyPrice=20, maxEnergyPrice=30)
    flow.meter("solar", "/produce", 1_500)
    flow.meter("ev", "/consume", 200)
    flow.settle()
    flow.stack.assets["solar"].cycle()  # the provider provides: the EV is asked to pay
    flow.settle()
    assert "Payment requested" in flow.statuses("ev")
    return solar, ev


def test_a_providers_fund_letter_is_refused_and_moves_nothing(tmp_path: Path) -> None:
    with energy_flow(tmp_path) as flow:
        alice = flow.owner("alice", funds=1_000_000)
        solar = flow.device(alice, "solar", "provider", energyPrice=20)
        for i in range(3):
            body = fund_body(flow, "solar", solar, 200_000, f"r{i}")
            reply = refused(to_owner(flow, "solar", solar, alice, body), 403, "funding_refused")
            assert reply["details"] == {"rule": "consumer_only"}
        assert fundings(flow, alice) == []


def test_a_consumers_fund_letter_is_paid_only_up_to_its_unpaid_contracts(tmp_path: Path) -> None:
    with energy_flow(tmp_path) as flow:
        bob = flow.owner("bob", funds=1_000_000)
        _solar, ev = owed_contract(flow, bob)
        assert fundings(flow, bob) == []
        over = to_owner(flow, "ev", ev, bob, fund_body(flow, "ev", ev, 90_000, "r1"))
        details = refused(over, 403, "funding_refused")["details"]
        assert details == {"rule": "unpaid_contracts", "room": str(CONTRACT_VALUE)}
        just_over = fund_body(flow, "ev", ev, CONTRACT_VALUE + 1, "r2")
        refused(to_owner(flow, "ev", ev, bob, just_over), 403, "funding_refused")
        assert fundings(flow, bob) == []

        paid = to_owner(flow, "ev", ev, bob, fund_body(flow, "ev", ev, CONTRACT_VALUE, "r3"))
        assert paid.json()["amount"] == CONTRACT_VALUE, paid.text
        again = to_owner(flow, "ev", ev, bob, fund_body(flow, "ev", ev, 1, "r4"))
        assert refused(again, 403, "funding_refused")["details"]["room"] == "0"
        flow.node.milestone()
        again = to_owner(flow, "ev", ev, bob, fund_body(flow, "ev", ev, 1, "r5"))
        assert refused(again, 403, "funding_refused")["details"]["room"] == "0"
        assert [t["amount"] for t in fundings(flow, bob)] == [CONTRACT_VALUE]

        for _ in range(6):  # the honest flow still settles: the EV pays with what it got
            flow.round()
        [request] = [t for t in flow.transactions("ev") if t["contractId"]]
        assert request["status"] == "Payment confirmed"
        assert [t["amount"] for t in fundings(flow, bob)] == [CONTRACT_VALUE]


def test_funding_over_the_cap_the_owner_set_is_refused(tmp_path: Path) -> None:
    with energy_flow(tmp_path) as flow:
        sign_up = flow.http.post(flow.stack.owner.url + "/api/owners", json={"name": "Bob"})
        bob, api_key = sign_up.json()["ownerId"], sign_up.json()["apiKey"]
        rich = flow.owner("rich", funds=1_000_000)
        wallet = flow.stack.owner.service.owner_wallet(bob)["walletAddress"]
        flow.stack.owner.service.withdraw(rich, wallet, 500_000)
        flow.node.milestone()
        _solar, ev = owed_contract(flow, bob)
        owner_api = flow.stack.owner.url + f"/api/devices/{ev}"
        headers = {"Authorization": f"Bearer {api_key}"}
        inits = len(flow.transactions("ev"))
        capped = flow.http.patch(
            owner_api, json={"fundingCap": CONTRACT_VALUE - 1}, headers=headers
        )
        assert capped.json()["device"]["fundingCap"] == CONTRACT_VALUE - 1, capped.text

        over = to_owner(flow, "ev", ev, bob, fund_body(flow, "ev", ev, CONTRACT_VALUE, "r1"))
        details = refused(over, 403, "funding_refused")["details"]
        assert details == {"rule": "funding_cap", "cap": str(CONTRACT_VALUE - 1), "funded": "0"}
        for _ in range(3):  # the device's own letters are capped alike: it cannot pay
            flow.round()
        assert fundings(flow, bob) == []
        assert len(flow.transactions("ev")) == inits

        flow.http.patch(owner_api, json={"fundingCap": 1_000}, headers=headers)
        for _ in range(6):
            flow.round()
        [request] = [t for t in flow.transactions("ev") if t["contractId"]]
        assert request["status"] == "Payment confirmed"


def test_a_key_never_onboarded_cannot_register_an_asset_of_another_owner(
    tmp_path: Path,
) -> None:
    with energy_flow(tmp_path) as flow:
        alice = flow.owner("alice", funds=1_000_000)
        flow.device(alice, "solar", "provider", energyPrice=20)
        market = flow.stack.marketplace.service
        before = market.statistics()
        rogue = Identity.generate()
        asset = {
            "assetId": "rogue-1",
            "assetName": "free energy",
            "assetDescription": "",
            "type": "provider",
            "location": "Trondheim",
            "url": "http://127.0.0.1:9/",
            "publicKey": ModuleKey.of(rogue).to_text(),
            "walletAddress": str(Identity.generate().address),
            "assetOwner": alice,
        }
        reply = to_marketplace(flow, "/register", "rogue-1", rogue, {"asset": asset})
        refused(reply, 403, "not_onboarded")
        offer = {
            "type": "offer",
            "status": "Initial offer",
            "energyAmount": 1_000,
            "energyPrice": 0,
            "timestamp": str(flow.clock.now_ms()),
            "providerId": "rogue-1",
            "providerTransactionId": "t1",
            "walletAddress": asset["walletAddress"],
        }
        rogue_offer = to_marketplace(flow, "/offer", "rogue-1", rogue, {"transaction": offer})
        refused(rogue_offer, 401, "not_authenticated")  # no key on record: nothing stored
        assert market.statistics() == before

        # an onboarded device's own key cannot register another asset id either
        solar_key = asset_identity(flow, "solar")
        stolen = {**asset, "publicKey": ModuleKey.of(solar_key).to_text()}
        reply = to_marketplace(flow, "/register", "rogue-1", solar_key, {"asset": stolen})
        refused(reply, 403, "not_onboarded")
        assert market.statistics() == before


def test_a_deleted_devices_offers_and_a_paused_devices_requests_are_refused(
    tmp_path: Path,
) -> None:
    with energy_flow(tmp_path) as flow:
        alice = flow.owner("alice", funds=1_000_000)
        solar = flow.device(alice, "solar", "provider", energyPrice=20)
        ev = flow.device(alice, "ev", "consumer", energyPrice=20, maxEnergyPrice=30)
        flow.meter("solar", "/produce", 1_500)  # an offer on the book
        flow.settle()
        [offer] = flow.transactions("solar")
        owners = flow.stack.owner.service
        owners.delete_device(alice, solar)
        owners.pause_device(alice, ev)
        flow.settle()

        tx = {**offer, "providerTransactionId": "t-after-delete", "timestamp": "1"}
        body = on_own_twin(flow, "solar", tx)  # a letter the marketplace took before the rule
        reply = to_marketplace(flow, "/offer", solar, asset_identity(flow, "solar"), body)
        assert refused(reply, 403, "asset_inactive")["details"] == {"status": "deleted"}
        request = {
            "type": "request",
            "status": "Initial request",
            "energyAmount": 1_000,
            "energyPrice": 30,
            "timestamp": str(flow.clock.now_ms()),
            "requesterId": ev,
            "requesterTransactionId": "r-while-paused",
        }
        body = on_own_twin(flow, "ev", request)
        reply = to_marketplace(flow, "/request", ev, asset_identity(flow, "ev"), body)
        assert refused(reply, 403, "asset_inactive")["details"] == {"status": "paused"}

        # the deleted device's open offer left the marketplace's book and the bid manager's
        market = flow.stack.marketplace.service.marketplace
        record = market._store.transaction(offer["type"], offer["providerTransactionId"])
        assert record is not None
        assert record.latest.status == "Cancelled"
        removals = [e for e in market._store.events(record.record_id) if e.path == "/remove"]
        assert len(removals) == 1
        assert flow.stack.marketplace.service.statistics()["contracts"] == 0

        owners.continue_device(alice, ev)  # running again: its requests are taken
        flow.settle()
        flow.meter("ev", "/consume", 200)
        flow.settle()
        assert flow.stack.marketplace.service.statistics()["requests"] >= 1


def test_a_device_in_the_middle_of_onboarding_is_asked_to_register_again(
    tmp_path: Path,
) -> None:
    """The asset registers as soon as it answered /init, maybe before its owner stored it:
    the marketplace answers 503 (its outbox retries) instead of refusing it for good."""
    with energy_flow(tmp_path) as flow:
        alice = flow.owner("alice", funds=0)
        name, uuid = "solar", str(uuids.uuid4())
        hosted = flow.stack.add_asset(name, uuid)
        hosted.start(threads=False)
        owners = flow.stack.owner.service
        answered: list[int] = []
        real_post = flow.stack._link.post  # the link every module shares

        def post(url: str, path: str, document: bytes) -> dict[str, Any]:
            reply = real_post(url, path, document)
            if path == "/init":  # the asset answered: deliver its /register right now
                with contextlib.suppress(Exception):  # the retry is what is checked below
                    hosted.drain()
                answered.append(1)
            return reply

        flow.stack._link.post = post  # type: ignore[method-assign]
        form = {
            "type": "provider",
            "name": name,
            "uuid": uuid,
            "url": hosted.url,
            "energyPrice": 20,
            "minOfferAmount": 1_000,
        }
        device = owners.add_device(alice, form)
        flow.stack._link.post = real_post  # type: ignore[method-assign]
        assert answered
        log = flow.stack.marketplace.service.log_entries()
        assert any("being onboarded" in line["detail"] for line in log), log[:3]
        assert flow.stack.marketplace.service.statistics()["assets"] == 0
        flow.round(advance_ms=60_000)  # the outbox's retry
        assert flow.stack.marketplace.service.statistics()["assets"] == 1
        assert device.id
