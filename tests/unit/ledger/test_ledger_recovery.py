"""Restart: a tangle rebuilt over a reopened SQLite store continues where the old one stopped."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ledger_support import (
    START_MS,
    SUPPLY,
    address_of,
    advance,
    build_history,
    milestone_on,
    operations,
)

from plaza.ledger.admission import IngestStatus
from plaza.ledger.compose import compose
from plaza.ledger.model import ConfirmationState, DataPayload, Message, MessageMetadata
from plaza.ledger.service import GenesisMismatch, Tangle
from plaza.storage.sqlite import SqliteTangleStore
from plaza.testing import FakeClock, TangleKit, build_tangle
from plaza.testing.builders import DEFAULT_SUPPLY, key_from_number

ALICE, BOB = key_from_number(10), key_from_number(11)


def open_kit(
    path: Path, *, now_ms: int | None = None, supply: int = DEFAULT_SUPPLY
) -> tuple[TangleKit, SqliteTangleStore]:
    """A kit over the store at ``path``; the genesis time is the clock's at build time."""
    store = SqliteTangleStore(path)
    clock = FakeClock(START_MS)
    kit = build_tangle(store, clock=clock, supply=supply)
    if now_ms is not None:
        clock.advance(ms=now_ms - clock.now_ms())
    return kit, store


def data_on(kit: TangleKit, name: bytes, parents: list[bytes]) -> Message:
    return compose(
        kit.faucet,
        network_id=kit.network_id,
        parents=parents,
        payload=DataPayload(b"restart", name),
        issued_at_ms=kit.clock.now_ms(),
        work=kit.work,
    )


def everything(tangle: Tangle, ids: list[bytes]) -> dict[bytes, MessageMetadata]:
    return {message_id: tangle.metadata(message_id) for message_id in ids}


def test_restart_keeps_state_and_resumes(tmp_path: Path) -> None:
    path = tmp_path / "t.sqlite3"
    kit, store = open_kit(path)
    tangle = kit.tangle
    advance(kit, seconds=1)

    # Confirmed: a funding transfer and two milestones, one of them a conflicting spend.
    funding = kit.submit(kit.transfer(kit.faucet, {address_of(ALICE): 300}))
    kit.milestone()
    spent = kit.submit(kit.transfer(ALICE, {address_of(BOB): 200}))
    overdraw = kit.submit(kit.transfer(ALICE, {address_of(BOB): 200}))
    kit.milestone()
    advance(kit, seconds=1)
    root = tangle.latest_milestone.message_id

    # Pending: solid and unconfirmed, including a child stored before its parent.
    pending_transfer = kit.submit(kit.transfer(BOB, {address_of(ALICE): 50}))
    early_parent = data_on(kit, b"early-parent", [root])
    early_child = data_on(kit, b"early-child", [early_parent.id])
    assert tangle.submit(early_child.raw).status is IngestStatus.HELD
    assert tangle.submit(early_parent.raw).status is IngestStatus.STORED

    # Held: a chain waiting for a parent that has not arrived.
    absent = data_on(kit, b"absent", [root])
    held_child = data_on(kit, b"held-child", [absent.id])
    held_grandchild = data_on(kit, b"held-grandchild", [held_child.id])
    assert tangle.submit(held_child.raw).status is IngestStatus.HELD
    assert tangle.submit(held_grandchild.raw).status is IngestStatus.HELD

    confirmed = [funding, spent, overdraw]
    pending = [pending_transfer, early_parent, early_child]
    ids = [m.id for m in (*confirmed, *pending, held_child, held_grandchild)]
    assert tangle.metadata(overdraw.id).state is ConfirmationState.CONFLICTING
    before = {
        "metadata": everything(tangle, ids),
        "statistics": tangle.statistics(),
        "root": tangle.state_root(),
        "state": tangle.ledger_state_bytes(),
        "latest": tangle.latest_milestone,
        "tips": sorted(tangle.select_parents(8)),
    }
    now = kit.clock.now_ms()
    store.close()

    kit, store = open_kit(path, now_ms=now)
    tangle = kit.tangle
    try:
        assert tangle.state_root() == before["root"]
        assert tangle.ledger_state_bytes() == before["state"]
        assert tangle.latest_milestone == before["latest"]
        assert everything(tangle, ids) == before["metadata"]
        assert tangle.statistics() == before["statistics"]
        # The child stored before its parent is still a tip, its parent is not.
        assert sorted(tangle.select_parents(8)) == before["tips"]
        assert early_parent.id not in tangle.select_parents(8)
        assert tangle.metadata(held_child.id).state is ConfirmationState.HELD

        # Known messages are still known, in every state.
        for message in (funding, early_child, held_child):
            assert tangle.submit(message.raw).status is IngestStatus.KNOWN

        # The missing parent releases the held chain.
        assert tangle.submit(absent.raw).status is IngestStatus.STORED
        assert tangle.metadata(held_child.id).solid
        assert tangle.metadata(held_grandchild.id).solid
        assert tangle.statistics()["held"] == 0

        # The next milestone confirms everything pending, from before and after the restart.
        kit.milestone()
        for message in (pending_transfer, early_parent, early_child, absent, held_grandchild):
            assert tangle.metadata(message.id).state is ConfirmationState.CONFIRMED
        assert tangle.balance(address_of(ALICE)) == 100 + 50
        assert tangle.balance(address_of(BOB)) == 200 - 50
        assert sum(tangle.balances().values()) == tangle.genesis.supply
        assert tangle.statistics()["pending"] == 0
    finally:
        store.close()

    # And once more: a restart after the new milestone agrees too.
    kit, store = open_kit(path, now_ms=now)
    try:
        assert kit.tangle.latest_milestone.index == 3
        assert kit.tangle.state_root() == kit.tangle.latest_milestone.state_root
    finally:
        store.close()


def test_restart_drops_a_held_child_that_turns_out_older_than_its_parent(
    tmp_path: Path,
) -> None:
    path = tmp_path / "t.sqlite3"
    kit, store = open_kit(path)
    now = kit.clock.now_ms()
    genesis = kit.tangle.genesis.id
    parent = compose(
        kit.faucet,
        network_id=kit.network_id,
        parents=[genesis],
        payload=DataPayload(b"p", b""),
        issued_at_ms=now + 1000,
        work=kit.work,
    )
    child = data_on(kit, b"child", [parent.id])  # issued at ``now``: before its parent
    assert kit.tangle.submit(child.raw).status is IngestStatus.HELD
    store.close()

    kit, store = open_kit(path, now_ms=now)
    try:
        assert kit.tangle.statistics()["held"] == 1
        kit.tangle.submit(parent.raw)
        assert kit.tangle.statistics()["held"] == 0
        assert kit.tangle.statistics()["messages"] == 1
    finally:
        store.close()


def test_restart_with_a_milestone_stored_but_not_yet_applied(tmp_path: Path) -> None:
    """A milestone waiting for its predecessor is stored; after a restart it still applies."""
    source = build_tangle(clock=FakeClock(START_MS))
    root = source.tangle.genesis.id
    x = source.submit(data_on(source, b"x", [root]))
    first = source.submit(milestone_on(source, [x.id]))
    y = source.submit(data_on(source, b"y", [root]))
    second = source.submit(milestone_on(source, [y.id]))

    path = tmp_path / "t.sqlite3"
    kit, store = open_kit(path)
    for message in (y, second):
        kit.tangle.submit(message.raw)
    assert kit.tangle.latest_milestone.index == 0
    store.close()

    kit, store = open_kit(path)
    try:
        assert kit.tangle.latest_milestone.index == 0
        kit.tangle.ingest([first.raw, x.raw])
        assert kit.tangle.latest_milestone.message_id == second.id
        assert kit.tangle.ledger_state_bytes() == source.tangle.ledger_state_bytes()
    finally:
        store.close()


def test_reopening_under_another_genesis_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "t.sqlite3"
    _, store = open_kit(path)
    store.close()
    other = SqliteTangleStore(path)
    try:
        with pytest.raises(GenesisMismatch):
            build_tangle(other, clock=FakeClock(START_MS + 1))
    finally:
        other.close()


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=st.lists(operations, min_size=1, max_size=15), data=st.data())
def test_a_node_restarted_anywhere_ends_where_an_uninterrupted_one_does(
    ops: list[tuple[object, ...]], data: st.DataObject
) -> None:
    """Deliver a generated history in any order to a SQLite node, restarting it at random."""
    history = build_history(ops)
    source = history.tangle
    order = data.draw(st.permutations(history.messages), label="delivery order")
    restarts = data.draw(
        st.lists(st.booleans(), min_size=len(order), max_size=len(order)), label="restarts"
    )
    now = history.kit.clock.now_ms()
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "node.sqlite3"
        kit, store = open_kit(path, now_ms=now, supply=SUPPLY)
        try:
            for message, restart in zip(order, restarts, strict=True):
                kit.tangle.ingest([message.raw])
                if not restart:
                    continue
                before = _comparable(kit.tangle)
                store.close()
                kit, store = open_kit(path, now_ms=now, supply=SUPPLY)
                assert _comparable(kit.tangle) == before
            tangle = kit.tangle
            assert tangle.statistics()["held"] == 0
            assert tangle.latest_milestone == source.latest_milestone
            assert tangle.ledger_state_bytes() == source.ledger_state_bytes()
            for message in history.messages:
                assert tangle.metadata(message.id) == source.metadata(message.id)
        finally:
            store.close()


def _comparable(tangle: Tangle) -> tuple[dict[str, int], bytes, bytes]:
    """What a restart must keep. Not kept: the count of refused milestones, and confirmed
    tips (only unconfirmed ones are rebuilt; with none, parents fall back to the milestone)."""
    statistics = tangle.statistics()
    del statistics["invalid_milestones"], statistics["tips"]
    return statistics, tangle.state_root(), tangle.ledger_state_bytes()
