"""Carriers in the tangle: their messages filed, announced and confirmed with them, yet
never tangle messages themselves (no tips, no count, never accepted alone)."""

from __future__ import annotations

from pathlib import Path

import pytest
from ledger_support import START_MS

from plaza.ledger.admission import IngestStatus
from plaza.ledger.carriers import is_carried_raw
from plaza.ledger.codec import assemble
from plaza.ledger.compose import compose_carried
from plaza.ledger.errors import CarriedAlone, InvalidCarrier
from plaza.ledger.events import LedgerEvent, MessageAttached, MessageConfirmed
from plaza.ledger.model import (
    CARRIED_PARENT,
    CarrierPayload,
    ConfirmationState,
    DataPayload,
    Message,
)
from plaza.storage.sqlite import SqliteTangleStore
from plaza.testing import FakeClock, TangleKit, build_tangle
from plaza.testing.builders import key_from_number

PUBLISHERS = [key_from_number(n) for n in (40, 41, 42)]


class Recorder:
    def __init__(self) -> None:
        self.events: list[LedgerEvent] = []

    def publish(self, event: LedgerEvent) -> None:
        self.events.append(event)

    def attached(self) -> list[tuple[bytes, bytes | None]]:
        return [(e.message.id, e.carrier) for e in self.events if isinstance(e, MessageAttached)]

    def confirmed(self) -> dict[bytes, int]:
        return {
            e.message_id: e.milestone_index for e in self.events if isinstance(e, MessageConfirmed)
        }


def carried(kit: TangleKit, n: int, tag: bytes = b"twin") -> Message:
    payload = DataPayload(tag, b"reading %d" % n)
    signer = PUBLISHERS[n % len(PUBLISHERS)]
    return compose_carried(
        signer, network_id=kit.network_id, payload=payload, issued_at_ms=kit.clock.now_ms()
    )


def carrier(kit: TangleKit, *messages: Message, parents: list[bytes] | None = None) -> Message:
    return kit.compose(kit.faucet, CarrierPayload(messages), parents=parents)


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def kit(recorder: Recorder) -> TangleKit:
    return build_tangle(events=recorder)


def test_a_carrier_files_announces_and_confirms_its_messages(
    kit: TangleKit, recorder: Recorder
) -> None:
    x, y = carried(kit, 1), carried(kit, 2, b"other")
    before = kit.tangle.statistics()["messages"]
    c = carrier(kit, x, y)
    assert kit.tangle.submit(c.raw).status is IngestStatus.STORED

    tangle = kit.tangle
    assert tangle.get_message(x.id) == x
    assert tangle.find_by_tag(b"twin").ids == (x.id,)
    assert tangle.metadata(y.id).carrier == c.id
    assert recorder.attached()[-3:] == [(c.id, None), (x.id, c.id), (y.id, c.id)]
    assert tangle.statistics()["messages"] == before + 1
    assert set(tangle.select_parents(8)) == {c.id}
    assert tangle.children(CARRIED_PARENT) == []

    kit.milestone()
    meta = tangle.metadata(x.id)
    assert meta.state is ConfirmationState.CONFIRMED
    assert meta.milestone_index == tangle.metadata(c.id).milestone_index == 1
    assert recorder.confirmed().keys() >= {c.id, x.id, y.id}


def test_a_carried_message_alone_is_refused_before_and_after_it_is_filed(kit: TangleKit) -> None:
    x = carried(kit, 1)
    with pytest.raises(CarriedAlone, match="only inside a carrier"):
        kit.tangle.submit(x.raw)
    kit.tangle.submit(carrier(kit, x).raw)
    with pytest.raises(CarriedAlone):
        kit.tangle.submit(x.raw)  # filed is not "known": it still does not travel alone
    also_zero = kit.compose(
        kit.faucet, DataPayload(b"t", b""), parents=[CARRIED_PARENT, kit.data().id]
    )
    with pytest.raises(CarriedAlone):
        kit.tangle.submit(also_zero.raw)


def test_a_carried_message_with_a_bad_signature_refuses_its_carrier(kit: TangleKit) -> None:
    good, bad = carried(kit, 1), carried(kit, 2)
    forged = assemble(bad.essence, good.signature, 0)  # the codec checks no signature
    with pytest.raises(InvalidCarrier, match="carried message 1: issuer signature"):
        kit.tangle.submit(carrier(kit, good, forged).raw)
    assert kit.tangle.find_by_tag(b"twin").ids == ()


def test_a_message_in_a_second_carrier_stays_with_the_first(
    kit: TangleKit, recorder: Recorder
) -> None:
    x, z = carried(kit, 1), carried(kit, 2)
    first = kit.submit(carrier(kit, x))
    second = kit.submit(carrier(kit, x, z))  # a publisher that crashed sends x again

    assert kit.tangle.metadata(x.id).carrier == first.id
    assert kit.tangle.metadata(z.id).carrier == second.id
    assert kit.tangle.find_by_tag(b"twin").ids == (z.id, x.id)
    assert recorder.attached()[-2:] == [(second.id, None), (z.id, second.id)]


def test_a_held_carrier_files_its_messages_once_its_parent_arrives(
    kit: TangleKit, recorder: Recorder
) -> None:
    parent = kit.data(b"late")
    x = carried(kit, 1)
    c = carrier(kit, x, parents=[parent.id])
    assert kit.tangle.submit(c.raw).status is IngestStatus.HELD
    assert kit.tangle.find_by_tag(b"twin").ids == ()

    kit.tangle.submit(parent.raw)
    assert kit.tangle.find_by_tag(b"twin").ids == (x.id,)
    assert (x.id, c.id) in recorder.attached()


def test_a_restarted_node_confirms_what_a_pending_carrier_carries(tmp_path: Path) -> None:
    path = tmp_path / "tangle.sqlite"
    store = SqliteTangleStore(path)
    kit = build_tangle(store, clock=FakeClock(START_MS))
    x = carried(kit, 1)
    c = kit.submit(carrier(kit, x))
    store.close()

    recorder = Recorder()
    reopened = SqliteTangleStore(path)
    again = build_tangle(reopened, clock=FakeClock(START_MS), events=recorder)
    assert again.tangle.statistics()["pending"] == 1  # the carrier alone
    again.milestone()
    assert again.tangle.metadata(x.id).state is ConfirmationState.CONFIRMED
    assert recorder.confirmed().keys() >= {c.id, x.id}
    reopened.close()


def test_a_peer_sent_only_the_carrier_files_and_confirms_the_same(kit: TangleKit) -> None:
    """What gossip relies on: peers get the carrier (never a carried message, which
    ``is_carried_raw`` tells apart unread) and file what it carries themselves."""
    x = carried(kit, 1)
    c = kit.submit(carrier(kit, x))
    milestone = kit.milestone()
    assert is_carried_raw(x.raw)
    assert not any(is_carried_raw(m.raw) for m in (c, milestone))

    peer = build_tangle()  # the same genesis: same keys, same clock
    assert peer.tangle.genesis.id == kit.tangle.genesis.id
    peer.tangle.ingest([c.raw, milestone.raw])
    assert peer.tangle.find_by_tag(b"twin").ids == (x.id,)
    assert peer.tangle.metadata(x.id) == kit.tangle.metadata(x.id)
    assert peer.tangle.state_root() == kit.tangle.state_root()
