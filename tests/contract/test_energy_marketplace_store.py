"""The MarketplaceStore contract: one suite, run against the memory and SQLite adapters.

It asserts what the energy marketplace relies on: an atomic block lands all of its writes
(settlements, records, events, log) or none; an offer or request keeps the state it first
arrived in and its twin, a contract its terms and signed document, while their latest
state moves; events are numbered in the order stored and a retried letter is found by its
very state; twin channels and the owner rules' standings are kept; and, on SQLite, all of
it survives a restart. The settlements alone are checked with every other adapter of the
market's SettlementStore (``test_market_sql_settlements.py``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Protocol

import pytest

from plaza.crypto import Identity
from plaza.energy.backend.memory import MemoryMarketplaceStore
from plaza.energy.backend.model import (
    AssetRecord,
    EnergyContractRecord,
    RecordEvent,
    TransactionRecord,
)
from plaza.energy.backend.onboarding import OnboardingStore, Standing
from plaza.energy.backend.ports import MarketplaceStore
from plaza.energy.backend.store import SqliteMarketplaceStore
from plaza.energy.envelope import ModuleKey
from plaza.energy.model import (
    AssetType,
    EnergyContract,
    Transaction,
    TransactionStatus,
    TransactionType,
)
from plaza.market.settlement import Contract as Terms
from plaza.market.settlement import Phase, Settlement

T0 = 1_700_000_000_000
KEY = ModuleKey.of(Identity.generate())
CHANNEL = bytes(range(32))
READER_KEY = "cmVhZGVyIGtleSBvZiB0aGUgdHdpbg"  # what reads an asset's whole twin


class Store(MarketplaceStore, OnboardingStore, Protocol):
    """The marketplace's database as the marketplace and its owner rules both use it."""


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    opened: Store = (
        MemoryMarketplaceStore()
        if request.param == "memory"
        else SqliteMarketplaceStore(tmp_path / "marketplace.sqlite3")
    )
    yield opened
    opened.close()


def asset(asset_id: str = "solar-1", **changes: str) -> AssetRecord:
    record = AssetRecord(
        asset_id, "roof", "panels", AssetType.PROVIDER, "Oslo", "http://solar.test", KEY, "w1", "o1"
    )
    return replace(record, **changes)


def offer(
    number: int = 1, status: TransactionStatus = TransactionStatus.INITIAL_OFFER, **changes: str
) -> Transaction:
    return Transaction(
        TransactionType.OFFER,
        status,
        500,
        150,
        str(T0),
        providerId="solar-1",
        providerTransactionId=f"tx-{number}",
        walletAddress="w1",
        **changes,
    )


def request_of(number: int = 1, consumer: str = "ev-1") -> Transaction:
    return Transaction(
        TransactionType.REQUEST,
        TransactionStatus.INITIAL_REQUEST,
        400,
        200,
        str(T0),
        requesterId=consumer,
        requesterTransactionId=f"rq-{number}",
        requesterWalletAddress="w2",
    )


def contract(number: int = 1, consumer: str = "ev-1") -> EnergyContractRecord:
    joined = EnergyContract.join(
        f"c-{number}", offer(number), request_of(number, consumer), now_ms=T0
    )
    return EnergyContractRecord(
        joined, {"message": joined.to_json(), "signature": "sig"}, joined.transaction
    )


def event(record_id: str = "c-1", path: str = "/provision", **changes: object) -> RecordEvent:
    made = RecordEvent(record_id, "in", "solar-1", path, {"b": 2, "a": [1, {"c": 3}]}, on_twin=True)
    return replace(made, **changes)  # type: ignore[arg-type]


def settlement(number: int = 1) -> Settlement:
    terms = Terms(f"c-{number}", "w1", "w2", 400, 150, T0, "energy", 60)
    return Settlement(terms, Phase.CONTRACT_CREATED, T0, T0 + 1000)


def test_an_asset_is_registered_and_its_registration_updated(store: Store) -> None:
    assert store.asset("solar-1") is None
    store.save_asset(asset(), now_ms=T0)
    store.save_asset(asset(location="Bergen", wallet="w9"), now_ms=T0 + 1)
    assert store.asset("solar-1") == asset(location="Bergen", wallet="w9")


def test_an_offer_keeps_its_first_state_and_twin_while_it_moves(store: Store) -> None:
    first = TransactionRecord(offer(), offer(), READER_KEY)
    store.save_transaction(first, now_ms=T0)
    assert store.transaction(TransactionType.OFFER, "tx-1") == first
    contracted = offer(status=TransactionStatus.CONTRACT_CREATED, contractId="c-1")
    store.save_transaction(
        TransactionRecord(contracted, contracted, "another key", "c-1"), now_ms=T0 + 5
    )
    assert store.transaction(TransactionType.OFFER, "tx-1") == TransactionRecord(
        offer(), contracted, READER_KEY, "c-1"
    )
    assert store.transaction(TransactionType.REQUEST, "tx-1") is None  # the side is part of the id


def test_a_contract_keeps_its_terms_while_its_latest_state_moves(store: Store) -> None:
    made = contract()
    store.save_contract(made, status=TransactionStatus.CONTRACT_CREATED, now_ms=T0)
    assert store.contract("c-1") == made
    paid = made.latest.with_status(TransactionStatus.PAYMENT_CONFIRMED, timestamp_ms=T0 + 9)
    other = replace(made, document={"forged": True}, latest=paid, claimed=True)
    store.save_contract(other, status=TransactionStatus.PAYMENT_CONFIRMED, now_ms=T0 + 9)
    assert store.contract("c-1") == replace(made, latest=paid, claimed=True)
    assert store.contract("c-2") is None


def test_claims_are_counted_per_consumer(store: Store) -> None:
    for number, consumer, claimed in [(1, "ev-1", True), (2, "ev-1", False), (3, "ev-2", True)]:
        record = replace(contract(number, consumer), claimed=claimed)
        store.save_contract(record, status=TransactionStatus.CLAIM_ISSUED, now_ms=T0)
    assert (store.claims_against("ev-1"), store.claims_against("ev-2")) == (1, 1)
    assert store.claims_against("nobody") == 0


def test_events_are_numbered_in_order_and_a_retry_is_found_by_its_state(
    store: Store,
) -> None:
    first = store.add_event(event(), now_ms=T0)
    sent = store.add_event(event(direction="out", party="ev-1", cause=first.id), now_ms=T0)
    again = store.add_event(event(path="/reminder"), now_ms=T0)
    assert (first.id, sent.id, again.id) == (1, 2, 3)
    assert first == replace(event(), id=1)
    same_state = {"a": [1, {"c": 3}], "b": 2}  # the same state, its keys in another order
    assert store.find_event("c-1", "solar-1", "/provision", same_state) == first
    assert store.find_event("c-1", "solar-1", "/provision", {"b": 3}) is None
    assert store.find_event("c-1", "ev-1", "/provision", same_state) is None  # sent, not in
    assert store.events("c-1") == [first, sent, again]
    assert store.caused_by(first.id) == [sent]
    assert store.events("c-9") == []


def test_events_wait_for_their_twin_until_marked(store: Store) -> None:
    waiting = store.add_event(event(), now_ms=T0)
    store.add_event(event(on_twin=False), now_ms=T0)
    later = store.add_event(event(path="/claim"), now_ms=T0)
    assert store.pending_twin_events() == [waiting, later]
    store.mark_on_twin(waiting.id, 4, "ab" * 32)
    assert store.pending_twin_events() == [later]
    assert store.events("c-1")[0].twin_position == 4


def test_standings_and_open_bids(store: Store) -> None:
    assert store.standing("solar-1") is None
    told = Standing("solar-1", "o1", "paused", T0)
    store.save_standing(told, now_ms=T0)
    store.save_standing(replace(told, status="deleted"), now_ms=T0 + 1)
    assert store.standing("solar-1") == replace(told, status="deleted")
    for number, contract_id in [(2, ""), (1, ""), (3, "c-3")]:
        state = offer(number)
        store.save_transaction(
            TransactionRecord(state, state, READER_KEY, contract_id), now_ms=T0 + 10 - number
        )
    open_bids = store.open_bids("solar-1")
    assert [record.first.id for record in open_bids] == ["tx-2", "tx-1"]  # as received


def test_a_twin_channel_once_remembered_stays(store: Store) -> None:
    assert store.twin_channel("c-1") is None
    store.remember_twin("c-1", CHANNEL)
    store.remember_twin("c-1", b"\x00" * 32)
    assert store.twin_channel("c-1") == CHANNEL


def test_the_log_is_read_newest_first(store: Store) -> None:
    store.log(now_ms=T0, operation="register", record_id="solar-1", outcome="ok", detail="")
    store.log(now_ms=T0 + 1, operation="offer", record_id="tx-1", outcome="refused", detail="no")
    newest, oldest = store.log_entries()
    assert newest == {
        "at_ms": T0 + 1,
        "operation": "offer",
        "record_id": "tx-1",
        "outcome": "refused",
        "detail": "no",
    }
    assert oldest["operation"] == "register"
    assert store.log_entries(limit=1) == [newest]


def test_statistics_count_records_and_letters_received(store: Store) -> None:
    store.save_asset(asset(), now_ms=T0)
    store.save_transaction(TransactionRecord(offer(), offer(), READER_KEY), now_ms=T0)
    store.save_contract(contract(), status=TransactionStatus.CONTRACT_CREATED, now_ms=T0)
    for path in ("/provision", "/reminder", "/reminder"):
        store.add_event(event(path=path), now_ms=T0)
    store.add_event(event(path="/claim", direction="out"), now_ms=T0)
    assert store.statistics() == {
        "assets": 1,
        "offers": 1,
        "requests": 0,
        "contracts": 1,
        "provisions": 1,
        "payments_processed": 0,
        "payments_confirmed": 0,
        "reminders": 2,
        "claims": 0,
        "cancellations": 0,
    }


def write_a_step_then_fail(store: Store) -> None:
    """A contract step's writes in one atomic block, then the step fails."""
    with store.atomic():
        store.settlements.create(settlement(2))
        stored = store.settlements.get("c-1")
        assert stored is not None
        store.settlements.save(replace(stored, phase=Phase.PROVISION_FINISHED))
        store.save_contract(contract(2), status=TransactionStatus.CONTRACT_CREATED, now_ms=T0)
        store.save_transaction(TransactionRecord(offer(2), offer(2), READER_KEY), now_ms=T0)
        store.save_asset(asset("ev-1"), now_ms=T0)
        store.add_event(event("c-2"), now_ms=T0)
        store.remember_twin("c-2", CHANNEL)
        store.log(now_ms=T0, operation="match", record_id="c-2", outcome="ok", detail="")
        raise RuntimeError("the letter could not be queued")


def test_a_failed_atomic_block_leaves_nothing_behind(store: Store) -> None:
    created = store.settlements.create(settlement(1))
    with pytest.raises(RuntimeError, match="could not be queued"):
        write_a_step_then_fail(store)
    assert store.settlements.get("c-1") == created
    assert store.settlements.get("c-2") is None
    assert store.contract("c-2") is None
    assert store.transaction(TransactionType.OFFER, "tx-2") is None
    assert store.asset("ev-1") is None
    assert store.events("c-2") == []
    assert store.twin_channel("c-2") is None
    assert store.log_entries() == []
    assert store.add_event(event(), now_ms=T0).id == 1  # no number was used up


def test_an_atomic_block_lands_whole_and_a_nested_one_joins_it(store: Store) -> None:
    with store.atomic():
        store.settlements.create(settlement(1))
        with store.atomic():
            store.save_contract(contract(), status=TransactionStatus.CONTRACT_CREATED, now_ms=T0)
        store.add_event(event(), now_ms=T0)
    assert store.settlements.get("c-1") is not None
    assert store.contract("c-1") is not None
    assert len(store.events("c-1")) == 1


def test_no_secret_in_reprs(store: Store) -> None:
    state = offer()
    store.save_transaction(TransactionRecord(state, state, READER_KEY), now_ms=T0)
    store.remember_twin("c-1", CHANNEL)
    shown = repr(store) + repr(store.transaction(TransactionType.OFFER, "tx-1"))
    assert READER_KEY not in shown
    assert CHANNEL.hex() not in shown
    assert repr(CHANNEL) not in shown


def test_the_sqlite_file_keeps_everything_across_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "marketplace.sqlite3"
    first = SqliteMarketplaceStore(path)
    first.save_asset(asset(), now_ms=T0)
    first.save_transaction(TransactionRecord(offer(), offer(), READER_KEY), now_ms=T0)
    first.save_contract(contract(), status=TransactionStatus.PAYMENT_REQUESTED, now_ms=T0)
    first.settlements.create(settlement(1))
    first.add_event(event(), now_ms=T0)
    first.remember_twin("c-1", CHANNEL)
    first.save_standing(Standing("solar-1", "o1", "running", T0), now_ms=T0)
    first.log(now_ms=T0, operation="match", record_id="c-1", outcome="ok", detail="")
    before = (
        first.asset("solar-1"),
        first.transaction(TransactionType.OFFER, "tx-1"),
        first.contract("c-1"),
        first.settlements.get("c-1"),
        first.events("c-1"),
        first.standing("solar-1"),
        first.log_entries(),
        first.statistics(),
    )
    first.close()
    again = SqliteMarketplaceStore(path)
    try:
        assert (
            again.asset("solar-1"),
            again.transaction(TransactionType.OFFER, "tx-1"),
            again.contract("c-1"),
            again.settlements.get("c-1"),
            again.events("c-1"),
            again.standing("solar-1"),
            again.log_entries(),
            again.statistics(),
        ) == before
        assert again.twin_channel("c-1") == CHANNEL
        assert again.add_event(event(), now_ms=T0).id == 2
    finally:
        again.close()


def test_contracts_are_listed_newest_first(store: Store) -> None:
    for number, at in [(1, T0), (2, T0 + 5), (3, T0 + 5)]:
        made = contract(number, f"ev-{number}")
        store.save_contract(made, status=TransactionStatus.CONTRACT_CREATED, now_ms=at)
    later = contract(1).latest.with_status(TransactionStatus.PAYMENT_CONFIRMED, timestamp_ms=T0 + 9)
    store.save_contract(  # a later state does not make a contract newer
        replace(contract(1, "ev-1"), latest=later),
        status=TransactionStatus.PAYMENT_CONFIRMED,
        now_ms=T0 + 9,
    )
    listed = store.contracts(limit=10)
    assert [(c.contract_id, c.consumer, c.created_ms) for c in listed] == [
        ("c-2", "ev-2", T0 + 5),
        ("c-3", "ev-3", T0 + 5),
        ("c-1", "ev-1", T0),
    ]
    assert {c.provider for c in listed} == {contract(1).contract.offer.providerId}
    assert [c.contract_id for c in store.contracts(limit=1)] == ["c-2"]
