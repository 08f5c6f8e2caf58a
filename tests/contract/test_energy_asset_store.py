"""The AssetStore contract: one suite, run against the memory and SQLite adapters.

It asserts what the asset module relies on: a state change moves its record, event,
pool, queue and log together or not at all; a record keeps the time it was first stored;
the payment queue keeps first-queued order; a twin channel once remembered stays; and, on
SQLite, all of it survives a restart. The device's payments are the market's settlements
(``store.settlements``), checked by the market's SettlementStore contract
(``test_market_sql_settlements.py``, which runs on these stores too).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from plaza.energy.asset.config import Change, OwnTransaction, Pool
from plaza.energy.asset.memory import MemoryAssetStore
from plaza.energy.asset.ports import AssetStore
from plaza.energy.asset.store import SqliteAssetStore
from plaza.energy.model import EnergyContract, Transaction, TransactionStatus, TransactionType
from plaza.market.settlement import Phase, PreparedPayment, Settlement

T0 = 1_700_000_000_000
CHANNEL = bytes(range(32))  # a twin's channel id: what opens the twin to its writer
PAYMENT = PreparedPayment(b"\x07" * 32, b"signed transfer bytes", 120)


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[AssetStore]:
    opened: AssetStore = (
        MemoryAssetStore()
        if request.param == "memory"
        else SqliteAssetStore(tmp_path / "energy_broker.sqlite3")
    )
    yield opened
    opened.close()


def offer(
    number: int, status: TransactionStatus = TransactionStatus.INITIAL_OFFER, **changes: Any
) -> Transaction:
    return Transaction(
        TransactionType.OFFER,
        status,
        500,
        150,
        str(T0),
        providerId="solar-1",
        providerTransactionId=f"tx-{number}",
        walletAddress="wallet-1",
        **changes,
    )


def change(state: Transaction, *, created: int = T0, now: int = T0, **moves: Any) -> Change:
    record = OwnTransaction(state.id, state, created_ms=created, idle_since_ms=now)
    return Change(record, "offer", f"msg-{state.status}", **moves)


def contract_of(state: Transaction, number: int = 1) -> EnergyContract:
    request = Transaction(
        TransactionType.REQUEST,
        TransactionStatus.INITIAL_REQUEST,
        state.energyAmount,
        200,
        str(T0),
        requesterId="ev-1",
        requesterTransactionId="rq-1",
        requesterWalletAddress="wallet-2",
    )
    return EnergyContract.join(f"c-{number}", state, request, now_ms=T0 + 5)


def test_configuration_is_none_until_saved_then_replaced(store: AssetStore) -> None:
    assert store.load_config() is None
    store.save_config({"assetId": "solar-1", "status": "running"}, now_ms=T0)
    store.save_config({"assetId": "solar-1", "status": "paused"}, now_ms=T0 + 1)
    assert store.load_config() == {"assetId": "solar-1", "status": "paused"}
    assert [line["operation"] for line in store.log_lines()] == ["init", "init"]


def test_the_pool_moves_by_what_is_added_and_says_what_it_holds(store: AssetStore) -> None:
    assert store.pool() == Pool(0, 0)
    assert store.add_energy(700, now_ms=T0, operation="produce") == Pool(700, 0)
    assert store.add_energy(-200, now_ms=T0, operation="consume") == Pool(500, 0)
    assert store.pool().available == 500
    assert store.log_lines(limit=1)[0]["detail"] == "-200 Wh"


def test_a_change_stores_the_record_its_event_and_moves_the_pool(store: AssetStore) -> None:
    first = offer(1)
    store.apply(change(first, reserved=500, energy=0))
    contracted = offer(1, TransactionStatus.CONTRACT_CREATED, contractId="c-1")
    later = replace(
        change(contracted, created=T0 + 99, now=T0 + 10).record, contract=contract_of(first)
    )
    store.apply(Change(later, "contract", "msg-2", reserved=0))
    record = store.record("tx-1")
    assert record is not None
    assert (record.state, record.contract) == (contracted, contract_of(first))
    assert (record.created_ms, record.idle_since_ms) == (T0, T0 + 10)  # created when first stored
    assert store.first_state("tx-1") == first.to_json()
    assert [(e["at"], e["state"]["status"], e["twinMessage"]) for e in store.events("tx-1")] == [
        (T0, "Initial offer", "msg-Initial offer"),
        (T0 + 10, "Contract created", "msg-2"),
    ]
    assert store.pool() == Pool(0, 500)
    assert store.record("missing") is None
    assert store.first_state("missing") is None
    assert store.events("missing") == []


def test_records_by_latest_status_oldest_first(store: AssetStore) -> None:
    store.apply(change(offer(3), created=T0 + 2))
    store.apply(change(offer(2), created=T0 + 1))
    store.apply(change(offer(1, TransactionStatus.CANCELLED), created=T0 + 1))
    assert [r.id for r in store.records()] == ["tx-1", "tx-2", "tx-3"]
    assert [r.id for r in store.records([TransactionStatus.INITIAL_OFFER])] == ["tx-2", "tx-3"]
    assert store.records([]) == []
    assert store.counts() == {"Initial offer": 2, "Cancelled": 1}


def test_a_failed_change_leaves_nothing_behind(store: AssetStore) -> None:
    """The pool cannot take the change (past what a 64-bit column holds): the record, its
    event, its place in the queue and its log line are not stored either."""
    store.apply(change(offer(1), energy=10))
    lines = store.log_lines()
    with pytest.raises(OverflowError):
        store.apply(change(offer(2), energy=2**64, queue=True))
    assert store.record("tx-2") is None
    assert store.events("tx-2") == []
    assert store.pool() == Pool(10, 0)
    assert store.queued(10) == []
    assert store.log_lines() == lines


def paying(store: AssetStore, state: Transaction) -> Settlement:
    """The device's payment of ``state``'s contract, prepared and kept."""
    contract = contract_of(state).to_settlement()
    return store.settlements.create(
        Settlement(contract, Phase.PAYMENT_PROCESSED, T0, T0, payment=PAYMENT)
    )


def test_the_queue_keeps_first_queued_order(store: AssetStore) -> None:
    for number in (1, 2, 3):
        store.apply(change(offer(number), queue=True))
    store.touch("tx-1", now_ms=T0 + 50, queue=True)  # queued already: keeps its place
    assert [r.id for r in store.queued(10)] == ["tx-1", "tx-2", "tx-3"]
    assert store.record("tx-1").idle_since_ms == T0 + 50  # type: ignore[union-attr]
    store.touch("tx-1", now_ms=T0 + 60, queue=False)
    store.touch("tx-1", now_ms=T0 + 70, queue=True)  # back at the end
    store.touch("tx-2", now_ms=T0 + 80, queue=False)  # paid: out of the queue
    assert [r.id for r in store.queued(10)] == ["tx-3", "tx-1"]
    assert [r.id for r in store.queued(1)] == ["tx-3"]
    store.touch("never-stored", now_ms=T0, queue=True)
    assert "never-stored" not in [r.id for r in store.queued(10)]


def test_a_twin_channel_once_remembered_stays(store: AssetStore) -> None:
    assert store.twin_channel("tx-1") is None
    store.remember_twin("tx-1", CHANNEL)
    store.remember_twin("tx-1", b"\x00" * 32)
    assert store.twin_channel("tx-1") == CHANNEL


def test_the_log_is_read_newest_first_and_long_details_are_cut(store: AssetStore) -> None:
    store.log("resend", "x" * 5000, now_ms=T0, record_id="tx-1")
    store.log("letter_refused", "refused", now_ms=T0 + 1, ok=False)
    newest, oldest = store.log_lines()
    assert (newest["operation"], newest["ok"], newest["recordId"]) == ("letter_refused", False, "")
    assert (oldest["recordId"], len(oldest["detail"])) == ("tx-1", 1000)
    assert store.log_lines(limit=1) == [newest]


def test_no_secret_in_the_stores_repr(store: AssetStore) -> None:
    store.remember_twin("tx-1", CHANNEL)
    store.apply(change(offer(1)))
    paying(store, offer(1))
    shown = repr(store)
    assert CHANNEL.hex() not in shown
    assert repr(CHANNEL) not in shown
    assert repr(PAYMENT.raw) not in shown


def test_the_sqlite_file_keeps_everything_across_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "energy_broker.sqlite3"
    first = SqliteAssetStore(path)
    first.save_config({"assetId": "solar-1"}, now_ms=T0)
    first.apply(change(offer(1), energy=300, reserved=100, queue=True))
    first.apply(change(offer(2), queue=True))
    kept = paying(first, offer(2))
    first.touch("tx-2", now_ms=T0, queue=False)  # paying: out of the queue
    first.remember_twin("tx-1", CHANNEL)
    before = (first.records(), first.events("tx-1"), first.log_lines(), first.counts())
    first.close()
    again = SqliteAssetStore(path)
    try:
        assert again.load_config() == {"assetId": "solar-1"}
        assert again.pool() == Pool(300, 100)
        assert (again.records(), again.events("tx-1"), again.log_lines(), again.counts()) == before
        assert [r.id for r in again.queued(10)] == ["tx-1"]
        assert again.settlements.get(kept.id) == kept
        assert again.twin_channel("tx-1") == CHANNEL
    finally:
        again.close()


def test_payments_a_device_prepared_in_its_old_table_become_its_settlements(
    tmp_path: Path,
) -> None:
    """A device's file from before its payments were the market's settlements: each payment
    in its ``prepared_payments`` table is kept (in flight, or confirmed), never prepared again."""
    path = tmp_path / "energy_broker.sqlite3"
    first = SqliteAssetStore(path)
    for number in (1, 2):
        contracted = offer(number, TransactionStatus.PAYMENT_REQUESTED, contractId=f"c-{number}")
        record = replace(change(contracted).record, contract=contract_of(contracted, number))
        first.apply(Change(record, "payment_requested", "msg", queue=True))
    first.close()
    with sqlite3.connect(path) as db:
        db.execute(
            "CREATE TABLE prepared_payments (record_id TEXT PRIMARY KEY, contract_id TEXT, "
            "message_id BLOB, raw BLOB, amount INTEGER, saved_ms INTEGER, confirmed INTEGER)"
        )
        db.execute(
            "INSERT INTO prepared_payments VALUES (?, ?, ?, ?, ?, ?, ?)",
            ("tx-1", "c-1", PAYMENT.message_id, PAYMENT.raw, PAYMENT.amount, T0, 0),
        )
        db.execute(
            "INSERT INTO prepared_payments VALUES (?, ?, ?, ?, ?, ?, ?)",
            ("tx-2", "c-2", b"\x08" * 32, b"paid", 9, T0, 1),
        )
    db.close()
    again = SqliteAssetStore(path)
    try:
        in_flight, paid = again.settlements.get("c-1"), again.settlements.get("c-2")
        assert in_flight is not None
        assert paid is not None
        assert (in_flight.phase, in_flight.payment) == (Phase.PAYMENT_PROCESSED, PAYMENT)
        assert (paid.phase, paid.payment) == (
            Phase.FULFILLED,
            PreparedPayment(b"\x08" * 32, b"paid", 9),
        )
        assert in_flight.contract == contract_of(offer(1), 1).to_settlement()
    finally:
        again.close()
    SqliteAssetStore(path).close()  # opened again: adopted once, nothing left to adopt
