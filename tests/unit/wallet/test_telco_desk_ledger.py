"""The telco order desk on an in-process node: an order placed from a match by either side and
confirmed by the other, paid by a hold the marketplace arbitrates, and a settlement that a
node outage delays but never changes (kept before it is sent, the very same bytes sent by
the next sweep). Beside the wallet's hold tests for their in-process node."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace

import pytest
from wallet_support import InProcessNode, in_process_node

from plaza.adapters.ledger.local import LocalLedger
from plaza.crypto import EncryptionKey, SigningKey
from plaza.ledger.codec import decode_message
from plaza.ledger.errors import NodeUnreachable
from plaza.ledger.holds import HoldRecord, HoldStatus
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
from plaza.telco.orders import OrderRefused, OrderState, ProductOrder
from plaza.telco.slices import SETTLE_LEAD_MS
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


def _confirmed(w: Desk, price: int = 600) -> ProductOrder:
    """The service provider's order, confirmed by the asset provider."""
    return w.desk.progress(w.people["op"], _placed(w, price).id, None)


def _hold(w: Desk, price: int, window: Window) -> bytes:
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
    return held.hold_id


def _placement(w: Desk, price: int = 600, *, held: bool = True) -> Placement:
    """A request matched with an offer of an asset ``orch`` orchestrates, and the confirmed
    hold paying it (``held``), not placed yet."""
    now = w.node.clock.now_ms()
    window = Window(now + HOUR, now + 3 * HOUR)
    cell = attributes(
        {"technology": "5G", "bands": "n78", "capacity_mbps": 9, "orchestrator": _id(w, "orch")}
    )
    asset = NewAsset(_id(w, "op"), kind_of(AssetType.CELL_SITE), "roof", TURIN, cell)
    asset_id = w.market.register_asset(w.people["op"], asset).asset.id
    offer = Offer(_id(w, "op"), asset_id, AssetType.CELL_SITE, TURIN, window, price, cell)
    request = Request(_id(w, "sp"), AssetType.CELL_SITE, TURIN, 5.0, window, price)
    offer_id = w.market.submit_order(w.people["op"], offer.order()).order.id
    request_id = w.market.submit_order(w.people["sp"], request.order()).order.id
    hold = _hold(w, price, window) if held else None
    return Placement(request_id, offer_id, hold, _id(w, "orch"))


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


def _hold_of(w: Desk, order: ProductOrder) -> HoldRecord:
    w.node.milestone()
    hold = w.node.runtime.tangle.hold(bytes.fromhex(order.hold_id))
    assert hold is not None
    return hold


def test_an_order_is_placed_from_a_match_and_paid_in_part_once_access_is_configured(
    w: Desk,
) -> None:
    placed = _placed(w)
    assert (placed.state, placed.contract_id, placed.orchestrator) == (
        OrderState.ACKNOWLEDGED,
        "",
        _id(w, "orch"),
    )
    assert w.events == [("ProductOrderCreateEvent", placed.id)]
    with pytest.raises(OrderRefused, match="only the other side") as refused:
        w.desk.progress(w.people["sp"], placed.id, None)
    assert refused.value.status == 403
    assert w.desk.order(w.people["sp"], placed.id) == placed  # the refusal changed nothing
    order = w.desk.progress(w.people["op"], placed.id, None)
    assert (order.state, order.closing) == (OrderState.IN_PROGRESS, None)
    assert order.contract_id
    with pytest.raises(OrderRefused, match="in the window"):
        w.desk.progress(w.people["orch"], order.id, None)  # not before the window starts
    w.node.clock.advance(ms=HOUR + HOUR // 2)  # a quarter of the two-hour window served
    configured = w.desk.progress(w.people["orch"], order.id, None)
    part = configured.steps[-1]
    assert (part.event, part.to_payee, part.part, part.sent) == (
        "accessConfigured",
        150,
        True,
        True,
    )
    hold = _hold_of(w, order)
    assert (hold.status, hold.to_payee, hold.remaining) == (HoldStatus.OPEN, 150, 450)
    assert w.events[-1] == ("ProductOrderStateChangeEvent", order.id)
    contract = w.market.settlement(w.people["sp"], order.contract_id)
    assert contract.phase is Phase.CONTRACT_CREATED  # paid once the hold closes


def test_a_failure_after_part_payments_pays_pro_rata_and_refunds_the_rest(w: Desk) -> None:
    order = _confirmed(w)
    w.node.clock.advance(ms=HOUR)
    w.desk.progress(w.people["orch"], order.id, None)  # at the window's start: nothing served
    w.node.clock.advance(ms=HOUR // 2)
    assert w.desk.sweep() == 1  # slices of the window served: paid in arrears
    paid = w.desk.order(w.people["sp"], order.id)
    assert (paid.steps[-1].event, paid.paid) == ("slicePaid", 150)
    w.node.clock.advance(ms=HOUR // 4)  # 45 of 120 minutes served when the asset fails
    failed = w.desk.asset_failed(w.people["orch"], order.id)
    waiting = failed.closing  # the part payment is not on the ledger yet: the settlement waits
    assert waiting is not None
    assert (failed.state, waiting.to_payee, failed.paid) == (OrderState.FAILED, 75, 225)
    assert (waiting.message_id, waiting.sent) == ("", False)
    assert _hold_of(w, order).to_payee == 150  # the milestone confirms the part payment
    assert w.desk.sweep() == 1
    closing = w.desk.order(w.people["sp"], order.id).closing
    assert closing is not None
    assert closing.sent
    hold = _hold_of(w, order)
    assert (hold.status, hold.to_payee, hold.refunded) == (HoldStatus.SETTLED, 225, 375)
    assert hold.closed_by == bytes.fromhex(closing.message_id)
    contract = w.market.settlement(w.people["sp"], order.contract_id)
    assert (contract.phase, contract.payment) == (
        Phase.PAYMENT_PROCESSED,
        PreparedPayment(bytes.fromhex(closing.message_id), bytes.fromhex(closing.settlement), 225),
    )


def test_the_rest_is_paid_before_the_window_ends_and_the_order_completes(w: Desk) -> None:
    order = _confirmed(w)
    w.node.clock.advance(ms=HOUR)
    w.desk.progress(w.people["orch"], order.id, None)
    w.node.clock.advance(ms=2 * HOUR - SETTLE_LEAD_MS)  # a hold may end with the window
    assert w.desk.sweep() == 1
    rest = w.desk.order(w.people["sp"], order.id)
    closing = rest.closing
    assert closing is not None
    assert (closing.event, closing.to_payee, rest.state) == (
        "restPaid",
        600,
        OrderState.IN_PROGRESS,
    )
    hold = _hold_of(w, order)
    assert (hold.status, hold.to_payee, hold.refunded) == (HoldStatus.SETTLED, 600, 0)
    w.node.clock.advance(ms=SETTLE_LEAD_MS)
    assert w.desk.sweep() == 1
    assert w.desk.order(w.people["sp"], order.id).state is OrderState.COMPLETED
    assert w.market.settlement(w.people["sp"], order.contract_id).payment == PreparedPayment(
        bytes.fromhex(closing.message_id), bytes.fromhex(closing.settlement), 600
    )


def test_the_asset_provider_places_an_order_and_the_customer_confirms_it_with_its_hold(
    w: Desk,
) -> None:
    bare = _placement(w, held=False)
    order, new = w.desk.place(w.people["op"], bare)
    assert new
    assert (order.placed_by, order.awaiting, order.hold_id) == (_id(w, "op"), _id(w, "sp"), "")
    with pytest.raises(OrderRefused, match="confirms with its hold"):
        w.desk.progress(w.people["sp"], order.id, None)
    hold = _hold(w, 600, order.window)
    with pytest.raises(OrderRefused, match="only the other side"):
        w.desk.progress(w.people["op"], order.id, hold)
    confirmed = w.desk.progress(w.people["sp"], order.id, hold)
    assert (confirmed.state, confirmed.hold_id) == (OrderState.IN_PROGRESS, hold.hex())
    assert w.market.settlement(w.people["sp"], confirmed.contract_id).deadline_ms == (
        order.window.end_ms
    )
    with pytest.raises(OrderRefused, match="cannot be confirmed"):
        w.desk.progress(w.people["sp"], order.id, hold)  # once


def test_an_order_names_the_assets_orchestrator_and_is_placed_by_a_party(w: Desk) -> None:
    placement = _placement(w)
    with pytest.raises(OrderRefused, match="the asset's orchestrator is") as wrong:
        w.desk.place(w.people["sp"], replace(placement, orchestrator=_id(w, "op")))
    assert wrong.value.status == 422
    with pytest.raises(OrderRefused, match="owner") as stranger:
        w.desk.place(w.people["orch"], placement)
    assert stranger.value.status == 403
    with pytest.raises(OrderRefused, match="carries none"):
        w.desk.place(w.people["op"], placement)  # the seller's order carries no hold
    assert w.desk.orders(w.people["sp"]) == []
    order, _new = w.desk.place(w.people["sp"], replace(placement, orchestrator=None))
    assert order.orchestrator == _id(w, "orch")


def test_a_held_contract_waits_for_its_window_not_the_provision_timeout(w: Desk) -> None:
    order = _confirmed(w)
    contract = w.market.settlement(w.people["sp"], order.contract_id)
    assert (contract.phase, contract.deadline_ms) == (Phase.CONTRACT_CREATED, order.window.end_ms)


def test_a_settlement_the_node_did_not_take_is_kept_and_sent_unchanged(w: Desk) -> None:
    order = _confirmed(w)
    w.ledger.failures = 1
    with pytest.raises(NodeUnreachable):
        w.desk.cancel(w.people["sp"], order.id, in_flight=True)
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


def test_a_part_payment_sent_with_the_settlement_is_approved_by_it(w: Desk) -> None:
    order = _confirmed(w)
    w.node.clock.advance(ms=HOUR)
    w.desk.progress(w.people["orch"], order.id, None)
    w.node.clock.advance(ms=HOUR // 2)
    w.ledger.failures = 1
    with pytest.raises(NodeUnreachable):
        w.desk.sweep()  # the slice's part payment is kept, not sent
    w.node.clock.advance(ms=HOUR // 4)
    failed = w.desk.asset_failed(w.people["orch"], order.id)  # both go now, in that order
    part, closing = failed.steps[-2], failed.closing
    assert closing is not None
    assert (part.event, part.sent, closing.sent) == ("slicePaid", True, True)
    settlement = decode_message(bytes.fromhex(closing.settlement))
    assert bytes.fromhex(part.message_id) in settlement.parents  # the ledger applies it first
    hold = _hold_of(w, order)
    assert (hold.status, hold.to_payee, hold.refunded) == (HoldStatus.SETTLED, 225, 375)
