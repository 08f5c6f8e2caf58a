"""Held payments over a real node's HTTP API: hold, release by the secret, part payment, expiry.

The node issues a milestone every 0.2 s; the wallet's compose functions build
the messages through the remote ledger adapter, as a customer's or provider's
process would, and the hold is read back with ``GET /api/v1/holds/{id}``.
"""

from __future__ import annotations

import time

import httpx
import pytest
from node_helpers import address_of, build
from node_server import RunningNode

from plaza.adapters.ledger.remote import RemoteLedger
from plaza.clients.node import NodeClient, NotFoundError
from plaza.clock import SystemClock
from plaza.crypto import SigningKey
from plaza.ledger.holds import HoldRecord, HoldStatus, hashlock_of
from plaza.ledger.model import Conflict, Output, TransferPayload
from plaza.wallet.holds import compose_hold, compose_pay, compose_release, compose_settle, new_lock

FUNDS = 1_000
PRICE = 300


def funded_key(node: RunningNode, client: NodeClient) -> SigningKey:
    key = SigningKey.generate()
    payload = TransferPayload((Output(address_of(key).raw, FUNDS),))
    grant = build(client, node.faucet, payload)
    client.submit(grant)
    assert client.wait_for_confirmation(grant.id, timeout=10).conflict is Conflict.NONE
    return key


def confirm(client: NodeClient, raw: bytes) -> None:
    result = client.submit(raw)
    assert client.wait_for_confirmation(result.id, timeout=10).conflict is Conflict.NONE


def wait_for_status(client: NodeClient, hold_id: bytes, status: HoldStatus) -> HoldRecord:
    deadline = time.monotonic() + 10
    while (record := client.hold(hold_id)).status is not status:
        assert time.monotonic() < deadline, f"still {record.status} after 10 s"
        time.sleep(0.05)
    return record


def test_a_hold_released_by_its_secret_pays_the_provider(
    node: RunningNode, client: NodeClient
) -> None:
    customer, provider = funded_key(node, client), SigningKey.generate()
    ledger = RemoteLedger(client, clock=SystemClock())
    lock = new_lock()
    held = compose_hold(
        ledger,
        customer,
        address_of(provider),
        PRICE,
        expires_at_ms=SystemClock().now_ms() + 60_000,
        hashlock=lock.hashlock,
    )
    confirm(client, held.message.raw)

    opened = client.hold(held.hold_id)
    assert (opened.status, opened.hold.amount, opened.hold.hashlock) == (
        HoldStatus.OPEN,
        PRICE,
        lock.hashlock,
    )
    assert client.balance(address_of(customer)).balance == FUNDS - PRICE
    view = httpx.get(f"{node.url}/api/v1/messages/{held.message.id.hex()}").json()
    assert (view["payload"]["kind"], view["payload"]["hold_id"]) == ("hold", held.hold_id.hex())

    release = compose_release(ledger, provider, held.hold_id, lock.secret)
    confirm(client, release.raw)

    released = client.hold(held.hold_id)
    assert (released.status, released.to_payee, released.closed_by) == (
        HoldStatus.RELEASED,
        PRICE,
        release.id,
    )
    assert client.balance(address_of(provider)).balance == PRICE
    assert client.balance(address_of(customer)).balance == FUNDS - PRICE
    # The customer reads the key that decrypts the result off the ledger.
    revealed = httpx.get(f"{node.url}/api/v1/messages/{release.id.hex()}").json()["payload"]
    assert hashlock_of(bytes.fromhex(revealed["secret"])) == lock.hashlock


def test_a_hold_nobody_releases_refunds_the_customer_at_its_deadline(
    node: RunningNode, client: NodeClient
) -> None:
    customer, provider = funded_key(node, client), SigningKey.generate()
    ledger = RemoteLedger(client, clock=SystemClock())
    held = compose_hold(
        ledger,
        customer,
        address_of(provider),
        PRICE,
        expires_at_ms=SystemClock().now_ms() + 2_000,
        hashlock=new_lock().hashlock,
    )
    confirm(client, held.message.raw)
    assert client.hold(held.hold_id).status is HoldStatus.OPEN

    expired = wait_for_status(client, held.hold_id, HoldStatus.EXPIRED)

    assert (expired.to_payee, expired.refunded, expired.closed_by) == (0, PRICE, None)
    assert client.balance(address_of(customer)).balance == FUNDS
    assert client.balance(address_of(provider)).balance == 0


def test_a_part_paid_hold_shows_what_it_paid_and_what_remains(
    node: RunningNode, client: NodeClient
) -> None:
    customer, provider, arbiter = funded_key(node, client), *(SigningKey.generate() for _ in "ab")
    ledger = RemoteLedger(client, clock=SystemClock())
    held = compose_hold(
        ledger,
        customer,
        address_of(provider),
        PRICE,
        expires_at_ms=SystemClock().now_ms() + 60_000,
        arbiter=address_of(arbiter),
    )
    confirm(client, held.message.raw)
    part = compose_pay(ledger, arbiter, held.hold_id, 120, reason=b"slice 1")
    confirm(client, part.raw)

    view = httpx.get(f"{node.url}/api/v1/holds/{held.hold_id.hex()}").json()
    assert (view["status"], view["amount"], view["to_payee"]) == ("open", PRICE, 120)
    assert (view["remaining"], view["refunded"]) == (PRICE - 120, 0)
    paid = httpx.get(f"{node.url}/api/v1/messages/{part.id.hex()}").json()["payload"]
    assert (paid["kind"], paid["amount"], paid["hold_id"]) == ("pay", 120, held.hold_id.hex())
    assert client.hold(held.hold_id).hold.remaining == PRICE - 120
    assert client.balance(address_of(provider)).balance == 120

    over = client.submit(compose_pay(ledger, arbiter, held.hold_id, PRICE - 119).raw)
    assert client.wait_for_confirmation(over.id, timeout=10).conflict is Conflict.NOT_ALLOWED
    confirm(client, compose_settle(ledger, arbiter, held.hold_id, 30).raw)

    view = httpx.get(f"{node.url}/api/v1/holds/{held.hold_id.hex()}").json()
    assert (view["status"], view["to_payee"], view["remaining"]) == ("settled", 150, 0)
    assert view["refunded"] == PRICE - 150
    assert client.balance(address_of(provider)).balance == 150
    assert client.balance(address_of(customer)).balance == FUNDS - 150


def test_unknown_and_malformed_hold_ids(node: RunningNode, client: NodeClient) -> None:
    with pytest.raises(NotFoundError):
        client.hold(bytes(32))
    response = httpx.get(f"{node.url}/api/v1/holds/not-hex")
    assert (response.status_code, response.json()["error"]["code"]) == (400, "invalid_request")
