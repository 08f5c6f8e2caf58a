"""The telco order desk on an in-process node: an order placed from a match, paid by a hold
the marketplace arbitrates, and a settlement that a node outage delays but never changes
(kept before it is sent, the very same bytes sent by the next sweep). Beside the wallet's
hold tests for their in-process node."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest
from wallet_support import InProcessNode, in_process_node

from plaza.adapters.ledger.local import LocalLedger
from plaza.crypto import EncryptionKey, SigningKey
from plaza.ledger.errors import NodeUnreachable
from plaza.ledger.holds import HoldStatus
from plaza.market.assets.memory import MemoryAssetDirectory
from plaza.market.auth import Participant, Principal, Role, participant_id_for
from plaza.market.auth.memory import MemoryParticipantStore
from plaza.market.auth.service import ParticipantRegistry
from plaza.market.book.memory import MemoryBookStore
from plaza.market.book.service import BidManager
from plaza.market.contracts import ContractDesk
from plaza.market.kinds import Kinds
from plaza.market.marketplace import Marketplace
from plaza.market.model import Location, NewAsset, attributes
from plaza.market.payments.holds import ArbiterHolds
from plaza.market.settlement import (
    MemorySettlementStore,
    Phase,
    PreparedPayment,
    SettlementService,
)
from plaza.telco.assets import AssetType, kind_of
from plaza.telco.desk import OrderDesk, Placement
from plaza.telco.kind import KINDS
from plaza.telco.orders import OrderState, ProductOrder
from plaza.telco.store import MemoryOrderStore
from plaza.telco.terms import Offer, Request, Window
from plaza.testing.payments import FakePayments
from plaza.wallet.holds import compose_hold

HOUR = 3_600_000
TURIN = Location(45.07, 7.69)


class FlakyLedger(LocalLedger):
    """The node unreachable for the next ``failures`` submissions."""

    failures = 0

    def submit(self, raw: bytes) -> bytes:
        if self.failures > 0:
            self.failures -= 1
            raise NodeUnreachable("in-process", "switched off by the test")
        return super().submit(raw)


@dataclass
class Desk:
    node: InProcessNode
    ledger: FlakyLedger
    desk: OrderDesk
    market: Marketplace
    keys: dict[str, SigningKey]
    people: dict[str, Principal]
    events: list[tuple[str, str]]


def _participant(key: SigningKey, *roles: Role) -> Participant:
    return Participant(
        id=participant_id_for(key.public_key),
        signing_key=key.public_key,
        encryption_key=EncryptionKey.generate().public_key,
        display_name="someone",
        roles=frozenset(roles),
        registered_at_ms=0,
    )


@pytest.fixture
def w() -> Iterator[Desk]:
    with in_process_node() as node:
        keys = {name: SigningKey.generate() for name in ("market", "op", "sp", "orch")}
        roles = {"op": Role.PROVIDER, "sp": Role.CONSUMER, "orch": Role.OPERATOR}
        store = MemoryParticipantStore()
        people = {}
        for name, role in roles.items():
            participant = _participant(keys[name], role)
            store.add(participant)
            people[name] = Principal.of_participant(participant)
        kinds, journal = Kinds(KINDS), MemoryBookStore()
        book = BidManager(
            journal, clock=node.clock, policy="cda", kinds=kinds, assets=MemoryAssetDirectory()
        )
        settlement = SettlementService(MemorySettlementStore(), FakePayments({}, {}), node.clock)
        desk = ContractDesk(keys["market"], settlement, kinds=kinds)
        market = Marketplace(book=book, journal=journal, desk=desk, settlement=settlement)
        ledger = FlakyLedger(node.runtime, pause=lambda _s: node.milestone())
        events: list[tuple[str, str]] = []
        orders = OrderDesk(
            market,
            registry=ParticipantRegistry(store, node.clock, audience="test"),
            holds=ArbiterHolds(ledger, keys["market"]),
            clock=node.clock,
            store=MemoryOrderStore(),
            announce=lambda kind, order: events.append((kind, order.id)),
        )
        yield Desk(node, ledger, orders, market, keys, people, events)


def _id(w: Desk, name: str) -> str:
    return str(w.keys[name].public_key.address)


def _placed(w: Desk, price: int = 600) -> ProductOrder:
    order, new = w.desk.place(w.people["sp"], _placement(w, price))
    assert new
    return order


def _placement(w: Desk, price: int = 600) -> Placement:
    """A request matched with an offer, and the confirmed hold paying it, not placed yet."""
    now = w.node.clock.now_ms()
    window = Window(now + HOUR, now + 3 * HOUR)
    cell = attributes({"technology": "5G", "bands": "n78", "capacity_mbps": 9})
    asset = NewAsset(_id(w, "op"), kind_of(AssetType.CELL_SITE), "roof", TURIN, cell)
    asset_id = w.market.register_asset(w.people["op"], asset).asset.id
    offer = Offer(_id(w, "op"), asset_id, AssetType.CELL_SITE, TURIN, window, price, cell)
    request = Request(_id(w, "sp"), AssetType.CELL_SITE, TURIN, 5.0, window, price)
    offer_id = w.market.submit_order(w.people["op"], offer.order()).order.id
    request_id = w.market.submit_order(w.people["sp"], request.order()).order.id
    w.node.fund(w.keys["sp"].public_key.address, 10_000)
    held = compose_hold(
        w.ledger,
        w.keys["sp"],
        _id(w, "op"),
        price,
        expires_at_ms=window.end_ms + HOUR,
        arbiter=w.keys["market"].public_key.address,
    )
    w.node.runtime.submit(held.message.raw)
    w.node.milestone()
    return Placement(request_id, offer_id, held.hold_id, _id(w, "orch"))


def test_one_hold_placed_from_many_threads_at_once_pays_one_order(w: Desk) -> None:
    placement = _placement(w)
    start = threading.Barrier(4)

    def place() -> tuple[str, bool]:
        start.wait()
        order, new = w.desk.place(w.people["sp"], placement)
        return order.id, new

    with ThreadPoolExecutor(4) as pool:
        placed = [future.result() for future in [pool.submit(place) for _ in range(4)]]
    assert len({order_id for order_id, _ in placed}) == 1
    assert sorted(new for _, new in placed) == [False, False, False, True]
    assert [event for event in w.events if event[0] == "ProductOrderCreateEvent"] == [
        ("ProductOrderCreateEvent", placed[0][0])
    ]


def test_an_order_is_placed_from_a_match_and_paid_when_access_is_configured(w: Desk) -> None:
    order = _placed(w)
    assert order.state is OrderState.ACKNOWLEDGED
    assert w.events == [("ProductOrderCreateEvent", order.id)]
    configured = w.desk.access_configured(w.people["orch"], order.id)
    w.node.milestone()
    hold = w.node.runtime.tangle.hold(bytes.fromhex(order.hold_id))
    closing = configured.closing
    assert hold is not None
    assert closing is not None
    assert closing.sent
    assert (hold.status, hold.to_payee, hold.closed_by) == (
        HoldStatus.SETTLED,
        600,
        bytes.fromhex(closing.message_id),
    )
    assert w.events[-1] == ("ProductOrderStateChangeEvent", order.id)
    contract = w.market.settlement(w.people["sp"], order.contract_id)
    assert (contract.phase, contract.payment) == (
        Phase.PAYMENT_PROCESSED,
        PreparedPayment(bytes.fromhex(closing.message_id), bytes.fromhex(closing.settlement), 600),
    )


def test_a_held_contract_waits_for_its_window_not_the_provision_timeout(w: Desk) -> None:
    order = _placed(w)
    contract = w.market.settlement(w.people["sp"], order.contract_id)
    assert (contract.phase, contract.deadline_ms) == (Phase.CONTRACT_CREATED, order.window.end_ms)


def test_a_settlement_the_node_did_not_take_is_kept_and_sent_unchanged(w: Desk) -> None:
    order = _placed(w)
    w.ledger.failures = 1
    with pytest.raises(NodeUnreachable):
        w.desk.cancel(w.people["sp"], order.id)
    kept = w.desk.order(w.people["sp"], order.id)
    closing = kept.closing
    assert closing is not None
    assert (kept.state, closing.to_payee, closing.sent) == (OrderState.CANCELLED, 0, False)
    assert w.events[-1] == ("ProductOrderStateChangeEvent", order.id)
    assert closing.message_id
    hold_id = bytes.fromhex(order.hold_id)
    still = w.node.runtime.tangle.hold(hold_id)
    assert still is not None
    assert still.status is HoldStatus.OPEN
    assert w.desk.sweep() == 1
    w.node.milestone()
    hold = w.node.runtime.tangle.hold(hold_id)
    assert hold is not None
    assert (hold.status, hold.to_payee, hold.closed_by) == (
        HoldStatus.SETTLED,
        0,
        bytes.fromhex(closing.message_id),
    )
    sent = w.desk.order(w.people["sp"], order.id).closing
    assert sent is not None
    assert sent.sent
    assert w.desk.sweep() == 0
    assert w.market.settlement(w.people["sp"], order.contract_id).phase is Phase.CANCELLED
