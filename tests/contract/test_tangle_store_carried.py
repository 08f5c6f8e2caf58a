"""Carried messages in the TangleStore contract: filed under their tags, read by id with
their carrier's confirmation, and invisible to everything that walks the tangle."""

from __future__ import annotations

import pytest
from tangle_backends import Backend
from tangle_builders import all_pages, carried, carrier, message, record, solid

from plaza.ledger.model import CARRIED_PARENT, ConfirmationState, Conflict, MessageMetadata
from plaza.ledger.ports import TangleStore


def filed_metadata(store: TangleStore, message_id: bytes) -> MessageMetadata:
    metadata = store.metadata(message_id)
    assert metadata is not None
    return metadata


def test_carried_messages_are_read_by_id_and_tag_but_are_no_tangle_messages(
    store: TangleStore,
) -> None:
    x, y = carried(b"alpha"), carried(b"beta")
    c = carrier(x, y)
    store.add_messages(solid(c))
    store.file_carried([(c.id, x), (c.id, y)])

    assert store.get_raw(x.id) == x.raw
    assert store.find_by_tag(b"alpha").ids == (x.id,)
    assert store.find_by_tag(b"beta").ids == (y.id,)
    meta = filed_metadata(store, x.id)
    assert (meta.id, meta.solid, meta.milestone_index, meta.carrier) == (x.id, True, None, c.id)
    assert meta.state is ConfirmationState.PENDING
    assert filed_metadata(store, c.id).carrier is None
    assert store.carriers_of([x.id, y.id, c.id, bytes([9]) * 32]) == {x.id: c.id, y.id: c.id}
    assert store.existing([x.id, y.id, c.id]) == {x.id, y.id, c.id}
    # Nothing that walks the tangle sees them.
    assert store.parent_info([x.id, c.id]).keys() == {c.id}
    assert store.children(CARRIED_PARENT) == []
    assert store.unconfirmed() == [(c.raw, True)]
    assert store.message_count() == 1


def test_carried_messages_follow_their_carriers_confirmation(store: TangleStore) -> None:
    x = carried(b"alpha")
    c, later = carrier(x), message()
    store.add_messages(solid(c, later))
    store.file_carried([(c.id, x)])
    store.apply_milestone(record(1, count=1), [(c.id, Conflict.NONE)], {})

    meta = filed_metadata(store, x.id)
    assert (meta.milestone_index, meta.conflict, meta.carrier) == (1, Conflict.NONE, c.id)
    assert meta.state is ConfirmationState.CONFIRMED
    assert store.unconfirmed() == [(later.raw, True)]
    assert store.applied_transfers(0) == []


def test_a_carried_message_in_a_second_carrier_stays_under_the_first(store: TangleStore) -> None:
    x, z = carried(b"alpha"), carried(b"alpha")
    first, second = carrier(x), carrier(x, z)
    store.add_messages(solid(first, second))
    store.file_carried([(first.id, x)])
    store.file_carried([(second.id, x), (second.id, z)])
    store.file_carried([(first.id, x)])  # filing again changes nothing

    assert store.carriers_of([x.id, z.id]) == {x.id: first.id, z.id: second.id}
    assert store.find_by_tag(b"alpha").ids == (z.id, x.id)
    store.apply_milestone(record(1, count=1), [(second.id, Conflict.NONE)], {})
    assert filed_metadata(store, x.id).milestone_index is None  # its carrier is the first
    assert filed_metadata(store, z.id).milestone_index == 1
    assert store.message_count() == 2


@pytest.mark.parametrize("limit", [1, 2, 3, 5])
def test_tag_pages_mix_carried_and_tangle_messages_newest_first(
    store: TangleStore, limit: int
) -> None:
    expected: list[bytes] = []
    for round_ in range(3):
        plain = message(tag=b"mixed")
        bundle = [carried(b"mixed"), carried(b"other"), carried(b"mixed")]
        c = carrier(*bundle)
        store.add_messages(solid(plain, c))
        store.file_carried([(c.id, m) for m in bundle])
        expected += [plain.id, bundle[0].id, bundle[2].id]
        if round_ == 1:  # a tangle message stored after the carrier comes after its messages
            after = message(tag=b"mixed")
            store.add_messages(solid(after))
            expected.append(after.id)
    assert all_pages(store, b"mixed", limit) == expected[::-1]


def test_an_existing_version_1_database_gains_carried_messages(backend: Backend) -> None:
    if not backend.persistent:
        pytest.skip(f"{backend.name} has no schema")
    store = backend.open()
    kept = message(tag=b"alpha")
    store.add_messages(solid(kept))
    store.close()
    # What version 1 left: no carrier column, the unconfirmed index over every row.
    backend.execute("DROP INDEX messages_unconfirmed_tangle")
    backend.execute("ALTER TABLE messages DROP COLUMN carrier")
    backend.execute(
        "CREATE INDEX messages_unconfirmed ON messages (seq) WHERE milestone_index IS NULL"
    )
    backend.set_schema_version(1)

    reopened = backend.open()
    x = carried(b"alpha")
    c = carrier(x)
    reopened.add_messages(solid(c))
    reopened.file_carried([(c.id, x)])
    assert reopened.find_by_tag(b"alpha").ids == (x.id, kept.id)
    assert filed_metadata(reopened, x.id).carrier == c.id
    assert reopened.unconfirmed() == [(kept.raw, True), (c.raw, True)]
    reopened.close()
    backend.open().close()  # now at version 2: opening again migrates nothing
