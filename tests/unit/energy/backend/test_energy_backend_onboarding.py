"""The marketplace's owner rules (:mod:`plaza.energy.backend.onboarding`) against a fake user
module: registration only for an onboarded asset, no orders from a paused or deleted one,
a deleted asset's bids off the book, and ``/unpaid`` for the user module's ``/fund``.

The cast (an in-process node, fake assets, a recording link) is ``test_energy_backend_kit``'s;
the user module is a route of the recording link that answers ``/onboarded`` as the real one
does, from the devices a test gives it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest
from test_energy_backend_kit import (
    FakeAsset,
    Kept,
    RecordingLink,
    World,
    contract_transaction,
    node,
)

from plaza.adapters.ledger.local import LocalLedger
from plaza.crypto import Identity
from plaza.energy.envelope import (
    ModuleKey,
    open_letter,
    seal_letter,
    sign_document,
    verify_document,
)
from plaza.energy.errors import (
    AssetInactive,
    EnergyUnavailable,
    InvalidMessage,
    NotAuthenticated,
    NotOnboarded,
    PeerFailed,
)
from plaza.energy.ledger import LedgerAccess
from plaza.energy.model import AssetType, TransactionStatus, TransactionType
from plaza.energy.peers import Peer
from plaza.energy.questions import answer
from plaza.jobs import InlineQueue
from plaza.market.auth import MemoryNonceStore
from plaza.testing.nodes import InProcessNode

__all__ = ["node"]  # the kit's fixture, used here by name

USER_URL = "http://usermodule.test"
OWNER = "owner-1"  # the kit's assets name this owner


@dataclass
class FakeUserModule:
    """Answers ``/onboarded`` from ``devices`` (assetId to the facts the real one gives)."""

    marketplace: ModuleKey | None = None
    identity: Identity = field(default_factory=Identity.generate)
    devices: dict[str, dict[str, Any]] = field(default_factory=dict)
    onboarding: set[str] = field(default_factory=set)
    clock_ms: Any = None
    asked: list[str] = field(default_factory=list)

    def onboard(self, asset: FakeAsset, *, standing: str = "running", **changes: Any) -> None:
        self.devices[asset.asset_id] = {
            "standing": standing,
            "assetOwner": OWNER,
            "publicKey": ModuleKey.of(asset.identity).to_text(),
            "walletAddress": asset.wallet,
            "type": str(asset.kind),
            "updatedAt": 1,
            **changes,
        }

    def route(self, path: str, document: bytes) -> Mapping[str, Any]:
        assert path == "/onboarded"
        assert self.marketplace is not None
        signer = self.marketplace.signing
        letter = open_letter(
            document,
            identity=self.identity,
            audience="usermodule",
            now_ms=self.clock_ms(),
            nonces=MemoryNonceStore(),
            known_key=lambda sender: signer if sender == "marketplace" else None,
        )
        asset_id = letter.body["assetId"]
        self.asked.append(asset_id)
        facts = self.devices.get(asset_id)
        if facts is None:
            facts = {"standing": "onboarding" if asset_id in self.onboarding else "unknown"}
        return answer(letter, {"assetId": asset_id, **facts}, self.identity)

    def letter(self, body: Mapping[str, Any], world: World, sender: str = "usermodule") -> bytes:
        return seal_letter(
            body,
            sender=sender,
            identity=self.identity,
            recipient=world.key,
            audience="marketplace",
            now_ms=world.clock.now_ms(),
        )

    def status(self, world: World, asset: FakeAsset, status: str, at: int) -> None:
        body = {"assetId": asset.asset_id, "assetOwner": OWNER, "status": status, "updatedAt": at}
        world.market.marketplace.asset_status(self.letter(body, world))


@pytest.fixture
def users() -> FakeUserModule:
    return FakeUserModule()


@pytest.fixture
def world(node: InProcessNode, users: FakeUserModule) -> Iterator[World]:
    link = RecordingLink(routes={USER_URL: users.route})
    queue = InlineQueue(node.clock)
    bidmanager = Identity.generate()
    ledger = LedgerAccess(LocalLedger(node.runtime))
    kept = Kept()
    market = kept.open(
        ledger=ledger,
        link=link,
        queue=queue,
        clock=node.clock,
        bidmanager_key=ModuleKey.of(bidmanager),
        user_module=Peer(USER_URL, ModuleKey.of(users.identity)),
    )
    users.marketplace, users.clock_ms = market.key, node.clock.now_ms
    built = World(node, ledger, node.clock, link, queue, market, bidmanager, kept)
    try:
        yield built
    finally:
        market.close()


def onboarded(world: World, users: FakeUserModule, name: str, kind: AssetType) -> FakeAsset:
    asset = world.asset(name, kind, register=False)
    users.onboard(asset)
    world.market.marketplace.register(asset.letter(asset.registration(), world.key))
    return asset


def test_only_an_asset_its_owner_onboarded_as_registered_is_registered(
    world: World, users: FakeUserModule
) -> None:
    market = world.market.marketplace
    stranger = world.asset("rogue", AssetType.PROVIDER, register=False)
    with pytest.raises(NotOnboarded, match="was not onboarded"):
        market.register(stranger.letter(stranger.registration(), world.key))
    solar = world.asset("solar", AssetType.PROVIDER, register=False)
    users.onboard(solar)
    other_wallet = str(Identity.generate().address)
    for changes, differs in [
        ({"assetOwner": "owner-2"}, ["assetOwner"]),
        ({"walletAddress": other_wallet}, ["walletAddress"]),
        ({"type": "consumer"}, ["type"]),
    ]:
        with pytest.raises(NotOnboarded) as refused:
            market.register(solar.letter(solar.registration(**changes), world.key))
        assert refused.value.details == {"differs": differs}
    assert world.market.statistics()["assets"] == 0

    market.register(solar.letter(solar.registration(), world.key))
    assert world.market.statistics()["assets"] == 1
    assert users.asked == ["rogue", "solar", "solar", "solar", "solar"]


def test_an_asset_being_onboarded_is_asked_to_register_again(
    world: World, users: FakeUserModule
) -> None:
    solar = world.asset("solar", AssetType.PROVIDER, register=False)
    users.onboarding.add("solar")
    with pytest.raises(EnergyUnavailable) as later:
        world.market.marketplace.register(solar.letter(solar.registration(), world.key))
    assert later.value.status == 503
    users.onboarding.clear()
    users.onboard(solar)
    world.market.marketplace.register(solar.letter(solar.registration(), world.key))
    assert world.market.statistics()["assets"] == 1


def test_a_user_module_that_answers_falsely_is_not_believed(
    world: World, users: FakeUserModule
) -> None:
    solar = world.asset("solar", AssetType.PROVIDER, register=False)
    users.onboard(solar)
    impostor = Identity.generate()
    real = users.route

    def forged(path: str, document: bytes) -> Mapping[str, Any]:
        reply = dict(real(path, document))
        message = verify_document(reply["answer"], users.identity.public_key)
        return answer_with(impostor, message)

    world.link.routes[USER_URL] = forged
    with pytest.raises(PeerFailed, match="no valid answer"):
        world.market.marketplace.register(solar.letter(solar.registration(), world.key))
    assert world.market.statistics()["assets"] == 0


def answer_with(identity: Identity, message: Mapping[str, Any]) -> dict[str, Any]:
    return {"answer": sign_document(message, identity)}


def test_a_paused_or_deleted_assets_orders_are_refused(world: World, users: FakeUserModule) -> None:
    market = world.market.marketplace
    solar = onboarded(world, users, "solar", AssetType.PROVIDER)
    users.status(world, solar, "paused", at=5)
    with pytest.raises(AssetInactive) as paused:
        market.offer(solar.intake(solar.new(), world.key))
    assert paused.value.details == {"status": "paused"}
    users.status(world, solar, "running", at=4)  # older than the pause: ignored
    with pytest.raises(AssetInactive):
        market.offer(solar.intake(solar.new(), world.key))
    users.status(world, solar, "running", at=6)
    market.offer(solar.intake(solar.new(), world.key))
    users.status(world, solar, "deleted", at=7)
    users.status(world, solar, "running", at=8)  # deleted is for good
    with pytest.raises(AssetInactive) as deleted:
        market.offer(solar.intake(solar.new(), world.key))
    assert deleted.value.details == {"status": "deleted"}
    with pytest.raises(AssetInactive):  # nor can it register again
        market.register(solar.letter(solar.registration(), world.key))
    assert world.market.statistics()["offers"] == 1


def test_a_deleted_assets_open_bids_leave_the_book(world: World, users: FakeUserModule) -> None:
    market = world.market.marketplace
    solar = onboarded(world, users, "solar", AssetType.PROVIDER)
    offers = [solar.new(300 + i, 10) for i in range(2)]
    for offer in offers:
        market.offer(solar.intake(offer, world.key))
    world.deliver()
    users.status(world, solar, "deleted", at=2)
    users.status(world, solar, "deleted", at=3)  # told twice: removed once
    world.deliver()
    removed = world.bids("/remove")
    assert removed == [
        {"type": "offer", "providerTransactionId": offer.providerTransactionId} for offer in offers
    ]
    for offer in offers:
        record = world.market._store.transaction(TransactionType.OFFER, offer.id)
        assert record is not None
        assert record.latest.status is TransactionStatus.CANCELLED


def test_an_asset_registered_before_the_rules_registers_again(
    node: InProcessNode, users: FakeUserModule
) -> None:
    link = RecordingLink()
    queue = InlineQueue(node.clock)
    ledger = LedgerAccess(LocalLedger(node.runtime))
    opened = {
        "ledger": ledger,
        "link": link,
        "queue": queue,
        "clock": node.clock,
        "bidmanager_key": ModuleKey.of(Identity.generate()),
    }
    kept = Kept()
    unchecked = kept.open(**opened)
    solar = FakeAsset("solar", AssetType.PROVIDER, ledger=ledger, clock=node.clock)
    unchecked.marketplace.register(solar.letter(solar.registration(), unchecked.key))
    unchecked.close()
    link.routes[USER_URL] = users.route
    checked = kept.open(**opened, user_module=Peer(USER_URL, ModuleKey.of(users.identity)))
    users.marketplace, users.clock_ms = checked.key, node.clock.now_ms
    try:
        with pytest.raises(NotOnboarded, match="register again"):
            checked.marketplace.offer(solar.intake(solar.new(), checked.key))
        users.onboard(solar)
        checked.marketplace.register(solar.letter(solar.registration(), checked.key))
        checked.marketplace.offer(solar.intake(solar.new(), checked.key))
    finally:
        checked.close()


def test_unpaid_lists_the_consumers_contracts_waiting_for_its_payment(
    world: World, users: FakeUserModule
) -> None:
    market = world.market.marketplace
    solar = onboarded(world, users, "solar", AssetType.PROVIDER)
    ev = onboarded(world, users, "ev", AssetType.CONSUMER)
    offer, request = solar.new(1000, 10), ev.new(400, 12)
    market.offer(solar.intake(offer, world.key))
    market.request(ev.intake(request, world.key))
    contract_id = market.match(world.match_letter(offer, request))["contractId"]
    world.deliver()

    def unpaid(asset_id: str) -> list[dict[str, Any]]:
        body = {"assetId": asset_id, "ask": "0" * 32}
        reply = market.unpaid(users.letter(body, world))
        message = verify_document(reply["answer"], world.key.signing)
        assert (message["assetId"], message["ask"]) == (asset_id, "0" * 32)
        contracts: list[dict[str, Any]] = message["contracts"]
        return contracts

    assert unpaid("ev") == []  # contracted, not yet asked to pay
    terms = contract_transaction(world, solar)
    provided = terms.with_status(
        TransactionStatus.PROVISION_FINISHED, timestamp_ms=world.clock.now_ms()
    )
    market.settle("/provision", solar.step(terms.providerTransactionId, provided, world.key))
    assert unpaid("ev") == [{"contractId": contract_id, "value": 4}]  # 400 Wh at 10 per kWh
    assert unpaid("solar") == []
    assert unpaid("never-registered") == []
    with pytest.raises(InvalidMessage, match="ask"):
        market.unpaid(users.letter({"assetId": "ev"}, world))
    with pytest.raises(NotAuthenticated):
        market.unpaid(ev.letter({"assetId": "ev", "ask": "1" * 32}, world.key, sender="usermodule"))
