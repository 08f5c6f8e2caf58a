"""Publisher safety: a crash never reuses or skips a position; backups continue the chain."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from channels_support import FlakyGateway, Node, local_node, new_publisher
from hypothesis import given, settings
from hypothesis import strategies as st

from plaza.channels import (
    MAX_CONTENT_SIZE,
    AccessRevoked,
    ChannelMode,
    CursorConflict,
    LedgerUnavailable,
    MemoryCursorStore,
    MessageRefused,
    Publisher,
    Reader,
    WrongBackupPassword,
    export_backup,
    import_backup,
    restore_backup,
)
from plaza.channels.ports import ChannelLedger
from plaza.crypto import Identity, SigningKey
from plaza.testing import FakeClock

FAST = {"opslimit": 1, "memlimit": 8192}  # backups in tests: the format, not the stretching


@pytest.fixture
def node() -> Iterator[Node]:
    with local_node() as running:
        yield running


def _read_all(node: Node, publisher: Publisher) -> list[tuple[int, bytes]]:
    reader = Reader(node.gateway, publisher.reader_key())
    return [(entry.position, entry.content) for entry in reader.read()]


def _owned_messages_at(node: Node, publisher: Publisher, position: int) -> int:
    point = publisher.channel.start().advance(position)
    return len(node.gateway.find_by_tag(point.tag))


@settings(max_examples=12, deadline=None)
@given(
    mode=st.sampled_from(list(ChannelMode)),
    fail_on=st.integers(1, 6),
    after=st.booleans(),
)
def test_a_crash_at_any_submit_neither_reuses_nor_skips(
    mode: ChannelMode, fail_on: int, after: bool
) -> None:
    with local_node() as node:
        publisher, _, store = new_publisher(node, mode)
        flaky = FlakyGateway(node.gateway, fail_on, after=after)
        crashing = _with_gateway(flaky, store, publisher.channel.id)
        contents = [b"reading %d" % number for number in range(6)]
        done = _publish_until_crash(crashing, contents)
        # The process dies here; a new one opens the same cursor store.
        reopened = Publisher.open(node.gateway, store, publisher.channel.id, clock=node.clock)
        for content in contents[done + 1 :]:
            reopened.publish(content)

        entries = _read_all(node, reopened)
        assert [content for _, content in entries] == contents  # in-flight one delivered once
        assert [position for position, _ in entries] == list(range(6))
        assert all(_owned_messages_at(node, reopened, p) == 1 for p in range(6))
        assert reopened.statistics()["resubmitted"] == 1


def _publish_until_crash(publisher: Publisher, contents: list[bytes]) -> int:
    """How many publishes returned before the simulated crash."""
    for done, content in enumerate(contents):
        try:
            publisher.publish(content)
        except LedgerUnavailable:
            return done
    raise AssertionError("the gateway never failed")


def test_a_failed_submit_is_retried_before_the_next_publish(node: Node) -> None:
    publisher, _, store = new_publisher(node, ChannelMode.PRIVATE)
    flaky = FlakyGateway(node.gateway, 2)
    live = _with_gateway(flaky, store, publisher.channel.id)
    live.publish(b"a")
    with pytest.raises(LedgerUnavailable):
        live.publish(b"b")  # saved, not submitted: the node was unreachable
    live.publish(b"c")
    assert [content for _, content in _read_all(node, live)] == [b"a", b"b", b"c"]


def test_a_refused_message_is_signed_again_at_the_same_position(node: Node) -> None:
    publisher, _, store = new_publisher(node, ChannelMode.RESTRICTED)

    class RefusesOnce(FlakyGateway):
        def submit(self, raw: bytes) -> bytes:
            self.submits += 1
            if self.submits == 1:
                raise MessageRefused("timestamp_before_parent", "simulated")
            return super().submit(raw)

    gateway = RefusesOnce(node.gateway, fail_on=0)
    live = _with_gateway(gateway, store, publisher.channel.id)
    published = live.publish(b"x")
    assert published.position == 0
    assert live.statistics()["recomposed"] == 1
    assert [content for _, content in _read_all(node, live)] == [b"x"]


def test_two_writers_on_one_cursor_conflict(node: Node) -> None:
    publisher, _, store = new_publisher(node, ChannelMode.PRIVATE)
    other = Publisher.open(node.gateway, store, publisher.channel.id, clock=node.clock)
    publisher.publish(b"first")
    with pytest.raises(CursorConflict):
        other.publish(b"second")
    assert [content for _, content in _read_all(node, publisher)] == [b"first"]


def test_a_restored_backup_continues_the_chain(node: Node) -> None:
    publisher, _, _store = new_publisher(node, ChannelMode.RESTRICTED)
    kept, dropped = Identity.generate(), Identity.generate()
    publisher.grant(kept.encryption.public_key)
    publisher.grant(dropped.encryption.public_key)
    publisher.publish(b"before backup")
    blob = _backup(publisher)
    publisher.publish(b"after backup")
    dropped_key = publisher.grant(dropped.encryption.public_key)  # re-granted after the backup
    publisher.revoke(dropped.encryption.public_key)
    publisher.publish(b"latest")

    fresh = MemoryCursorStore()  # a new machine: the old store is gone
    restored = restore_backup(fresh, blob, "pw")
    assert restored.position < publisher.position
    reopened = Publisher.open(node.gateway, fresh, restored.channel.id, clock=node.clock)
    assert reopened.position == publisher.position
    assert reopened.epoch == publisher.epoch
    assert [g.reader for g in reopened.state.grants] == [kept.encryption.public_key]
    reopened.publish(b"continued")

    contents = [content for _, content in _read_all(node, reopened)]
    assert contents == [b"before backup", b"after backup", b"latest", b"continued"]
    revoked = Reader(node.gateway, dropped_key, encryption_key=dropped.encryption)
    with pytest.raises(AccessRevoked):
        list(revoked.read())


def _backup(publisher: Publisher) -> bytes:
    return export_backup(publisher.state, "pw", **FAST)


def _with_gateway(gateway: ChannelLedger, store: MemoryCursorStore, channel_id: bytes) -> Publisher:
    """The same cursor, published through another gateway (one that fails on purpose)."""
    state = store.load(channel_id)
    assert state is not None
    return Publisher(gateway, store, state, clock=FakeClock())


def test_a_backup_needs_its_password(node: Node) -> None:
    publisher, _, _ = new_publisher(node, ChannelMode.PRIVATE)
    blob = _backup(publisher)
    assert publisher.channel.secret_bytes not in blob
    assert import_backup(blob, "pw").channel == publisher.channel
    with pytest.raises(WrongBackupPassword):
        import_backup(blob, "not the password")
    with pytest.raises(WrongBackupPassword):
        import_backup(blob[:-1] + bytes([blob[-1] ^ 1]), "pw")


def test_content_up_to_the_limit_fits_one_message(node: Node) -> None:
    publisher, _, _ = new_publisher(node, ChannelMode.RESTRICTED)
    publisher.grant(Identity.generate().encryption.public_key)
    publisher.publish(bytes(MAX_CONTENT_SIZE))
    assert _read_all(node, publisher)[-1][1] == bytes(MAX_CONTENT_SIZE)


def test_positions_taken_by_others_do_not_stop_a_reopened_publisher(node: Node) -> None:
    publisher, _, store = new_publisher(node, ChannelMode.PUBLIC)
    publisher.publish(b"zero")
    node.spam(publisher.channel.start().advance(1).tag, b"squatter")
    node.spam(publisher.channel.start().advance(1).tag, b"x", signer=SigningKey.generate())
    reopened = Publisher.open(node.gateway, store, publisher.channel.id, clock=node.clock)
    assert reopened.position == 1  # spam is not the owner's: the position is still free
    reopened.publish(b"one")
    assert _read_all(node, reopened) == [(0, b"zero"), (1, b"one")]
    state = store.load(publisher.channel.id)
    assert state is not None
    assert state.in_flight is not None
