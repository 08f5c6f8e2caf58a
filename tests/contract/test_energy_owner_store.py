"""The OwnerStore contract: one suite, run against the memory and SQLite adapters.

It asserts what the user module relies on: owner ids are unique and accounts numbered in
the order owners come; a device's id and UUID are unique and its owner must exist, and a
refused device changes nothing; a reported state is filed once; a device's transactions
page newest first by their latest state; a transfer is kept once and its fundings are
found by reference and summed as the owner's cap counts them; removing a device takes its
events and its picture along; allowances are numbered in order, revoked once, and what each paid is
summed from the transfers made from it; secrets (API key hashes, device UUIDs) stay out
of reprs; and, on SQLite, all of it survives a restart. (A file made before transfer
references is migrated: that is the SQLite adapter's own test, in
``tests/unit/energy/owner/test_energy_owner_fund_reference.py``.)
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from plaza.energy.errors import WrongState
from plaza.energy.model import Transaction, TransactionStatus, TransactionType
from plaza.energy.owner.images import DeviceImage
from plaza.energy.owner.memory import MemoryOwnerStore
from plaza.energy.owner.ports import OwnerStore
from plaza.energy.owner.records import (
    Device,
    DeviceEvent,
    DeviceSettings,
    DeviceStats,
    event_digest,
)
from plaza.energy.owner.store import SqliteOwnerStore
from plaza.energy.owner.transfers import TransferState, WalletTransfer

T0 = 1_700_000_000_000
KEY_HASH = b"\x5a" * 32  # a keyed hash of an owner's API key secret
UUID = "a-device-uuid-only-its-owner-knows"


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[OwnerStore]:
    opened: OwnerStore = (
        MemoryOwnerStore() if request.param == "memory" else SqliteOwnerStore(tmp_path / "o.db")
    )
    yield opened
    opened.close()


def device(
    device_id: str = "solar-1",
    owner: str = "o1",
    *,
    uuid: str = UUID,
    created: int = T0,
    **form: Any,
) -> Device:
    settings = DeviceSettings.from_form(
        {
            "type": "provider",
            "name": "roof",
            "uuid": uuid,
            "energyPrice": 2000,
            "minOfferAmount": 200,
            "url": f"http://{device_id}.test",
            **form,
        }
    )
    return Device(device_id, owner, settings, "public key", "wallet-1", created, created)


def report(
    number: int,
    status: TransactionStatus = TransactionStatus.INITIAL_OFFER,
    *,
    price: int = 100,
    at: int = T0,
    device_id: str = "solar-1",
    energy: int = 500,
) -> DeviceEvent:
    state = Transaction(
        TransactionType.OFFER,
        status,
        energy,
        price,
        str(at),
        providerId=device_id,
        providerTransactionId=f"tx-{number}",
        walletAddress="wallet-1",
    )
    return DeviceEvent(device_id, f"tx-{number}", state, "reader key", at, event_digest(state))


def fund(
    message_id: str,
    created: int,
    *,
    amount: int = 10,
    reference: str = "ref-1",
    state: TransferState = TransferState.PENDING,
    device_id: str = "solar-1",
) -> WalletTransfer:
    return WalletTransfer(
        message_id, "o1", "fund", "plz1x", amount, device_id, created, state, reference
    )


def with_owner(store: OwnerStore, owner_id: str = "o1") -> OwnerStore:
    store.add_owner(owner_id, "Ada", KEY_HASH, T0)
    return store


def test_owners_get_accounts_in_order_and_ids_are_unique(store: OwnerStore) -> None:
    first = store.add_owner("o1", "Ada", KEY_HASH, T0)
    second = store.add_owner("o2", "Bo", b"\x01" * 32, T0 + 1)
    assert (first.account, second.account) == (1, 2)
    assert store.owner("o1") == first
    assert store.owner("o1").check_key(KEY_HASH)
    with pytest.raises(WrongState):
        store.add_owner("o1", "Eve", b"\x02" * 32, T0 + 2)
    assert store.owner("o1") == first
    assert store.add_owner("o3", "Cy", KEY_HASH, T0).account == 3
    assert store.owner("nobody") is None


def test_a_device_is_stored_found_by_uuid_and_updated(store: OwnerStore) -> None:
    with_owner(store)
    made = device()
    store.add_device(made)
    assert store.device("solar-1") == made
    assert store.device_by_uuid(UUID) == made
    updated = replace(
        made, settings=made.settings.changed({"energyPrice": 2500}), updated_ms=T0 + 9
    )
    store.update_device(updated)
    assert store.device("solar-1") == updated
    assert store.device("solar-9") is None
    assert store.device_by_uuid("unknown") is None


@pytest.mark.parametrize(
    "refused",
    [device(uuid="another uuid"), device("solar-2"), device("solar-3", "unknown owner", uuid="u3")],
    ids=["same-id", "same-uuid", "unknown-owner"],
)
def test_a_device_taken_or_without_owner_is_refused_and_changes_nothing(
    store: OwnerStore, refused: Device
) -> None:
    with_owner(store)
    store.add_device(device())
    with pytest.raises(WrongState):
        store.add_device(refused)
    assert store.devices_of("o1") == [device()]
    assert store.device_by_uuid(refused.settings.uuid) in (None, device())


def test_an_owners_devices_oldest_first(store: OwnerStore) -> None:
    with_owner(store)
    with_owner(store, "o2")
    store.add_device(device("b", created=T0 + 1, uuid="u-b"))
    store.add_device(device("a", created=T0 + 2, uuid="u-a"))
    store.add_device(device("c", "o2", created=T0, uuid="u-c"))
    assert [d.id for d in store.devices_of("o1")] == ["b", "a"]


def test_a_reported_state_is_filed_once(store: OwnerStore) -> None:
    assert store.add_event(report(1))
    assert not store.add_event(replace(report(1), received_ms=T0 + 5))  # the same state again
    assert store.add_event(report(1, TransactionStatus.CONTRACT_CREATED))
    assert store.add_event(report(1, device_id="wind-1"))  # another device's
    assert [e.transaction.status for e in store.events_of("solar-1", "tx-1")] == [
        TransactionStatus.INITIAL_OFFER,
        TransactionStatus.CONTRACT_CREATED,
    ]
    assert store.events_of("solar-1", "tx-9") == []


def test_transactions_page_newest_first_by_their_latest_state(store: OwnerStore) -> None:
    store.add_event(report(1))
    store.add_event(report(2))
    store.add_event(report(3))
    store.add_event(report(1, TransactionStatus.CANCELLED))
    store.add_event(report(13, device_id="wind-1"))
    total, page = store.transactions("solar-1", status=None, search=None, limit=2, offset=0)
    assert total == 3
    assert [[e.transaction.status for e in events] for events in page] == [
        [TransactionStatus.INITIAL_OFFER],
        [TransactionStatus.INITIAL_OFFER],
    ]
    assert [events[0].transaction_id for events in page] == ["tx-3", "tx-2"]
    _, rest = store.transactions("solar-1", status=None, search=None, limit=2, offset=2)
    assert [[str(e.transaction.status) for e in events] for events in rest] == [
        ["Cancelled", "Initial offer"]  # newest first
    ]
    cancelled = store.transactions("solar-1", status="Cancelled", search=None, limit=9, offset=0)
    assert cancelled[0] == 1
    searched = store.transactions("solar-1", status=None, search="x-3", limit=9, offset=0)
    assert (searched[0], searched[1][0][0].transaction_id) == (1, "tx-3")


def test_device_stats_count_latest_states_and_finished_provisions(store: OwnerStore) -> None:
    assert store.device_stats("solar-1") == DeviceStats(0, 0, 0, 0, 0)
    store.add_event(report(1, price=100))
    store.add_event(report(1, TransactionStatus.PROVISION_FINISHED, price=100, energy=400))
    store.add_event(report(1, TransactionStatus.PAYMENT_CONFIRMED, price=100, energy=400))
    store.add_event(report(2, price=201))
    stats = store.device_stats("solar-1")
    assert (stats.energy_wh, stats.provisions, stats.transactions) == (400, 1, 2)
    assert stats.value == report(1, energy=400).transaction.value
    assert stats.average_price == 151  # (100 + 201) / 2, rounded half up


def test_removing_a_device_removes_its_events(store: OwnerStore) -> None:
    with_owner(store)
    store.add_device(device())
    store.add_event(report(1))
    store.add_transfer(fund("m1", T0))
    store.remove_device("solar-1")
    assert store.device("solar-1") is None
    assert store.events_of("solar-1", "tx-1") == []
    assert store.add_event(report(1))  # filed afresh
    assert [t.message_id for t in store.transfers_of("o1", limit=9)] == ["m1"]  # money stays
    store.add_device(device())  # its UUID is free again


def test_a_devices_picture_is_kept_replaced_and_removed_with_it(store: OwnerStore) -> None:
    with_owner(store)
    store.add_device(device())
    assert store.device_image("solar-1") is None
    png = DeviceImage("image/png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 10)
    store.set_device_image("solar-1", png)
    assert store.device_image("solar-1") == png
    jpeg = DeviceImage("image/jpeg", b"\xff\xd8\xff" + b"\x01" * 10)
    store.set_device_image("solar-1", jpeg)
    assert store.device_image("solar-1") == jpeg
    store.set_device_image("solar-1", None)
    assert store.device_image("solar-1") is None
    store.set_device_image("solar-1", png)
    store.remove_device("solar-1")
    store.add_device(device())  # the same id again: it starts without a picture
    assert store.device_image("solar-1") is None
    store.set_device_image("nowhere", png)  # no device, no picture
    assert store.device_image("nowhere") is None


def test_a_transfer_is_kept_once_and_settled(store: OwnerStore) -> None:
    store.add_transfer(fund("m1", T0, amount=10))
    store.add_transfer(fund("m1", T0, amount=99))  # the same message again: the first stays
    store.add_transfer(replace(fund("m2", T0 + 1), kind="withdraw", reference=""))
    store.add_transfer(replace(fund("m3", T0 + 1), owner_id="o2"))
    assert [(t.message_id, t.amount) for t in store.transfers_of("o1", limit=9)] == [
        ("m2", 10),
        ("m1", 10),
    ]
    assert [t.message_id for t in store.transfers_of("o1", limit=1)] == ["m2"]
    assert [t.message_id for t in store.pending_transfers()] == ["m1", "m2", "m3"]
    store.settle_transfer("m1", TransferState.CONFIRMED)
    assert [t.message_id for t in store.pending_transfers()] == ["m2", "m3"]
    assert store.transfers_of("o1", limit=9)[1].state is TransferState.CONFIRMED


def test_fundings_by_reference_and_what_letters_moved(store: OwnerStore) -> None:
    store.add_transfer(fund("m1", T0, amount=10))
    store.add_transfer(fund("m2", T0 + 5, amount=20, state=TransferState.CONFIRMED))
    store.add_transfer(fund("m3", T0 + 6, amount=40, state=TransferState.EXPIRED))
    store.add_transfer(fund("m4", T0 + 7, amount=80, reference=""))  # by hand
    store.add_transfer(fund("m5", T0 + 8, amount=160, reference="ref-2", device_id="wind-1"))
    newest = store.funding("solar-1", "ref-1")
    assert newest is not None
    assert newest.message_id == "m3"
    assert store.funding("solar-1", "") is None  # no reference is no funding by letter
    assert store.funding("solar-1", "ref-9") is None
    assert store.funded_by_letters("solar-1", since_ms=T0) == 30  # the expired one moved nothing
    assert store.funded_by_letters("solar-1", since_ms=T0 + 1) == 20
    assert [t.message_id for t in store.pending_fundings("solar-1")] == ["m1", "m4"]


def test_the_log_is_read_newest_first(store: OwnerStore) -> None:
    store.log(T0, "owner.create", "-", "ok", "o1")
    store.log(T0 + 1, "device.add", "o1", "error", "refused")
    newest, oldest = store.log_entries()
    assert newest == {
        "at": T0 + 1,
        "operation": "device.add",
        "subject": "o1",
        "outcome": "error",
        "detail": "refused",
    }
    assert oldest["operation"] == "owner.create"
    assert store.log_entries(limit=1) == [newest]


def test_no_secret_in_reprs(store: OwnerStore) -> None:
    with_owner(store)
    store.add_device(device())
    shown = repr(store) + repr(store.owner("o1")) + repr(store.device("solar-1"))
    assert UUID not in shown
    assert KEY_HASH.hex() not in shown
    assert repr(KEY_HASH) not in shown


def test_the_sqlite_file_keeps_everything_across_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "owner.sqlite3"
    first = SqliteOwnerStore(path)
    with_owner(first)
    first.add_device(device())
    first.add_event(report(1))
    first.add_event(report(1, TransactionStatus.PROVISION_FINISHED))
    first.add_transfer(fund("m1", T0))
    first.log(T0, "owner.create", "-", "ok", "o1")
    before = (
        first.owner("o1"),
        first.device_by_uuid(UUID),
        first.events_of("solar-1", "tx-1"),
        first.device_stats("solar-1"),
        first.transfers_of("o1", limit=9),
        first.log_entries(),
    )
    first.close()
    again = SqliteOwnerStore(path)
    try:
        assert (
            again.owner("o1"),
            again.device_by_uuid(UUID),
            again.events_of("solar-1", "tx-1"),
            again.device_stats("solar-1"),
            again.transfers_of("o1", limit=9),
            again.log_entries(),
        ) == before
        assert not again.add_event(report(1))  # still filed
        assert again.add_owner("o2", "Bo", KEY_HASH, T0).account == 2
    finally:
        again.close()


def test_allowances_numbered_newest_first_revoked_once_and_their_payments_summed(
    store: OwnerStore,
) -> None:
    with_owner(store)
    with pytest.raises(WrongState):
        store.add_allowance("nobody", "al-0", 10, "plz1back", T0)
    first = store.add_allowance("o1", "al-1", 1_000, "plz1back", T0)
    second = store.add_allowance("o1", "al-2", 2_000, "plz1back", T0 + 1)
    assert (first.number, second.number, first.active) == (1, 2, True)
    with pytest.raises(WrongState):
        store.add_allowance("o1", "al-1", 5, "plz1back", T0)
    store.revoke_allowance("al-1", T0 + 5)
    store.revoke_allowance("al-1", T0 + 9)  # revoked once: its time stays
    assert [(a.id, a.revoked_ms) for a in store.allowances_of("o1")] == [
        ("al-2", None),
        ("al-1", T0 + 5),
    ]
    paid = [
        WalletTransfer("m1", "o1", "fund", "plz1dev", 300, "d1", T0, allowance="al-2"),
        WalletTransfer("m2", "o1", "fund", "plz1dev", 200, "d1", T0, allowance="al-2"),
        WalletTransfer("m3", "o1", "fund", "plz1dev", 999, "d1", T0),  # the owner's wallet
        WalletTransfer("m4", "o1", "return", "plz1back", 50, "", T0, allowance="al-2"),
    ]
    for transfer in paid:
        store.add_transfer(transfer)
    store.settle_transfer("m2", TransferState.CONFLICTING)  # moved nothing
    assert store.allowance_paid("al-2") == 300
    assert store.allowance_paid("al-1") == 0
    assert {t.message_id: t.allowance for t in store.transfers_of("o1", limit=9)} == {
        "m1": "al-2",
        "m2": "al-2",
        "m3": "",
        "m4": "al-2",
    }
