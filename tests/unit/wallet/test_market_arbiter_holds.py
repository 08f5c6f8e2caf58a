"""The marketplace as arbiter of held payments (``plaza.market.payments.holds``), on an
in-process node: it accepts only an open hold paying exactly as agreed, and settles it
in full, in part or not at all. (Beside the wallet's hold tests for their in-process node.)
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from wallet_support import InProcessNode, in_process_node

from plaza.crypto import SigningKey
from plaza.ledger.holds import HoldStatus
from plaza.ledger.model import Conflict
from plaza.market.payments.holds import ArbiterHolds, HoldNotOpen, HoldRefused, HoldTerms
from plaza.wallet.holds import HeldPayment, compose_hold

MINUTE = 60_000


@pytest.fixture
def node() -> Iterator[InProcessNode]:
    with in_process_node() as running:
        yield running


def _hold(
    node: InProcessNode, payer: SigningKey, payee: SigningKey, amount: int, arbiter: SigningKey
) -> HeldPayment:
    node.fund(payer.public_key.address, 10_000)
    held = compose_hold(
        node.gateway(),
        payer,
        payee.public_key.address,
        amount,
        expires_at_ms=node.clock.now_ms() + 10 * MINUTE,
        arbiter=arbiter.public_key.address,
    )
    node.runtime.submit(held.message.raw)
    node.milestone()
    return held


def _terms(payer: SigningKey, payee: SigningKey, amount: int, until: int) -> HoldTerms:
    return HoldTerms(str(payer.public_key.address), str(payee.public_key.address), amount, until)


def test_a_hold_paying_as_agreed_is_accepted_and_settled_pro_rata(node: InProcessNode) -> None:
    market, payer, payee = (SigningKey.generate() for _ in range(3))
    holds = ArbiterHolds(node.gateway(), market)
    held = _hold(node, payer, payee, 600, market)
    until = node.clock.now_ms() + 5 * MINUTE
    record = holds.check_open(held.hold_id, _terms(payer, payee, 600, until))
    assert record.status is HoldStatus.OPEN
    message_id = holds.settle(held.hold_id, 450, reason=b"asset down a quarter", tag=b"t")
    node.milestone()
    assert node.runtime.tangle.metadata(message_id).conflict is Conflict.NONE
    closed = holds.status(held.hold_id)
    assert closed is not None
    assert (closed.status, closed.to_payee, closed.closed_by) == (
        HoldStatus.SETTLED,
        450,
        message_id,
    )
    with pytest.raises(HoldNotOpen, match="settled"):
        holds.check_open(held.hold_id, _terms(payer, payee, 600, until))


def test_a_hold_not_paying_as_agreed_is_refused_naming_what_differs(node: InProcessNode) -> None:
    market, payer, payee, stranger = (SigningKey.generate() for _ in range(4))
    holds = ArbiterHolds(node.gateway(), market)
    held = _hold(node, payer, payee, 600, market)
    soon = node.clock.now_ms()
    for terms, wrong in [
        (_terms(stranger, payee, 600, soon), "payer"),
        (_terms(payer, stranger, 600, soon), "payee"),
        (_terms(payer, payee, 601, soon), "amount"),
        (_terms(payer, payee, 600, soon + 60 * MINUTE), "deadline"),
    ]:
        with pytest.raises(HoldRefused, match=wrong):
            holds.check_open(held.hold_id, terms)
    judged_elsewhere = _hold(node, payer, payee, 600, stranger)
    with pytest.raises(HoldRefused, match="arbiter"):
        holds.check_open(judged_elsewhere.hold_id, _terms(payer, payee, 600, soon))
    with pytest.raises(HoldNotOpen, match="no hold"):
        holds.check_open(bytes(32), _terms(payer, payee, 600, soon))
    with pytest.raises(HoldRefused, match="32 bytes"):
        holds.check_open(bytes(31), _terms(payer, payee, 600, soon))
    with pytest.raises(HoldRefused, match="no ledger address"):
        holds.check_open(held.hold_id, HoldTerms("plz1nope", "plz1nope", 600, soon))
