"""The SettlementStore contract: one suite, run against memory, SQLite and PostgreSQL, the
energy marketplace's file (the SQL store on its engine) and in-memory tables (its settlements
commit with its events), and an energy device's file and memory store (its own payments)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from market_sql_backends import ALL_BACKENDS, fresh_engine

from plaza.energy.asset.memory import MemoryAssetStore
from plaza.energy.asset.store import SqliteAssetStore
from plaza.energy.backend.memory import MemoryMarketplaceStore
from plaza.energy.backend.store import SqliteMarketplaceStore
from plaza.market.settlement import (
    ConcurrentUpdate,
    Contract,
    MemorySettlementStore,
    Phase,
    PreparedPayment,
    Settlement,
    SettlementStore,
)
from plaza.market.sql import SqlSettlementStore


@pytest.fixture(
    params=[*ALL_BACKENDS, "energy-sqlite", "energy-memory", "asset-sqlite", "asset-memory"]
)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SettlementStore]:
    if request.param == "memory":
        yield MemorySettlementStore()
        return
    if request.param == "energy-sqlite":  # the energy marketplace's file, in its unit of work
        marketplace = SqliteMarketplaceStore(tmp_path / "marketplace.sqlite3")
        yield marketplace.settlements
        marketplace.close()
        return
    if request.param == "energy-memory":  # the energy marketplace's tables in memory
        yield MemoryMarketplaceStore().settlements
        return
    if request.param == "asset-sqlite":  # an energy device's file: its own payments
        device = SqliteAssetStore(tmp_path / "energy_broker.sqlite3")
        yield device.settlements
        device.close()
        return
    if request.param == "asset-memory":
        yield MemoryAssetStore().settlements
        return
    with fresh_engine(request.param, request, tmp_path) as engine:
        yield SqlSettlementStore(engine)


def settlement(
    number: int,
    *,
    consumer: str = "ev",
    phase: Phase = Phase.CONTRACT_CREATED,
    deadline: int = 5_000,
) -> Settlement:
    contract = Contract(f"contract-{number:03}", "solar", consumer, 10 + number, 7, 1_000 + number)
    return Settlement(contract, phase, 1_000, deadline)


def test_create_get_and_create_again(store: SettlementStore) -> None:
    first = settlement(1)
    assert store.create(first) == first
    assert store.get("contract-001") == first
    assert store.create(replace(first, reminders=2)) == first  # the existing one wins
    assert store.get("missing") is None


def test_a_priced_contract_keeps_its_kind_and_value(store: SettlementStore) -> None:
    """A kind's own price (energy: Wh at a price per kWh) is what the settlement charges,
    after a reload too; an unpriced contract keeps quantity times unit price."""
    plain = settlement(1)
    terms = {"id": "contract-002", "kind": "energy", "quantity": 3_000, "unit_price": 250}
    priced = replace(plain, contract=replace(plain.contract, **terms, value=750))
    for stored in (plain, priced):
        store.create(stored)
        assert store.get(stored.id) == stored
    assert store.get("contract-001").contract.total == 11 * 7  # type: ignore[union-attr]
    assert store.get("contract-002").contract.total == 750  # type: ignore[union-attr]


def test_save_increments_the_version_and_keeps_the_payment(store: SettlementStore) -> None:
    created = store.create(settlement(1))
    payment = PreparedPayment(b"\x01" * 32, b"raw transfer bytes", 77)
    moved = replace(created, phase=Phase.PAYMENT_REQUESTED, payment=payment, reminders=1)
    saved = store.save(moved)
    assert saved.version == created.version + 1
    assert store.get(created.id) == saved


def test_a_stale_save_is_refused_and_changes_nothing(store: SettlementStore) -> None:
    created = store.create(settlement(1))
    winner = store.save(replace(created, phase=Phase.PROVISION_FINISHED))
    with pytest.raises(ConcurrentUpdate):
        store.save(replace(created, phase=Phase.CANCELLED))
    assert store.get(created.id) == winner
    with pytest.raises(ConcurrentUpdate):
        store.save(settlement(9))  # never created


def test_find_by_phase_consumer_and_deadline(store: SettlementStore) -> None:
    for number, (consumer, phase, deadline) in enumerate(
        [
            ("ev", Phase.PAYMENT_REQUESTED, 100),
            ("ev", Phase.PAYMENT_REQUESTED, 900),
            ("heat-pump", Phase.PAYMENT_REQUESTED, 100),
            ("ev", Phase.FULFILLED, 100),
        ]
    ):
        store.create(settlement(number, consumer=consumer, phase=phase, deadline=deadline))
    requested = store.find({Phase.PAYMENT_REQUESTED})
    assert [s.id for s in requested] == ["contract-000", "contract-001", "contract-002"]
    assert [s.id for s in store.find({Phase.PAYMENT_REQUESTED}, consumer="ev")] == [
        "contract-000",
        "contract-001",
    ]
    due = store.find({Phase.PAYMENT_REQUESTED, Phase.FULFILLED}, due_before_ms=500)
    assert [s.id for s in due] == ["contract-000", "contract-002", "contract-003"]
    assert len(store.find(set(Phase), limit=2)) == 2


def test_concurrent_saves_of_one_version_have_one_winner(store: SettlementStore) -> None:
    created = store.create(settlement(1))
    outcomes: list[str] = []

    def save(reminders: int) -> None:
        try:
            store.save(replace(created, reminders=reminders))
            outcomes.append("saved")
        except ConcurrentUpdate:
            outcomes.append("refused")

    threads = [threading.Thread(target=save, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["refused"] * 7 + ["saved"]
