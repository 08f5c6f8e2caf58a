"""The TangleStore contract: one suite, run against memory, SQLite and PostgreSQL.

The memory store is the reference; a difference in any adapter is a bug there.
Fixtures are in ``conftest.py``, message builders in ``tangle_builders.py``.
"""

from __future__ import annotations

import threading
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tangle_backends import Backend
from tangle_builders import (
    ALICE,
    BOB,
    CAROL,
    ROOT,
    all_pages,
    message,
    paying,
    record,
    solid,
    transfer,
)

from plaza.ledger.model import ConfirmationState, Conflict
from plaza.ledger.ports import NewMessage, TangleStore
from plaza.storage import SchemaVersionError, StorageError


def test_add_then_read_back(store: TangleStore) -> None:
    a, held = message(), message(parents=(b"\x09" * 32,))
    store.add_messages([NewMessage(a, solid=True), NewMessage(held, solid=False)])

    assert store.existing([a.id, held.id, b"\x00" * 32]) == {a.id, held.id}
    assert store.get_raw(a.id) == a.raw
    assert store.get_raw(held.id) == held.raw
    meta_a, meta_held = store.metadata(a.id), store.metadata(held.id)
    assert meta_a is not None
    assert meta_held is not None
    assert (meta_a.id, meta_a.solid, meta_a.milestone_index, meta_a.conflict) == (
        a.id,
        True,
        None,
        Conflict.NONE,
    )
    assert meta_a.state is ConfirmationState.PENDING
    assert meta_held.state is ConfirmationState.HELD
    assert store.message_count() == 2


def test_unknown_ids(store: TangleStore) -> None:
    unknown = b"\x07" * 32
    store.add_messages([])
    store.mark_solid([])
    store.discard([])
    assert store.get_raw(unknown) is None
    assert store.metadata(unknown) is None
    assert store.existing([unknown]) == set()
    assert store.parent_info([unknown]) == {}
    assert store.children(unknown) == []
    assert store.message_count() == 0
    assert store.latest_milestone() is None
    assert store.milestone(1) is None
    assert store.balances() == {}
    assert store.unconfirmed() == []


def test_existing_and_parent_info_beyond_one_chunk(store: TangleStore) -> None:
    stored = [message() for _ in range(1_200)]
    store.add_messages(solid(*stored))
    probe = [m.id for m in stored[::2]] + [
        bytes([9]) * 30 + i.to_bytes(2, "big") for i in range(300)
    ]
    assert store.existing(probe) == {m.id for m in stored[::2]}
    assert set(store.parent_info(probe)) == {m.id for m in stored[::2]}


def test_parent_info_only_for_solid(store: TangleStore) -> None:
    a, held = message(issued_at=5), message(issued_at=6)
    store.add_messages([NewMessage(a, solid=True), NewMessage(held, solid=False)])
    info = store.parent_info([a.id, held.id])
    assert set(info) == {a.id}
    assert (info[a.id].issued_at_ms, info[a.id].milestone_index) == (5, None)


def test_mark_solid(store: TangleStore) -> None:
    held = message()
    store.add_messages([NewMessage(held, solid=False)])
    store.mark_solid([held.id, b"\x05" * 32])
    meta = store.metadata(held.id)
    assert meta is not None
    assert meta.solid
    assert set(store.parent_info([held.id])) == {held.id}
    assert store.message_count() == 1


def test_children_oldest_first_including_held_and_missing_parents(store: TangleStore) -> None:
    missing = b"\x0a" * 32
    parent = message()
    kids = [message(parents=tuple(sorted((parent.id, missing)))) for _ in range(4)]
    store.add_messages(solid(parent))
    store.add_messages([NewMessage(k, solid=False) for k in kids])
    assert store.children(parent.id) == [k.id for k in kids]
    assert store.children(missing, limit=2) == [k.id for k in kids[:2]]
    assert store.children(kids[0].id) == []


def test_discard_removes_message_edges_and_entries(store: TangleStore) -> None:
    parent, kept = message(), message(tag=b"t")
    pay = paying(ALICE, BOB, 5)
    doomed = message(parents=(parent.id,), tag=b"t")
    store.add_messages([*solid(parent, kept), pay, NewMessage(doomed, solid=False)])
    store.add_messages([NewMessage(pay.message, solid=False, entries=pay.entries)])

    store.discard([doomed.id, pay.message.id, b"\x0b" * 32])

    assert store.existing([doomed.id, pay.message.id, parent.id]) == {parent.id}
    assert store.get_raw(doomed.id) is None
    assert store.children(parent.id) == []
    assert store.find_by_tag(b"t").ids == (kept.id,)
    assert store.find_by_address(ALICE).ids == ()
    assert store.history(BOB) == []
    assert store.message_count() == 2
    assert [raw for raw, _ in store.unconfirmed()] == [parent.raw, kept.raw]


def test_find_by_tag_pages_newest_first(store: TangleStore) -> None:
    tagged = [message(tag=b"shop") for _ in range(7)]
    store.add_messages(solid(*tagged[:4], message(tag=b"other"), message()))
    store.add_messages(solid(*tagged[4:]))
    newest_first = [m.id for m in reversed(tagged)]

    first = store.find_by_tag(b"shop", limit=3)
    assert first.ids == tuple(newest_first[:3])
    assert first.next_cursor is not None
    second = store.find_by_tag(b"shop", limit=3, cursor=first.next_cursor)
    assert second.ids == tuple(newest_first[3:6])
    assert second.next_cursor is not None
    last = store.find_by_tag(b"shop", limit=3, cursor=second.next_cursor)
    assert last.ids == tuple(newest_first[6:])
    assert last.next_cursor is None

    exact = store.find_by_tag(b"shop", limit=7)
    assert exact.ids == tuple(newest_first)
    assert exact.next_cursor is None
    assert store.find_by_tag(b"absent").ids == ()
    assert store.find_by_tag(b"") == store.find_by_tag(b"absent")


def test_find_by_address_pages_newest_first(store: TangleStore) -> None:
    payments = [paying(ALICE, BOB, n) for n in range(1, 6)]
    store.add_messages([*payments, paying(CAROL, BOB, 9)])
    alice = [p.message.id for p in reversed(payments)]

    first = store.find_by_address(ALICE, limit=2)
    assert first.ids == tuple(alice[:2])
    assert first.next_cursor is not None
    rest = store.find_by_address(ALICE, limit=10, cursor=first.next_cursor)
    assert rest.ids == tuple(alice[2:])
    assert rest.next_cursor is None
    assert len(store.find_by_address(BOB).ids) == 6
    assert store.find_by_address(b"\x0c" * 32) == store.find_by_address(b"\x0d" * 32)


def test_history_with_deltas_and_confirmation(store: TangleStore) -> None:
    first, second = paying(ALICE, BOB, 10), paying(BOB, ALICE, 3)
    store.add_messages([first, second])
    store.apply_milestone(record(1), [(first.message.id, Conflict.NONE)], {})

    newest, oldest = store.history(BOB)
    assert (newest.message_id, newest.delta, newest.milestone_index) == (
        second.message.id,
        -3,
        None,
    )
    assert (oldest.message_id, oldest.delta, oldest.milestone_index) == (first.message.id, 10, 1)
    assert oldest.issued_at_ms == first.message.issued_at_ms
    assert oldest.conflict is Conflict.NONE
    assert store.history(BOB, limit=1, offset=1) == [oldest]
    assert store.history(BOB, offset=2) == []


def test_apply_milestone(store: TangleStore) -> None:
    good, bad, later = paying(ALICE, BOB, 4), paying(CAROL, BOB, 99), message()
    store.add_messages([good, bad, *solid(later)])
    store.apply_milestone(record(1), [], {ALICE: 10, CAROL: 1})
    confirmed = [(good.message.id, Conflict.NONE), (bad.message.id, Conflict.INSUFFICIENT_FUNDS)]
    store.apply_milestone(record(2, count=2), confirmed, {ALICE: 6, BOB: 4, CAROL: 0})

    assert store.balances() == {ALICE: 6, BOB: 4}
    assert store.milestone(2) == record(2, count=2)
    assert store.milestone(1) == record(1)
    assert store.latest_milestone() == record(2, count=2)
    good_meta, bad_meta = store.metadata(good.message.id), store.metadata(bad.message.id)
    assert good_meta is not None
    assert good_meta.state is ConfirmationState.CONFIRMED
    assert bad_meta is not None
    assert bad_meta.state is ConfirmationState.CONFLICTING
    assert (bad_meta.milestone_index, bad_meta.conflict) == (2, Conflict.INSUFFICIENT_FUNDS)
    assert store.parent_info([good.message.id])[good.message.id].milestone_index == 2
    assert store.unconfirmed() == [(later.raw, True)]
    assert store.history(CAROL)[0].conflict is Conflict.INSUFFICIENT_FUNDS


def test_apply_milestone_is_atomic(store: TangleStore) -> None:
    pay = paying(ALICE, BOB, 4)
    store.add_messages([pay])
    store.apply_milestone(record(1), [], {ALICE: 10})
    with pytest.raises(StorageError):  # the milestone row comes last and collides
        store.apply_milestone(record(1), [(pay.message.id, Conflict.NONE)], {ALICE: 6, BOB: 4})

    assert store.balances() == {ALICE: 10}
    meta = store.metadata(pay.message.id)
    assert meta is not None
    assert meta.milestone_index is None
    assert store.latest_milestone() == record(1)


def test_add_messages_is_atomic(store: TangleStore) -> None:
    fine, too_late = message(tag=b"x"), message(issued_at=2**64 - 1)
    with pytest.raises(StorageError):
        store.add_messages(solid(fine, too_late))
    assert store.message_count() == 0
    assert store.find_by_tag(b"x").ids == ()
    store.add_messages(solid(fine))  # the store still works after the failure
    assert store.existing([fine.id]) == {fine.id}


def test_applied_transfers_since(store: TangleStore) -> None:
    """Confirmed, applied transfers from a time on: what replay protection reloads."""
    early, late = transfer(BOB, 1, issued_at=1_000), transfer(BOB, 2, issued_at=5_000)
    conflicting, pending = transfer(BOB, 3, issued_at=6_000), transfer(BOB, 4, issued_at=7_000)
    data = message(issued_at=8_000)
    store.add_messages(solid(early, late, conflicting, pending, data))
    confirmed = [
        (early.id, Conflict.NONE),
        (late.id, Conflict.NONE),
        (conflicting.id, Conflict.REPLAYED),
        (data.id, Conflict.NONE),
    ]
    store.apply_milestone(record(1), confirmed, {})
    assert store.applied_transfers(0) == [early.raw, late.raw]
    assert store.applied_transfers(5_000) == [late.raw]
    assert store.applied_transfers(9_000) == []


def test_unconfirmed_oldest_first(store: TangleStore) -> None:
    a, b, c = message(), message(), message()
    store.add_messages([NewMessage(a, solid=True), NewMessage(b, solid=False)])
    store.add_messages(solid(c))
    assert store.unconfirmed() == [(a.raw, True), (b.raw, False), (c.raw, True)]
    store.mark_solid([b.id])
    store.apply_milestone(record(1), [(a.id, Conflict.NONE)], {})
    assert store.unconfirmed() == [(b.raw, True), (c.raw, True)]


def test_adding_an_id_twice_changes_nothing(store: TangleStore) -> None:
    """Callers guarantee new ids; a repeat is ignored rather than corrupting the store."""
    parent = message()
    pay = paying(ALICE, BOB, 7)
    kid = message(parents=(parent.id,), tag=b"dup")
    store.add_messages([*solid(parent), pay, NewMessage(kid, solid=False)])
    store.add_messages([NewMessage(kid, solid=True), pay, NewMessage(kid, solid=True)])

    assert store.message_count() == 3
    meta = store.metadata(kid.id)
    assert meta is not None
    assert not meta.solid
    assert store.children(parent.id) == [kid.id]
    assert store.find_by_tag(b"dup").ids == (kid.id,)
    assert [e.delta for e in store.history(ALICE)] == [-7]
    assert store.find_by_address(BOB).ids == (pay.message.id,)


def test_discarded_seq_is_not_reused(store: TangleStore) -> None:
    old, newest = message(tag=b"q"), message(tag=b"q")
    store.add_messages(solid(old, newest))
    cursor = store.find_by_tag(b"q", limit=1).next_cursor
    store.discard([newest.id])
    late = message(tag=b"q")
    store.add_messages(solid(late))
    assert store.find_by_tag(b"q").ids == (late.id, old.id)
    assert store.find_by_tag(b"q", cursor=cursor).ids == (old.id,)


def test_windows_are_checked(store: TangleStore) -> None:
    with pytest.raises(ValueError, match="limit"):
        store.find_by_tag(b"t", limit=0)
    with pytest.raises(ValueError, match="limit"):
        store.children(ROOT, limit=-1)
    with pytest.raises(ValueError, match="offset"):
        store.history(ALICE, offset=-1)


def test_closed_store_refuses_calls(backend: Backend) -> None:
    store = backend.open()
    store.close()
    with pytest.raises(StorageError, match="closed"):
        store.message_count()
    with pytest.raises(StorageError, match="closed"):
        store.add_messages(solid(message()))
    store.close()  # closing twice is harmless


def test_threads_share_one_store(store: TangleStore) -> None:
    def ingest() -> None:
        for _ in range(20):
            store.add_messages(solid(*(message(tag=b"thread") for _ in range(10))))
            store.find_by_tag(b"thread", limit=5)

    threads = [threading.Thread(target=ingest) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert store.message_count() == 800
    assert len(set(all_pages(store, b"thread", 97))) == 800


def test_data_survives_reopening(backend: Backend) -> None:
    if not backend.persistent:
        pytest.skip(f"{backend.name} keeps nothing across close")
    store = backend.open()
    first, pay = message(tag=b"keep"), paying(ALICE, BOB, 2)
    store.add_messages([*solid(first), pay])
    store.apply_milestone(record(1, count=1), [(pay.message.id, Conflict.NONE)], {BOB: 2})
    store.close()

    reopened = backend.open()
    assert reopened.get_raw(first.id) == first.raw
    assert reopened.latest_milestone() == record(1, count=1)
    assert reopened.balances() == {BOB: 2}
    assert reopened.history(ALICE)[0].milestone_index == 1
    second = message(tag=b"keep")
    reopened.add_messages(solid(second))
    assert reopened.find_by_tag(b"keep").ids == (second.id, first.id)


def test_newer_schema_is_refused(backend: Backend) -> None:
    if not backend.persistent:
        pytest.skip(f"{backend.name} has no schema")
    backend.open().close()
    backend.set_schema_version(99)
    with pytest.raises(SchemaVersionError, match="newer"):
        backend.open()


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    batches=st.lists(st.lists(st.booleans(), max_size=12), max_size=5),
    discard_every=st.integers(min_value=0, max_value=4),
    limit=st.integers(min_value=1, max_value=6),
)
def test_paging_loses_and_repeats_nothing(
    store: TangleStore, batches: list[list[bool]], discard_every: int, limit: int
) -> None:
    """Walk every page of a tag mixed with others and discards: each id exactly once, in order."""
    tag = uuid.uuid4().bytes  # the store outlives examples; a fresh tag isolates each one
    expected: list[bytes] = []
    for batch in batches:
        made = [message(tag=tag if mine else b"noise") for mine in batch]
        store.add_messages(solid(*made))
        expected.extend(m.id for m in made if m.tag == tag)
    if discard_every:
        gone = expected[::discard_every]
        store.discard(gone)
        expected = [i for i in expected if i not in gone]
    assert all_pages(store, tag, limit) == expected[::-1]
