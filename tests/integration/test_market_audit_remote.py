"""Twins, payments and the audit against a real node over HTTP (``plaza market run``'s case):
channels' RemoteLedger, RemoteLedger, real proof of work, the node's own milestones."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest
from node_server import RunningNode

from plaza.adapters.ledger.remote import RemoteLedger
from plaza.bootstrap import SystemClock
from plaza.channels import MemoryCursorStore
from plaza.clients.node import NodeClient
from plaza.crypto import EncryptionKey, Identity, SigningKey
from plaza.ledger.model import Output, TransferPayload
from plaza.market.audit.channels import ChannelTrails
from plaza.market.audit.service import Auditor, AuditReport, BookAndSettlements
from plaza.market.auth import participant_id_for
from plaza.market.book.memory import MemoryBookStore
from plaza.market.book.service import BidManager
from plaza.market.contracts import ContractDesk
from plaza.market.model import NewOrder, Side
from plaza.market.payments.service import DeviceAccount, KeyFunder, LedgerPayments
from plaza.market.settlement import MemorySettlementStore, Phase, SettlementService
from plaza.market.twins.memory import MemoryTwinDirectory
from plaza.market.twins.recorder import ChannelTwins


def identity() -> Identity:
    return Identity(SigningKey.generate(), EncryptionKey.generate())


def eventually(check: Callable[[], bool], *, timeout_s: float = 15.0) -> None:
    """Wait for the node's coordinator (a milestone every 0.2 s) to make ``check`` true."""
    deadline = time.monotonic() + timeout_s
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError("the node did not get there in time")
        time.sleep(0.1)


@pytest.fixture
def client(node: RunningNode) -> Iterator[NodeClient]:
    with node.client(timeout=30.0) as node_client:
        yield node_client


def test_a_trade_over_http_is_on_twins_paid_once_and_audits_clean(
    node: RunningNode, client: NodeClient
) -> None:
    clock = SystemClock()
    marketplace, solar, ev, owner = identity(), identity(), identity(), SigningKey.generate()
    gateway = RemoteLedger(client, clock=clock)
    ledger = RemoteLedger(client, clock=clock)
    funding = ledger.compose(
        node.faucet, TransferPayload((Output(owner.public_key.address.raw, 100_000),))
    )
    ledger.submit(funding.raw)
    twins = ChannelTwins(
        identity=marketplace,
        gateway=gateway,
        cursors=MemoryCursorStore(),
        directory=MemoryTwinDirectory(),
        clock=clock,
    )
    payments = LedgerPayments(ledger, [DeviceAccount(ev.signing, KeyFunder(owner, ledger))])
    settlements = MemorySettlementStore()
    settlement = SettlementService(settlements, payments, clock, listener=twins)
    book = BidManager(MemoryBookStore(), clock=clock, policy="one_to_one", twins=twins)
    desk = ContractDesk(marketplace.signing, settlement, twins=twins)
    eventually(lambda: ledger.balance(owner.public_key.address).amount == 100_000)

    now = clock.now_ms()
    provider, consumer = (participant_id_for(who.public_key) for who in (solar, ev))
    book.submit_order(NewOrder(Side.OFFER, provider, "energy", 10, 7, now, now + 3_600_000))
    request = NewOrder(Side.REQUEST, consumer, "energy", 10, 7, now, now + 3_600_000)
    [contract] = desk.open(book.submit_order(request).matches)
    contract_id = contract.match.id
    settlement.report_delivery(contract_id, provider)
    settlement.request_payment(contract_id)
    settlement.process_payment_queue(consumer)
    payment = settlement.get(contract_id).payment
    assert payment is not None
    payments.submit(payment)  # again: the node says "known"

    def fulfilled() -> bool:
        settlement.confirm_payments()
        return settlement.get(contract_id).phase is Phase.FULFILLED

    eventually(fulfilled)
    assert ledger.balance(solar.public_key.address).amount == 70

    auditor = Auditor(
        ChannelTrails(gateway, twins),
        RemoteLedger(client, clock=clock),
        BookAndSettlements(book, settlements),
        marketplace_key=marketplace.public_key.raw,
    )
    reports: list[AuditReport] = []

    def confirmed() -> bool:
        reports[:] = [auditor.audit_contract(contract_id)]
        return reports[0].confirmed

    eventually(confirmed)
    assert reports[0].clean, (reports[0].differences, reports[0].problems)
    assert reports[0].payment is not None
    assert reports[0].payment.confirmed
