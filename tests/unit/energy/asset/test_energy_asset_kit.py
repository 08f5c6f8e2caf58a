"""A device under test for the asset module's tests: real parts, fake peers.

An asset built with :func:`~plaza.bootstrap.energy_wiring.build_asset` over memory
adapters (its store, twin cursors and seen nonces) and in-memory keys, on an
in-process node (no proof of work, milestones by hand); a test that reads or
rewrites the device's SQLite file opens it there instead (``on_disk``). Its outbox
on an :class:`~plaza.jobs.InlineQueue` delivered by a :class:`~plaza.jobs.Worker`
when the test says so, into a :class:`FakeLink` that opens every letter with
the recipient's identity (the marketplace's or the owner's) and keeps it. The
owner's ``/fund`` is answered by a real transfer from the node's treasury. The
marketplace's letters to the asset are sealed with :data:`MARKET`'s identity,
as the backend seals them.

This module holds no tests; the asset's test modules import it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from plaza.adapters.ledger.local import LocalLedger
from plaza.api.energy import AssetService
from plaza.bootstrap.energy_modules import open_asset
from plaza.bootstrap.energy_wiring import build_asset
from plaza.channels import MemoryCursorStore
from plaza.crypto import Address, Identity, Seed, SigningKey
from plaza.energy.asset import AssetSettings
from plaza.energy.asset.memory import MemoryAssetStore
from plaza.energy.asset.store import DB_NAME
from plaza.energy.envelope import (
    Letter,
    ModuleKey,
    open_letter,
    seal_letter,
    sign_document,
)
from plaza.energy.errors import PeerFailed
from plaza.energy.keys import ModuleSecrets
from plaza.energy.ledger import LedgerAccess
from plaza.energy.model import EnergyContract, Transaction, TransactionStatus, TransactionType
from plaza.energy.twins import Twins
from plaza.jobs import InlineQueue, Worker
from plaza.ledger.model import Output, TransferPayload
from plaza.market.auth import MemoryNonceStore
from plaza.market.payments.service import DeviceAccount, LedgerPayments
from plaza.market.settlement import Contract as SettlementContract
from plaza.market.settlement import Phase, PreparedPayment
from plaza.market.twins.records import MemoryTwinIndex
from plaza.testing.builders import key_from_number
from plaza.testing.nodes import InProcessNode, in_process_node

MARKET = Identity.generate()
OWNER = Identity.generate()
MARKET_URL = "http://market.test"
OWNER_URL = "http://owner.test"
UUID = "ba4a33f0-ee20-41e4-9fcd-9f91ecf77d0f"
MINUTE_MS = 60_000
HOUR_MS = 60 * MINUTE_MS
#: The other party of every contract: a consumer (for a provider under test) or a provider.
PEER_KEY = key_from_number(77)
PEER_WALLET = str(PEER_KEY.public_key.address)


def init_body(kind: str = "provider", **changes: Any) -> dict[str, Any]:
    """A valid /init for the device under test."""
    body: dict[str, Any] = {
        "uuid": UUID,
        "assetId": f"{kind}-1",
        "assetName": f"test {kind}",
        "type": kind,
        "assetOwner": "owner-1",
        "location": "Trondheim",
        "url": "http://device.test",
        "marketplaceAPI": MARKET_URL,
        "assetOwnerAPI": OWNER_URL,
        "marketplacePublicKey": ModuleKey.of(MARKET).to_text(),
        "assetOwnerPublicKey": ModuleKey.of(OWNER).to_text(),
        "status": "running",
        "minOfferAmount": 200,
        "energyPrice": 150,
        "maxEnergyPrice": 200,
        "maxWaitMs": 10 * MINUTE_MS,
        "paymentQueueProcessingSpeed": 1000,
    }
    body.update(changes)
    return body


@dataclass
class Posted:
    url: str
    path: str
    letter: Letter

    @property
    def body(self) -> dict[str, Any]:
        return self.letter.body

    @property
    def transaction(self) -> Transaction:
        return Transaction.from_json(self.body["transaction"])


@dataclass
class FakeLink:
    """Every letter the asset posts, opened as its recipient would; /fund paid for real."""

    node: InProcessNode
    posted: list[Posted] = field(default_factory=list)
    fund_down: bool = False
    on_post: Callable[[str], None] | None = None  # a peer answering at once
    _nonces: MemoryNonceStore = field(default_factory=MemoryNonceStore)

    def post(self, url: str, path: str, document: bytes) -> dict[str, Any]:
        identity, audience = (MARKET, "marketplace") if url == MARKET_URL else (OWNER, "owner-1")
        letter = open_letter(
            document,
            identity=identity,
            audience=audience,
            now_ms=self.node.clock.now_ms(),
            nonces=self._nonces,
            known_key=lambda _: None,
            introduce=True,
        )
        self.posted.append(Posted(url, path, letter))
        if self.on_post is not None:
            self.on_post(path)
        if path == "/fund":
            return self._fund(letter.body)
        return {"success": True}

    def _fund(self, body: Mapping[str, Any]) -> dict[str, Any]:
        if self.fund_down:
            raise PeerFailed(OWNER_URL, "/fund", "unreachable", refused=False)
        message_id = pay(self.node, self.node.treasury, body["walletAddress"], body["amount"])
        return {"success": True, "messageId": message_id.hex(), "amount": body["amount"]}

    def letters(self, path: str) -> list[Posted]:
        return [p for p in self.posted if p.path == path]

    def paths(self, url: str = MARKET_URL) -> list[str]:
        return [p.path for p in self.posted if p.url == url]


def pay(node: InProcessNode, signer: SigningKey, payee: str, amount: int) -> bytes:
    """A plain transfer, attached; its message id."""
    port = LocalLedger(node.runtime)
    message = port.compose(signer, TransferPayload((Output(Address.parse(payee).raw, amount),)))
    port.submit(message.raw)
    return message.id


class KeptCursors(MemoryCursorStore):
    """Twin cursors in memory that a restart keeps, as the device's file keeps them."""

    def close(self) -> None:
        """Kept for the device's next opening."""


@dataclass
class Parts:
    """What a device keeps across a restart: its keys and its memory adapters."""

    keys: ModuleSecrets = field(default_factory=lambda: ModuleSecrets(Seed.generate()))
    store: MemoryAssetStore = field(default_factory=MemoryAssetStore)
    cursors: KeptCursors = field(default_factory=KeptCursors)
    nonces: MemoryNonceStore = field(default_factory=MemoryNonceStore)


@dataclass
class Device:
    """The asset under test and everything around it: over ``parts`` in memory, or (``parts``
    None) over its files in ``data_dir``."""

    node: InProcessNode
    data_dir: Path | None
    link: FakeLink
    queue: InlineQueue
    settings: AssetSettings | None = None
    parts: Parts | None = None
    service: AssetService = field(init=False)

    def __post_init__(self) -> None:
        self.service = self._open()

    def _open(self) -> AssetService:
        ledger = LedgerAccess(LocalLedger(self.node.runtime))
        ports: dict[str, Any] = {
            "uuid": UUID,
            "ledger": ledger,
            "link": self.link,
            "queue": self.queue,
            "clock": self.clock,
            "settings": self.settings,
        }
        if self.parts is None:
            assert self.data_dir is not None
            return open_asset(self.data_dir, **ports)
        kept = self.parts
        return build_asset(
            kept.keys, store=kept.store, cursors=kept.cursors, nonces=kept.nonces, **ports
        )

    @property
    def clock(self) -> Any:
        return self.node.clock

    @property
    def asset_id(self) -> str:
        return self.service.module.config.asset_id

    def deliver(self) -> None:
        """Run the outbox: every queued letter reaches the fake link."""
        Worker(self.queue, self.service.handlers()).run_until_idle()

    def cycle(self, *, advance_ms: int = 0) -> None:
        self.clock.advance(ms=advance_ms)
        self.service.cycle()
        self.deliver()

    def send(self, path: str, body: Mapping[str, Any], *, sender: Identity = MARKET) -> None:
        """A letter from the marketplace, sealed as the backend seals it."""
        document = seal_letter(
            body,
            sender="marketplace",
            identity=sender,
            recipient=self.service.key,
            audience=self.asset_id,
            now_ms=self.clock.now_ms(),
        )
        self.service.module.receive(path, document)
        self.deliver()

    def records(self, status: TransactionStatus | None = None) -> list[Transaction]:
        return [r.state for r in self.service.store.records(None if status is None else [status])]

    def only(self, status: TransactionStatus) -> Transaction:
        (found,) = self.records(status)
        return found

    def reopen(self) -> None:
        """Close and open the device again over what it keeps (a restart)."""
        self.service.close()
        self.service = self._open()

    def logged(self, operation: str, *, ok: bool | None = None) -> int:
        """How many lines of the device's log are for ``operation`` (and ``ok``, if given)."""
        lines = self.service.store.log_lines(limit=100_000)
        return sum(
            1 for line in lines if line["operation"] == operation and ok in (None, line["ok"])
        )

    def in_flight(self) -> list[PreparedPayment]:
        """The device's payments submitted and not yet confirmed."""
        submitted = self.service.store.settlements.find({Phase.PAYMENT_PROCESSED})
        return [s.payment for s in submitted if s.payment is not None]

    def db(self) -> sqlite3.Connection:
        """The device's SQLite file (``on_disk`` devices only)."""
        assert self.data_dir is not None, "a device in memory has no file: open it on_disk"
        return sqlite3.connect(self.data_dir / DB_NAME)


@contextmanager
def device(
    kind: str = "provider",
    *,
    settings: AssetSettings | None = None,
    on_disk: Path | None = None,
    **changes: Any,
) -> Iterator[Device]:
    """An initialised device of ``kind`` (its /register already delivered), in memory, or
    with ``on_disk`` over its files in that folder."""
    with in_process_node(network="plaza-energy-asset-test") as node:
        parts = None if on_disk else Parts()
        running = Device(node, on_disk, FakeLink(node), InlineQueue(node.clock), settings, parts)
        try:
            if kind:
                running.service.module.initialise(init_body(kind, **changes))
                running.deliver()
            yield running
        finally:
            running.service.close()


def contract_for(
    device: Device, mine: Transaction, amount: int | None = None, *, contract_id: str = "c-1"
) -> tuple[EnergyContract, dict[str, Any]]:
    """The marketplace's contract of ``mine`` with the peer, and the /contract body."""
    if mine.type is TransactionType.OFFER:
        other = Transaction(
            TransactionType.REQUEST,
            TransactionStatus.INITIAL_REQUEST,
            amount or mine.energyAmount,
            500,
            str(device.clock.now_ms()),
            requesterId="peer-1",
            requesterTransactionId="peer-tx",
            requesterWalletAddress=PEER_WALLET,
        )
        offer, request = mine, other
    else:
        offer = Transaction(
            TransactionType.OFFER,
            TransactionStatus.INITIAL_OFFER,
            mine.energyAmount * 2,
            120,
            str(device.clock.now_ms()),
            providerId="peer-1",
            providerTransactionId="peer-tx",
            walletAddress=PEER_WALLET,
        )
        request = mine
    contract = EnergyContract.join(contract_id, offer, request, now_ms=device.clock.now_ms())
    twins = Twins(
        identity=MARKET,
        gateway=device.node.gateway,
        cursors=MemoryCursorStore(),
        index=MemoryTwinIndex(),
        clock=device.clock,
    )
    twins.record(contract_id, contract.to_json())
    body = {
        "contract": sign_document(contract.to_json(), MARKET),
        "twin": twins.reader_key(contract_id),
    }
    return contract, body


def step(contract: EnergyContract, status: TransactionStatus, **changes: Any) -> dict[str, Any]:
    """A settlement letter's body: the contract transaction in ``status``."""
    return {
        "transaction": contract.transaction.with_status(status, timestamp_ms=1, **changes).to_json()
    }


def peer_pays(device: Device, contract: EnergyContract, *, contract_id: str | None = None) -> bytes:
    """The consumer peer pays the provider under test, as its own asset would."""
    pay(device.node, device.node.treasury, PEER_WALLET, 1_000_000)
    device.node.milestone()
    payments = LedgerPayments(LocalLedger(device.node.runtime), [DeviceAccount(PEER_KEY)])
    deal = contract.transaction
    prepared = payments.prepare(
        SettlementContract(
            contract_id or deal.contractId, deal.walletAddress, PEER_WALLET, deal.value, 1, 0
        )
    )
    payments.submit(prepared)
    return prepared.message_id


def balance(device: Device, address: str) -> int:
    return device.node.runtime.tangle.balance(Address.parse(address).raw)
