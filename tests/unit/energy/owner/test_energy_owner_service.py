"""The user module's use cases on a real node in this process, real SQLite and fake devices.

The node runs with a faucet and no proof of work; milestones are issued by hand, so
each test decides when transfers confirm. Devices are a fake :class:`Link` that
records every ``/init`` and answers as a device would (its own keys, its own
wallet), or refuses, or is down. Letters are sealed by the devices' identities
exactly as an asset module seals them.
"""

from __future__ import annotations

import json
import stat
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from plaza.adapters.ledger.local import LocalLedger
from plaza.api.energy import OwnerService
from plaza.bootstrap.energy_modules import open_owner
from plaza.bootstrap.energy_wiring import build_owner
from plaza.channels import MemoryCursorStore
from plaza.crypto import Address, Identity, Seed
from plaza.energy.envelope import ModuleKey, open_letter, seal_letter
from plaza.energy.errors import (
    InvalidMessage,
    NotAuthenticated,
    PeerFailed,
    UnknownRecord,
    WrongState,
)
from plaza.energy.ledger import LedgerAccess
from plaza.energy.model import Transaction, TransactionStatus, TransactionType
from plaza.energy.owner.memory import MemoryOwnerStore
from plaza.energy.owner.wallets import OwnerWallets
from plaza.energy.peers import Peer
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
MARKETPLACE_IDENTITY = Identity.generate()
MARKETPLACE = ModuleKey.of(MARKETPLACE_IDENTITY)
MARKETPLACE_URL = "http://market"
#: What the fake marketplace says a consumer owes unless a test says otherwise.
OWED = [{"contractId": "c-owed", "value": 10_000}]


@dataclass
class FakeDevice:
    """A device behind a URL: its keys, its wallet, what it was told, how it answers."""

    identity: Identity = field(default_factory=Identity.generate)
    wallet: Identity = field(default_factory=Identity.generate)
    inits: list[dict[str, Any]] = field(default_factory=list)
    refuse: str | None = None
    down: bool = False
    on_init: Callable[[], None] | None = None  # runs once the device has "answered"
    twins: Twins | None = None

    @property
    def address(self) -> Address:
        return self.wallet.address


class FakeDevices:
    """A :class:`~plaza.market.auth.outbox.Link` to devices by URL, and to a marketplace that
    answers ``/unpaid`` with ``unpaid[assetId]`` (:data:`OWED` unless set) and keeps the
    bodies of ``/asset_status`` letters in ``told``."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.devices: dict[str, FakeDevice] = {}
        self.unpaid: dict[str, list[dict[str, Any]]] = {}
        self.asked: list[str] = []  # the assetIds the user module asked /unpaid about
        self.told: list[dict[str, Any]] = []

    def at(self, url: str) -> FakeDevice:
        return self.devices.setdefault(url, FakeDevice())

    def post(self, url: str, path: str, document: bytes) -> dict[str, Any]:
        if url == MARKETPLACE_URL:
            return self._marketplace(path, document)
        assert path == "/init"
        device = self.at(url)
        device.inits.append(json.loads(document))
        if device.down:
            raise PeerFailed(url, path, "unreachable: connection refused", refused=False)
        if device.refuse is not None:
            raise PeerFailed(url, path, device.refuse, refused=True)
        if device.on_init is not None:
            device.on_init()
        return {
            "success": True,
            "publicKey": ModuleKey.of(device.identity).to_text(),
            "walletAddress": str(device.address),
        }

    def _marketplace(self, path: str, document: bytes) -> dict[str, Any]:
        assert path in ("/unpaid", "/asset_status")
        letter = open_letter(
            document,
            identity=MARKETPLACE_IDENTITY,
            audience="marketplace",
            now_ms=self.clock.now_ms(),
            nonces=MemoryNonceStore(),
            known_key=lambda sender: None,
            introduce=True,  # a fake: the user module's key is not checked here
        )
        assert (letter.sender, letter.audience) == ("usermodule", "marketplace")
        if path == "/asset_status":
            self.told.append(letter.body)
            return {"success": True}
        asset_id = letter.body["assetId"]
        self.asked.append(asset_id)
        owed = {"assetId": asset_id, "contracts": self.unpaid.get(asset_id, OWED)}
        return {"success": True, **answer(letter, owed, MARKETPLACE_IDENTITY)}


@dataclass
class World:
    node: NodeRuntime
    clock: FakeClock
    ledger: LedgerAccess
    devices: FakeDevices
    owners: OwnerService
    data_dir: Path | None  # None: the module runs over memory adapters, no file

    def milestone(self) -> None:
        assert self.node.coordinator is not None
        self.node.coordinator.issue_milestone()

    def balance(self, address: Address | str) -> int:
        parsed = address if isinstance(address, Address) else Address.parse(address)
        return self.ledger.ledger.balance(parsed).amount

    def letter(
        self, device_id: str, path_body: Mapping[str, Any], *, audience: str, signer: FakeDevice
    ) -> bytes:
        return seal_letter(
            path_body,
            sender=device_id,
            identity=signer.identity,
            recipient=self.owners.key,
            audience=audience,
            now_ms=self.clock.now_ms(),
        )


@contextmanager
def running_world(data_dir: Path | None) -> Iterator[World]:
    """A user module over memory adapters and in-memory keys, or with ``data_dir`` over its
    files there, on an in-process node with a faucet."""
    clock = FakeClock()
    faucet, coordinator = key_from_number(1), key_from_number(2)
    genesis = Genesis.create(
        "plaza-owner-test",
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
    ledger, devices = LedgerAccess(LocalLedger(node)), FakeDevices(clock)
    ports: dict[str, Any] = {
        "ledger": ledger,
        "link": devices,
        "queue": InlineQueue(clock),
        "clock": clock,
        "public_url": "http://owner",
    }
    owners = (
        build_owner(
            Identity.generate(),
            keys=OwnerWallets(Seed.generate()),
            store=MemoryOwnerStore(),
            nonces=MemoryNonceStore(),
            marketplace=Peer(MARKETPLACE_URL, MARKETPLACE),
            **ports,
        )
        if data_dir is None
        else open_owner(
            data_dir, marketplace_url=MARKETPLACE_URL, marketplace_key=MARKETPLACE, **ports
        )
    )
    try:
        yield World(node, clock, ledger, devices, owners, data_dir)
    finally:
        owners.close()
        node.close()


@pytest.fixture
def world() -> Iterator[World]:
    with running_world(None) as running:
        yield running


@pytest.fixture
def world_on_disk(tmp_path: Path) -> Iterator[World]:
    """The module over its files in ``tmp_path``: for what only they can show."""
    with running_world(tmp_path / "owner") as running:
        yield running


def form(url: str = "http://device-1", **changes: Any) -> dict[str, Any]:
    base = {
        "type": "provider",
        "name": "solar-roof",
        "uuid": f"uuid-of-{url}",
        "energyPrice": 2000,
        "running": True,
        "dashboard": False,
        "url": url,
        "location": "Trondheim",
        "description": "roof array",
        "minOfferAmount": 200,
    }
    return {**base, **changes}


def funded_owner(world: World, name: str = "Ada") -> str:
    owner_id = world.owners.create_owner(name).owner.id
    world.owners.add_funds(owner_id)
    world.milestone()
    return owner_id


# -- owners and wallets ---------------------------------------------------------------------


def test_an_api_key_is_shown_once_kept_hashed_and_opens_only_its_owner(
    world_on_disk: World,
) -> None:
    world = world_on_disk
    ada = world.owners.create_owner("Ada")
    bob = world.owners.create_owner("Bob")
    assert world.owners.authenticate(ada.api_key) == ada.owner.id
    assert world.owners.authenticate(bob.api_key) == bob.owner.id
    _, secret = ada.api_key.split(".")
    for forged in (f"{bob.owner.id}.{secret}", ada.api_key + "0", ada.owner.id, "", "x.y"):
        with pytest.raises(NotAuthenticated):
            world.owners.authenticate(forged)
    assert ada.api_key not in repr(ada)
    assert world.data_dir is not None
    stored = (world.data_dir / "owner.sqlite3").read_bytes()
    assert secret.encode() not in stored
    assert all(secret not in line["detail"] for line in world.owners.store.log_entries())


def test_a_blank_or_missing_name_is_refused(world: World) -> None:
    for name in ("", "   ", None, 7, "x" * 101):
        with pytest.raises(InvalidMessage, match="name"):
            world.owners.create_owner(name)


def test_add_funds_withdraw_and_the_cycle_settles_the_transfers(world: World) -> None:
    owner_id = world.owners.create_owner("Ada").owner.id
    grant = world.owners.add_funds(owner_id)
    assert grant.amount == GRANT
    assert grant.kind == "faucet"
    assert world.owners.owner_wallet(owner_id)["balance"] == 0  # pending until a milestone
    world.milestone()
    wallet = world.owners.owner_wallet(owner_id)
    assert (wallet["balance"], wallet["available"]) == (GRANT, GRANT)

    exchange = Identity.generate().address
    sent = world.owners.withdraw(owner_id, str(exchange), 300_000)
    assert world.owners.owner_wallet(owner_id)["available"] == GRANT - 300_000
    with pytest.raises(WrongState, match="700000 base units available"):
        world.owners.withdraw(owner_id, str(exchange), 700_001)
    world.milestone()
    assert world.balance(exchange) == 300_000
    assert world.owners.cycle() == 2
    states = {t["messageId"]: t["state"] for t in world.owners.owner_wallet(owner_id)["transfers"]}
    assert states == {grant.message_id: "confirmed", sent.message_id: "confirmed"}
    assert world.owners.cycle() == 0


@pytest.mark.parametrize(
    ("address", "amount", "message"),
    [
        ("plz1nope", 5, "address"),
        (None, 5, "address"),
        ("OK", 0, "amount"),
        ("OK", -3, "amount"),
        ("OK", 2.5, "amount"),
        ("OK", True, "amount"),
        ("OK", "5", "amount"),
    ],
)
def test_a_bad_withdrawal_is_refused_and_sends_nothing(
    world: World, address: object, amount: object, message: str
) -> None:
    owner_id = funded_owner(world)
    payee = str(Identity.generate().address) if address == "OK" else address
    with pytest.raises(InvalidMessage, match=message):
        world.owners.withdraw(owner_id, payee, amount)
    assert world.owners.owner_wallet(owner_id)["available"] == GRANT


def test_the_wallet_seed_file_is_private_stable_and_never_shown(world_on_disk: World) -> None:
    world = world_on_disk
    assert world.data_dir is not None
    path = world.data_dir / "owner-wallets.key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    owner_id = world.owners.create_owner("Ada").owner.id
    address = world.owners.owner_wallet(owner_id)["walletAddress"]
    again = open_owner(
        world.data_dir,
        ledger=world.ledger,
        link=world.devices,
        queue=InlineQueue(world.clock),
        clock=world.clock,
        marketplace_url="http://market",
        marketplace_key=MARKETPLACE,
        public_url="http://owner",
    )
    try:
        assert again.owner_wallet(owner_id)["walletAddress"] == address
        assert again.key == world.owners.key
    finally:
        again.close()
    words = path.read_text().split()
    assert len(words) == 24
    assert repr(OwnerWallets.load_or_create(path)) == "OwnerWallets(<hidden>)"
    shown = json.dumps(world.owners.owner_wallet(owner_id))
    # whole phrases, not single words: "add" is a seed word and part of "walletAddress"
    assert " ".join(words[:3]) not in shown
    assert " ".join(words[-3:]) not in shown


# -- onboarding and managing devices --------------------------------------------------------


def test_onboarding_sends_init_without_a_seed_and_keeps_the_device_keys(world: World) -> None:
    owner_id = world.owners.create_owner("Ada").owner.id
    device = world.owners.add_device(owner_id, form(maxWaitMs=60_000))
    fake = world.devices.at("http://device-1")
    (init,) = fake.inits
    assert init == {
        "assetId": device.id,
        "assetName": "solar-roof",
        "assetDescription": "roof array",
        "type": "provider",
        "assetOwner": owner_id,
        "location": "Trondheim",
        "url": "http://device-1",
        "uuid": "uuid-of-http://device-1",
        "energyPrice": 2000,
        "minOfferAmount": 200,
        "marketplaceAPI": "http://market",
        "marketplacePublicKey": MARKETPLACE.to_text(),
        "assetOwnerAPI": "http://owner",
        "assetOwnerPublicKey": world.owners.key.to_text(),
        "status": "running",
        "dashboard": "disabled",
        "maxWaitMs": 60_000,
    }
    assert device.public_key == ModuleKey.of(fake.identity).to_text()
    assert device.wallet_address == str(fake.address)
    assert "uuid-of" not in repr(device) + json.dumps(world.owners.store.log_entries())
    (listed,) = world.owners.devices(owner_id)
    assert listed["assetId"] == device.id
    assert listed["balance"] == 0
    assert listed["status"] == "running"
    assert "uuid" not in listed


def test_a_consumer_gets_a_max_price_that_defaults_to_its_price(world: World) -> None:
    owner_id = world.owners.create_owner("Ada").owner.id
    world.owners.add_device(owner_id, form(type="consumer", running=False, dashboard=True))
    (init,) = world.devices.at("http://device-1").inits
    assert (init["maxEnergyPrice"], init["status"], init["dashboard"]) == (
        2000,
        "paused",
        "enabled",
    )


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"type": "battery"}, "type"),
        ({"energyPrice": 0}, "energyPrice"),
        ({"energyPrice": 2.5}, "energyPrice"),
        ({"energyPrice": "2000"}, "energyPrice"),
        ({"minOfferAmount": 0}, "minOfferAmount"),
        ({"url": "ftp://device"}, "url"),
        ({"url": ""}, "url"),
        ({"name": ""}, "name"),
        ({"uuid": None}, "uuid"),
        ({"running": "yes"}, "running"),
        ({"maxEnergyPrice": 3000}, "only a consumer"),
        ({"type": "consumer", "maxEnergyPrice": 10}, "maxEnergyPrice"),
        ({"energyprice": 5}, "unknown field"),
        ({"offerValidityMs": 1000}, "offerValidityMs"),
        ({"assetWallet": {"seed": "SEED"}}, "unknown field"),
    ],
)
def test_a_bad_form_is_refused_before_the_device_is_told(
    world: World, changes: dict[str, Any], message: str
) -> None:
    owner_id = world.owners.create_owner("Ada").owner.id
    with pytest.raises(InvalidMessage, match=message):
        world.owners.add_device(owner_id, form(**changes))
    assert world.devices.at("http://device-1").inits == []
    assert world.owners.devices(owner_id) == []


def test_a_device_that_refuses_is_down_or_answers_nonsense_is_not_stored(world: World) -> None:
    owner_id = world.owners.create_owner("Ada").owner.id
    fake = world.devices.at("http://device-1")
    fake.refuse = "uuid mismatch"
    with pytest.raises(PeerFailed, match="uuid mismatch"):
        world.owners.add_device(owner_id, form())
    fake.refuse, fake.down = None, True
    with pytest.raises(PeerFailed, match="unreachable"):
        world.owners.add_device(owner_id, form())
    fake.down = False
    world.devices.post = lambda url, path, document: {"success": True, "publicKey": "rsa"}  # type: ignore[method-assign]
    with pytest.raises(PeerFailed, match="invalid answer"):
        world.owners.add_device(owner_id, form())
    assert world.owners.devices(owner_id) == []
    failures = [line for line in world.owners.store.log_entries() if line["outcome"] == "error"]
    assert [line["operation"] for line in failures] == ["device.add"] * 3


def test_the_same_physical_device_cannot_be_onboarded_twice(world: World) -> None:
    ada = world.owners.create_owner("Ada").owner.id
    bob = world.owners.create_owner("Bob").owner.id
    world.owners.add_device(ada, form())
    with pytest.raises(WrongState, match="UUID"):
        world.owners.add_device(bob, form())
    assert len(world.devices.at("http://device-1").inits) == 1


def test_pause_continue_and_settings_are_pushed_and_kept_only_if_accepted(world: World) -> None:
    owner_id = world.owners.create_owner("Ada").owner.id
    device = world.owners.add_device(owner_id, form(type="consumer", maxEnergyPrice=2500))
    fake = world.devices.at("http://device-1")
    assert world.owners.pause_device(owner_id, device.id).settings.status == "paused"
    assert fake.inits[-1]["status"] == "paused"
    assert world.owners.continue_device(owner_id, device.id).settings.status == "running"
    updated = world.owners.update_device(owner_id, device.id, {"energyPrice": 3000})
    assert (fake.inits[-1]["energyPrice"], fake.inits[-1]["maxEnergyPrice"]) == (3000, 3000)
    assert updated.settings.max_energy_price == 3000

    fake.refuse = "busy"
    with pytest.raises(PeerFailed, match="busy"):
        world.owners.pause_device(owner_id, device.id)
    with pytest.raises(InvalidMessage, match="uuid cannot change"):
        world.owners.update_device(owner_id, device.id, {"uuid": "another"})
    for bad in ({"energyPrice": "4000"}, {"energyPrice": True}, {"maxEnergyPrice": 10}):
        with pytest.raises(InvalidMessage, match="nergyPrice"):
            world.owners.update_device(owner_id, device.id, bad)
    with pytest.raises(InvalidMessage, match="type cannot change"):
        world.owners.update_device(owner_id, device.id, {"type": "provider"})
    overview = world.owners.device_overview(owner_id, device.id)
    assert (overview["status"], overview["energyPrice"]) == ("running", 3000)


def test_a_device_answering_with_other_keys_is_not_updated(world: World) -> None:
    owner_id = world.owners.create_owner("Ada").owner.id
    device = world.owners.add_device(owner_id, form())
    world.devices.at("http://device-1").identity = Identity.generate()  # re-flashed
    with pytest.raises(PeerFailed, match="other keys"):
        world.owners.update_device(owner_id, device.id, {"name": "renamed"})
    assert world.owners.device_overview(owner_id, device.id)["name"] == "solar-roof"


def test_another_owner_sees_and_changes_none_of_my_devices(world: World) -> None:
    ada = world.owners.create_owner("Ada").owner.id
    bob = funded_owner(world, "Bob")
    device = world.owners.add_device(ada, form())
    calls: list[Any] = [
        lambda: world.owners.device_overview(bob, device.id),
        lambda: world.owners.update_device(bob, device.id, {"name": "mine"}),
        lambda: world.owners.pause_device(bob, device.id),
        lambda: world.owners.delete_device(bob, device.id, force=True),
        lambda: world.owners.device_transactions(bob, device.id),
        lambda: world.owners.fund_device(bob, device.id, 10),
    ]
    for call in calls:
        with pytest.raises(UnknownRecord):
            call()
    assert world.owners.devices(bob) == []
    assert len(world.devices.at("http://device-1").inits) == 1
    assert world.owners.device_overview(ada, device.id)["status"] == "running"


def test_delete_stops_the_device_then_forgets_it_unless_it_cannot_be_told(world: World) -> None:
    owner_id = world.owners.create_owner("Ada").owner.id
    fake = world.devices.at("http://device-1")
    device = world.owners.add_device(owner_id, form())
    world.owners.receive_event(event_letter(world, owner_id, device.id, fake, "t1"))
    fake.down = True
    with pytest.raises(PeerFailed, match="unreachable"):
        world.owners.delete_device(owner_id, device.id)
    assert world.owners.device_overview(owner_id, device.id)["stats"]["transactions"] == 1
    fake.down = False
    world.owners.delete_device(owner_id, device.id)
    assert fake.inits[-1]["status"] == "stopped"
    assert world.owners.devices(owner_id) == []
    assert world.owners.store.events_of(device.id, "t1") == []
    second = world.owners.add_device(owner_id, form())  # its UUID is free again
    fake.down = True
    world.owners.delete_device(owner_id, second.id, force=True)
    assert world.owners.devices(owner_id) == []


# -- letters from devices -------------------------------------------------------------------


def offer(
    device_id: str,
    transaction_id: str,
    status: TransactionStatus = TransactionStatus.INITIAL_OFFER,
    *,
    amount: int = 500,
    price: int = 2000,
    at: int = 1,
) -> Transaction:
    return Transaction(
        TransactionType.OFFER,
        status,
        amount,
        price,
        str(at),
        providerId=device_id,
        providerTransactionId=transaction_id,
    )


def report(
    world: World, owner_id: str, device_id: str, fake: FakeDevice, transaction: Transaction
) -> bytes:
    """What the device does with each state: record it on its twin, tell its owner."""
    twins = fake.twins or Twins(
        identity=fake.identity,
        gateway=world.ledger.ledger,
        cursors=MemoryCursorStore(),
        index=MemoryTwinIndex(),
        clock=world.clock,
    )
    fake.twins = twins
    twins.record(transaction.id, transaction.to_json())
    body = {
        "assetId": device_id,
        "transaction": transaction.to_json(),
        "twin": twins.reader_key(transaction.id),
    }
    return world.letter(device_id, body, audience=owner_id, signer=fake)


def event_letter(
    world: World,
    owner_id: str,
    device_id: str,
    fake: FakeDevice,
    transaction_id: str,
    status: TransactionStatus = TransactionStatus.INITIAL_OFFER,
    **terms: Any,
) -> bytes:
    return report(
        world, owner_id, device_id, fake, offer(device_id, transaction_id, status, **terms)
    )


def fund_body(device_id: str, fake: FakeDevice, **changes: Any) -> dict[str, Any]:
    body = {
        "assetId": device_id,
        "type": "consumer",
        "walletAddress": str(fake.address),
        "balance": 0,
        "amount": 4000,
        "reference": f"{device_id}:r1",
    }
    return {**body, **changes}


def test_a_fund_letter_pays_the_device_from_its_owners_wallet(world: World) -> None:
    owner_id = funded_owner(world)
    device = world.owners.add_device(owner_id, form(type="consumer"))
    fake = world.devices.at("http://device-1")
    letter = world.letter(device.id, fund_body(device.id, fake), audience=owner_id, signer=fake)
    reply = world.owners.receive_fund(letter)
    assert reply["amount"] == 4000
    assert world.ledger.ledger.message(bytes.fromhex(reply["messageId"])) is not None
    world.milestone()
    assert world.balance(fake.address) == 4000
    wallet = world.owners.owner_wallet(owner_id)
    assert wallet["available"] == GRANT - 4000
    (funding, _grant) = wallet["transfers"]
    assert (funding["kind"], funding["assetId"], funding["amount"]) == ("fund", device.id, 4000)


def test_fund_letters_that_break_a_rule_move_nothing(world: World) -> None:
    owner_id = funded_owner(world)
    other_owner = world.owners.create_owner("Bob").owner.id
    device = world.owners.add_device(owner_id, form(type="consumer", fundingCap=2 * GRANT))
    fake, stranger = world.devices.at("http://device-1"), FakeDevice()
    world.devices.unpaid[device.id] = [{"contractId": "c-big", "value": 2 * GRANT}]

    def refused(
        body: dict[str, Any],
        *,
        audience: str = owner_id,
        signer: FakeDevice = fake,
        sender: str = device.id,
    ) -> Exception:
        letter = world.letter(sender, body, audience=audience, signer=signer)
        with pytest.raises((InvalidMessage, NotAuthenticated, WrongState)) as caught:
            world.owners.receive_fund(letter)
        return caught.value

    other_wallet = str(Identity.generate().address)
    cases: list[tuple[dict[str, Any], dict[str, Any], str]] = [
        (fund_body(device.id, fake, walletAddress=other_wallet), {}, "walletAddress"),
        (fund_body(device.id, fake, amount=0), {}, "amount"),
        (fund_body(device.id, fake, amount="7"), {}, "amount"),
        (fund_body(device.id, fake, amount=GRANT + 1), {}, "available"),
        (fund_body(device.id, fake, type="provider"), {}, "type"),
        (fund_body(device.id, fake, balance=-1), {}, "balance"),
        (fund_body("a-someone-else", fake), {}, "assetId"),
        (fund_body(device.id, fake), {"audience": other_owner}, "addressed to"),
        (fund_body(device.id, fake), {"signer": stranger}, "another key"),
        (fund_body("a-unknown", fake), {"sender": "a-unknown"}, "not known"),
    ]
    for body, how, message in cases:
        assert message in str(refused(body, **how)), message
    letter = world.letter(
        device.id, fund_body(device.id, fake, amount=7), audience=owner_id, signer=fake
    )
    world.owners.receive_fund(letter)
    with pytest.raises(NotAuthenticated, match="replay"):
        world.owners.receive_fund(letter)
    late = world.letter(device.id, fund_body(device.id, fake), audience=owner_id, signer=fake)
    world.clock.advance(seconds=301)
    with pytest.raises(NotAuthenticated, match="too old"):
        world.owners.receive_fund(late)
    world.milestone()
    assert world.balance(fake.address) == 7
    errors = [line for line in world.owners.store.log_entries() if line["outcome"] == "error"]
    assert len(errors) == len(cases) + 2


def test_events_are_filed_per_transaction_with_aggregates_and_pages(world: World) -> None:
    owner_id = world.owners.create_owner("Ada").owner.id
    device = world.owners.add_device(owner_id, form())
    fake = world.devices.at("http://device-1")
    for i in range(12):
        world.owners.receive_event(
            event_letter(
                world, owner_id, device.id, fake, f"tx{i:02}", price=2000 + 10 * (i < 5) * i, at=i
            )
        )
    for i in range(5):
        terms = {"amount": 100 * (i + 1), "price": 2000 + 10 * i, "at": 100 + i}
        for status in (TransactionStatus.CONTRACT_CREATED, TransactionStatus.PROVISION_FINISHED):
            letter = event_letter(world, owner_id, device.id, fake, f"tx{i:02}", status, **terms)
            world.owners.receive_event(letter)
    world.owners.receive_event(
        event_letter(world, owner_id, device.id, fake, "tx05", TransactionStatus.CANCELLED, at=200)
    )

    stats = world.owners.device_overview(owner_id, device.id)["stats"]
    values = [-(-100 * (i + 1) * (2000 + 10 * i) // 1000) for i in range(5)]
    assert stats == {
        "energyWh": 1500,
        "value": sum(values),
        "provisions": 5,
        "transactions": 12,
        "averagePrice": 2008,
    }

    pages = [
        world.owners.device_transactions(owner_id, device.id, page=p, per_page=5) for p in (1, 2, 3)
    ]
    assert [page.total for page in pages] == [12, 12, 12]
    ids = [[events[0].transaction_id for events in page.transactions] for page in pages]
    assert ids == [
        [f"tx{i:02}" for i in range(11, 6, -1)],
        [f"tx{i:02}" for i in range(6, 1, -1)],
        ["tx01", "tx00"],
    ]
    (first,) = world.owners.device_transactions(owner_id, device.id, search="tx00").transactions
    assert [e.transaction.status for e in first] == [
        TransactionStatus.PROVISION_FINISHED,
        TransactionStatus.CONTRACT_CREATED,
        TransactionStatus.INITIAL_OFFER,
    ]
    finished = world.owners.device_transactions(
        owner_id, device.id, status="Energy provision finished"
    )
    assert finished.total == 5
    assert world.owners.device_transactions(owner_id, device.id, search="tx1").total == 2
    cancelled = world.owners.device_transactions(owner_id, device.id, status="Cancelled")
    assert cancelled.to_json()["transactions"][0]["transactionId"] == "tx05"
    for bad in ({"status": "Done"}, {"page": 0}, {"per_page": 101}):
        with pytest.raises(InvalidMessage):
            world.owners.device_transactions(owner_id, device.id, **bad)


def test_a_resent_state_is_filed_once_and_foreign_transactions_are_refused(world: World) -> None:
    owner_id = world.owners.create_owner("Ada").owner.id
    device = world.owners.add_device(owner_id, form())
    fake = world.devices.at("http://device-1")
    body = {"assetId": device.id, "transaction": offer(device.id, "t1").to_json(), "twin": "AAAA"}
    with pytest.raises(InvalidMessage, match="twin"):
        world.owners.receive_event(world.letter(device.id, body, audience=owner_id, signer=fake))
    letter = event_letter(world, owner_id, device.id, fake, "t1")
    world.owners.receive_event(letter)
    assert fake.twins is not None
    resent = {**body, "twin": fake.twins.reader_key("t1")}  # the same state, a new letter
    world.owners.receive_event(world.letter(device.id, resent, audience=owner_id, signer=fake))
    assert world.owners.device_overview(owner_id, device.id)["stats"]["transactions"] == 1
    (events,) = world.owners.device_transactions(owner_id, device.id).transactions
    assert len(events) == 1
    foreign = offer("a-other-device", "t2").to_json()
    stolen = {**resent, "transaction": foreign}
    with pytest.raises(InvalidMessage, match=f"the transaction is not {device.id}'s"):
        world.owners.receive_event(world.letter(device.id, stolen, audience=owner_id, signer=fake))


def test_a_consumer_files_contract_transactions_under_its_request(world: World) -> None:
    owner_id = world.owners.create_owner("Ada").owner.id
    device = world.owners.add_device(owner_id, form(type="consumer"))
    fake = world.devices.at("http://device-1")
    contract = Transaction(
        TransactionType.OFFER,
        TransactionStatus.PROVISION_FINISHED,
        400,
        2500,
        "5",
        providerId="a-provider",
        providerTransactionId="p1",
        requesterId=device.id,
        requesterTransactionId="r1",
        contractId="c1",
    )
    world.owners.receive_event(report(world, owner_id, device.id, fake, contract))
    stats = world.owners.device_overview(owner_id, device.id)["stats"]
    assert (stats["energyWh"], stats["value"]) == (400, 1000)
    (events,) = world.owners.device_transactions(owner_id, device.id).transactions
    assert events[0].transaction_id == "r1"


def test_the_twin_of_a_transaction_holds_each_reported_state(world: World) -> None:
    owner_id = world.owners.create_owner("Ada").owner.id
    device = world.owners.add_device(owner_id, form())
    fake = world.devices.at("http://device-1")
    for status in (TransactionStatus.INITIAL_OFFER, TransactionStatus.CONTRACT_CREATED):
        world.owners.receive_event(event_letter(world, owner_id, device.id, fake, "t1", status))
    world.milestone()
    twin = world.owners.transaction_twin(owner_id, device.id, "t1")
    assert twin["problems"] == []
    assert [e["confirmed"] for e in twin["entries"]] == [True, True]
    assert [e["onTwin"] for e in twin["events"]] == [True, True]
    # each event names where it is on the twin: the per-event verify
    entries = {e["position"]: e["messageId"] for e in twin["entries"]}
    events = [(e["number"], e["position"], e["messageId"]) for e in twin["events"]]
    assert events == [(n, p, entries[p]) for n, p in ((1, 0), (2, 1))]
    assert all(e["confirmed"] for e in twin["events"])
    with pytest.raises(UnknownRecord):
        world.owners.transaction_twin(owner_id, device.id, "t2")
