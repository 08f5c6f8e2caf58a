"""A process's payment watch: one lookup under the payment tags says which of its sensors
a new payment pays, until their books handled it (or it was given up on)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from streams_support import Node, local_node

from plaza.crypto import Address
from plaza.ledger.model import DataPayload, IssuedPayload, Output, TransferPayload
from plaza.streams.market import MARKET_PAYMENT_TAG
from plaza.streams.memo import PAYMENT_TAG
from plaza.streams.sensor.watch import GIVE_UP_MS, PaymentWatch
from plaza.testing.builders import key_from_number

FAUCET = key_from_number(1)  # holds the genesis allocation
MINE, OTHER, STRANGER = (
    Address.from_public_key(key_from_number(n).public_key.raw) for n in (5, 6, 7)
)


@pytest.fixture
def node() -> Iterator[Node]:
    with local_node() as running:
        yield running


def _issue(node: Node, payload: IssuedPayload) -> bytes:
    return node.gateway.submit(node.gateway.compose(FAUCET, payload).raw)


def _pay(node: Node, to: Address, tag: bytes = PAYMENT_TAG) -> bytes:
    return _issue(node, TransferPayload((Output(to.raw, 10),), tag=tag, data=b"\x01"))


def test_a_payment_makes_only_the_sensor_it_pays_due_until_its_book_handled_it(
    node: Node,
) -> None:
    watch = PaymentWatch(node.gateway, [MINE.raw, OTHER.raw], clock=node.clock)
    watch.look()
    assert not watch.due(MINE.raw)
    direct, market = _pay(node, MINE), _pay(node, MINE, MARKET_PAYMENT_TAG)
    _pay(node, STRANGER)  # not watched here
    _issue(node, DataPayload(PAYMENT_TAG, b"not a transfer"))
    watch.look()
    assert watch.due(MINE.raw)
    assert not watch.due(OTHER.raw)
    watch.handled(MINE.raw, {direct})
    assert watch.due(MINE.raw)  # the marketplace payment is still to be handled
    watch.handled(MINE.raw, {direct, market})
    assert not watch.due(MINE.raw)
    watch.look()  # seen before: not due again
    assert not watch.due(MINE.raw)


def test_a_payment_never_handled_is_given_up_on(node: Node) -> None:
    watch = PaymentWatch(node.gateway, [OTHER.raw], clock=node.clock)
    _pay(node, OTHER)
    watch.look()
    node.clock.advance(ms=GIVE_UP_MS - 1)
    watch.handled(OTHER.raw, set())
    assert watch.due(OTHER.raw)
    node.clock.advance(ms=2)
    watch.handled(OTHER.raw, set())
    assert not watch.due(OTHER.raw)
