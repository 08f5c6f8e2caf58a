"""Replay protection: a signed transfer pays once, however often and late it is attached.

The nonce is outside the signature, so anyone can attach a transfer again under
another nonce (another message id). The ledger remembers what each payer signed
(the transfer key) for ``TRANSFER_TTL_MS`` and refuses transfers older than that.
"""

from __future__ import annotations

from pathlib import Path

from ledger_support import KEYS, SUPPLY, address_of, with_nonce

from plaza.ledger.model import TRANSFER_TTL_MS, Conflict
from plaza.storage.sqlite import SqliteTangleStore
from plaza.testing import FakeClock, build_tangle


def test_a_reattached_transfer_is_marked_replayed_even_in_the_same_milestone() -> None:
    kit = build_tangle(supply=SUPPLY)
    alice, bob, _ = KEYS
    kit.submit(kit.transfer(kit.faucet, {address_of(alice): 500}))
    kit.milestone()
    payment = kit.submit(kit.transfer(alice, {address_of(bob): 100}))
    replay = with_nonce(payment.raw, payment.nonce + 1)
    [result] = kit.tangle.ingest([replay])
    kit.milestone()
    assert kit.tangle.balance(address_of(bob)) == 100
    assert result.message_id is not None
    assert kit.tangle.metadata(result.message_id).conflict is Conflict.REPLAYED
    assert kit.tangle.metadata(payment.id).conflict is Conflict.NONE


def test_a_transfer_confirmed_after_its_time_to_live_is_expired() -> None:
    clock = FakeClock()
    kit = build_tangle(supply=SUPPLY, clock=clock)
    alice, _, _ = KEYS
    late = kit.submit(kit.transfer(kit.faucet, {address_of(alice): 500}))
    clock.advance(ms=TRANSFER_TTL_MS + 1)
    kit.milestone()
    assert kit.tangle.metadata(late.id).conflict is Conflict.EXPIRED
    assert kit.tangle.balance(address_of(alice)) == 0


def test_replay_protection_survives_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "tangle.sqlite3"
    clock = FakeClock()
    alice, bob, _ = KEYS
    store = SqliteTangleStore(path)
    kit = build_tangle(store, supply=SUPPLY, clock=clock)
    kit.submit(kit.transfer(kit.faucet, {address_of(alice): 500}))
    kit.milestone()
    payment = kit.submit(kit.transfer(alice, {address_of(bob): 100}))
    kit.milestone()
    store.close()

    reopened = SqliteTangleStore(path)
    restarted = build_tangle(reopened, supply=SUPPLY, clock=clock)
    assert restarted.tangle.statistics()["remembered_transfers"] == 2
    [result] = restarted.tangle.ingest([with_nonce(payment.raw, payment.nonce + 7)])
    restarted.milestone()
    assert result.message_id is not None
    assert restarted.tangle.metadata(result.message_id).conflict is Conflict.REPLAYED
    assert restarted.tangle.balance(address_of(bob)) == 100
    reopened.close()
