"""A ``/fund`` letter retried after a lost reply pays once: the user module keys each
funding on (device, ``reference``) and answers a repeated reference with the transfer it
already made. The world (a real node, real SQLite, fake devices) is the one of
``test_energy_owner_service``.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import test_energy_owner_service as kit
from test_energy_owner_service import GRANT, FakeDevice, World, form, fund_body, funded_owner

from plaza.energy.errors import InvalidMessage
from plaza.energy.owner.records import Device
from plaza.energy.owner.store import SqliteOwnerStore
from plaza.energy.owner.transfers import TransferState, WalletTransfer

world = kit.world  # the fixture, under its own name

REFERENCE = "consumer-1:0123456789abcdef01234567"


def onboarded(world: World) -> tuple[str, Device, FakeDevice]:
    owner_id = funded_owner(world)
    device = world.owners.add_device(owner_id, form(type="consumer"))
    return owner_id, device, world.devices.at("http://device-1")


def fund_letter(
    world: World, owner_id: str, device: Device, fake: FakeDevice, **changes: Any
) -> bytes:
    body = fund_body(device.id, fake, **{"reference": REFERENCE, **changes})
    return world.letter(device.id, body, audience=owner_id, signer=fake)


def fundings(world: World, owner_id: str) -> list[dict[str, Any]]:
    transfers = world.owners.owner_wallet(owner_id)["transfers"]
    return [t for t in transfers if t["kind"] == "fund"]


def test_a_retried_fund_letter_pays_once_and_names_the_same_transfer(world: World) -> None:
    owner_id, device, fake = onboarded(world)
    first = world.owners.receive_fund(fund_letter(world, owner_id, device, fake))
    again = world.owners.receive_fund(fund_letter(world, owner_id, device, fake))
    assert again == first == {"messageId": first["messageId"], "amount": 4000}
    world.milestone()
    assert world.balance(fake.address) == 4000
    assert world.owners.owner_wallet(owner_id)["available"] == GRANT - 4000
    assert [t["messageId"] for t in fundings(world, owner_id)] == [first["messageId"]]
    (line, *_) = world.owners.store.log_entries()
    assert (line["operation"], line["outcome"]) == ("letter.fund", "ok")
    assert "(again)" in line["detail"]

    # once confirmed, still the same transfer, whatever the retry asks for now
    later = world.owners.receive_fund(fund_letter(world, owner_id, device, fake, amount=9000))
    assert later == first
    world.milestone()
    assert world.balance(fake.address) == 4000


def test_another_reference_is_another_need_and_is_paid(world: World) -> None:
    owner_id, device, fake = onboarded(world)
    first = world.owners.receive_fund(fund_letter(world, owner_id, device, fake))
    other = world.owners.receive_fund(
        fund_letter(world, owner_id, device, fake, reference=REFERENCE + "-2", amount=1000)
    )
    assert other["messageId"] != first["messageId"]
    world.milestone()
    assert world.balance(fake.address) == 5000
    assert len(fundings(world, owner_id)) == 2


def test_the_same_reference_of_another_device_is_its_own(world: World) -> None:
    owner_id, device, fake = onboarded(world)
    second = world.owners.add_device(owner_id, form("http://device-2", type="consumer"))
    fake2 = world.devices.at("http://device-2")
    first = world.owners.receive_fund(fund_letter(world, owner_id, device, fake))
    other = world.owners.receive_fund(fund_letter(world, owner_id, second, fake2))
    assert other["messageId"] != first["messageId"]
    world.milestone()
    assert (world.balance(fake.address), world.balance(fake2.address)) == (4000, 4000)


def test_a_funding_the_ledger_dropped_is_paid_anew_for_the_same_reference(world: World) -> None:
    owner_id, device, fake = onboarded(world)
    first = world.owners.receive_fund(fund_letter(world, owner_id, device, fake))
    world.owners.store.settle_transfer(first["messageId"], TransferState.EXPIRED)
    again = world.owners.receive_fund(fund_letter(world, owner_id, device, fake))
    assert again["messageId"] != first["messageId"]
    retried = world.owners.receive_fund(fund_letter(world, owner_id, device, fake))
    assert retried == again


def test_a_fund_letter_without_a_valid_reference_is_refused_and_moves_nothing(
    world: World,
) -> None:
    owner_id, device, fake = onboarded(world)
    unreferenced = {k: v for k, v in fund_body(device.id, fake).items() if k != "reference"}
    bodies = [unreferenced]
    bodies += [
        fund_body(device.id, fake, reference=bad)
        for bad in ("", None, 7, ["x"], "x" * 129, "has space", "ü", "a\nb")
    ]
    for body in bodies:
        letter = world.letter(device.id, body, audience=owner_id, signer=fake)
        with pytest.raises(InvalidMessage, match="reference must be"):
            world.owners.receive_fund(letter)
    assert fundings(world, owner_id) == []
    longest = fund_letter(world, owner_id, device, fake, reference="x" * 128)
    assert world.owners.receive_fund(longest)["amount"] == 4000


def test_two_letters_at_once_with_the_same_reference_pay_once(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    owner_id, device, fake = onboarded(world)
    store = world.owners.store
    looked_up = store.funding

    def slow_lookup(device_id: str, reference: str) -> WalletTransfer | None:
        found = looked_up(device_id, reference)
        time.sleep(0.2)  # both letters would find nothing here if the lock did not hold them
        return found

    monkeypatch.setattr(store, "funding", slow_lookup)
    letters = [fund_letter(world, owner_id, device, fake) for _ in range(2)]
    replies: list[dict[str, Any]] = []
    threads = [
        threading.Thread(target=lambda d=d: replies.append(world.owners.receive_fund(d)))
        for d in letters
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(replies) == 2
    assert replies[0] == replies[1]
    assert len(fundings(world, owner_id)) == 1


def test_a_file_made_before_references_gets_the_column_and_keeps_its_transfers(
    tmp_path: Path,
) -> None:
    path = tmp_path / "owner.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute(
            "CREATE TABLE transfers (message_id TEXT PRIMARY KEY, owner_id TEXT NOT NULL,"
            " kind TEXT NOT NULL, counterpart TEXT NOT NULL, amount INTEGER NOT NULL,"
            " device_id TEXT NOT NULL, created_ms INTEGER NOT NULL, state TEXT NOT NULL)"
        )
        db.execute(
            "INSERT INTO transfers VALUES ('aa', 'o1', 'fund', 'plz1x', 5, 'a1', 1, 'pending')"
        )
    db.close()
    store = SqliteOwnerStore(path)
    try:
        (old,) = store.transfers_of("o1", limit=10)
        assert (old.message_id, old.reference) == ("aa", "")
        assert store.funding("a1", "") is None
        store.add_transfer(
            WalletTransfer("bb", "o1", "fund", "plz1x", 6, "a1", 2, reference=REFERENCE)
        )
    finally:
        store.close()
    store = SqliteOwnerStore(path)  # migrated already: opens as it is
    try:
        assert [t.message_id for t in store.transfers_of("o1", limit=10)] == ["bb", "aa"]
        found = store.funding("a1", REFERENCE)
        assert found is not None
        assert (found.message_id, found.amount, found.reference) == ("bb", 6, REFERENCE)
    finally:
        store.close()
    with sqlite3.connect(path) as db:
        columns = [row[1] for row in db.execute("PRAGMA table_info(transfers)")]
    db.close()
    assert columns.count("reference") == 1
