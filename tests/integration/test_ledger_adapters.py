"""The two ledger adapters answer alike: one suite, run on the in-process node and over HTTP.

The wallet, channels and the market are handed either adapter of
:mod:`plaza.adapters.ledger`; what they rely on (compose apart from submit, a
message never issued before its parents, known bytes being no error, one error
family, the live feed by tag) must not depend on which one runs.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from node_helpers import address_of, now_ms
from node_server import RunningNode

from plaza.adapters.ledger.local import LocalLedger
from plaza.adapters.ledger.remote import RemoteLedger
from plaza.bootstrap import SystemClock
from plaza.crypto import SigningKey
from plaza.ledger.errors import ConfirmationTimeout, MessageRefused
from plaza.ledger.holds import HoldStatus
from plaza.ledger.model import ConfirmationState, Conflict, DataPayload, Output, TransferPayload
from plaza.ledger.ports import Ledger
from plaza.wallet.holds import compose_hold


@pytest.fixture(params=["local", "remote"])
def ledger(request: pytest.FixtureRequest, node: RunningNode) -> Iterator[Ledger]:
    if request.param == "local":
        yield LocalLedger(node.runtime, poll_interval_s=0.05, follow_timeout=10.0)
        return
    with node.client() as client:
        yield RemoteLedger(client, clock=SystemClock(), follow_timeout=10.0)


def _tag() -> bytes:
    return SigningKey.generate().public_key.raw[:16]


def test_a_composed_message_is_not_sent_until_submitted(ledger: Ledger) -> None:
    tag = _tag()
    message = ledger.compose(SigningKey.generate(), DataPayload(tag, b"hello"))
    assert ledger.message(message.id) is None
    assert ledger.submit(message.raw) == message.id
    assert ledger.submit(message.raw) == message.id  # the same bytes again: known, no error
    stored = ledger.message(message.id)
    assert stored is not None
    assert stored.raw == message.raw
    assert list(ledger.find_by_tag(tag)) == [message.id]


def test_a_message_comes_after_its_parents_and_its_floor(ledger: Ledger) -> None:
    first = ledger.compose(SigningKey.generate(), DataPayload(_tag(), b"first"))
    ledger.submit(first.raw)
    floor = now_ms() + 5_000  # later than the clock: the floor wins
    second = ledger.compose(
        SigningKey.generate(),
        DataPayload(_tag(), b"second"),
        first_parents=[first.id],
        not_before_ms=floor,
    )
    assert first.id in second.parents  # a message's parents are sorted by id on the wire
    assert second.issued_at_ms >= floor
    for parent in second.parents:
        stored = ledger.message(parent)
        if stored is not None:  # the genesis is no stored message
            assert stored.issued_at_ms <= second.issued_at_ms


def test_bytes_the_node_refuses_are_a_message_refusal(ledger: Ledger) -> None:
    with pytest.raises(MessageRefused) as refused:
        ledger.submit(b"not a message")
    assert refused.value.code == "unsupported_version"  # its first byte is no protocol version


def test_an_unknown_message_is_none_not_an_error(ledger: Ledger) -> None:
    assert ledger.message(b"\x07" * 32) is None
    assert ledger.metadata(b"\x07" * 32) is None


def test_the_feed_hands_over_what_is_attached_under_a_followed_tag(ledger: Ledger) -> None:
    tag = _tag()
    feed = ledger.follow([tag])
    try:
        message = ledger.compose(SigningKey.generate(), DataPayload(tag, b"news"))
        ledger.submit(message.raw)
        assert next(feed) == message.id
    finally:
        feed.close()


def test_a_transfer_confirms_and_shows_in_balance_and_history(
    ledger: Ledger, node: RunningNode
) -> None:
    payee = SigningKey.generate()
    payload = TransferPayload((Output(address_of(payee).raw, 1_234),))
    transfer = ledger.compose(node.faucet, payload)
    ledger.submit(transfer.raw)
    metadata = ledger.wait_for_confirmation(transfer.id, timeout_s=10.0)
    assert metadata.state is ConfirmationState.CONFIRMED
    assert ledger.balance(address_of(payee)).amount == 1_234
    [movement] = ledger.history(address_of(payee), limit=10)
    assert (movement.message_id, movement.delta) == (transfer.id, 1_234)
    assert ledger.ledger_time_ms() >= transfer.issued_at_ms - 60_000


def test_waiting_past_the_deadline_is_a_confirmation_timeout(ledger: Ledger) -> None:
    orphan = b"\x09" * 32  # a parent nobody has: the message is held, never confirmed
    held = ledger.compose(
        SigningKey.generate(), DataPayload(_tag(), b"held"), first_parents=[orphan]
    )
    ledger.submit(held.raw)
    with pytest.raises(ConfirmationTimeout):
        ledger.wait_for_confirmation(held.id, timeout_s=0.3)


def test_a_hold_reads_back_alike_and_an_unknown_one_is_none(
    ledger: Ledger, node: RunningNode
) -> None:
    payee, judge = SigningKey.generate(), SigningKey.generate()
    held = compose_hold(
        ledger,
        node.faucet,
        address_of(payee),
        77,
        expires_at_ms=now_ms() + 60_000,
        arbiter=address_of(judge),
    )
    ledger.submit(held.message.raw)
    assert ledger.wait_for_confirmation(held.message.id, timeout_s=10.0).conflict is Conflict.NONE
    record = ledger.hold(held.hold_id)
    assert record is not None
    assert (record.status, record.hold.amount, record.hold.arbiter) == (
        HoldStatus.OPEN,
        77,
        address_of(judge).raw,
    )
    assert ledger.hold(b"\x07" * 32) is None


def test_a_writer_reusing_tips_chains_its_messages_and_they_all_confirm(
    node: RunningNode,
) -> None:
    """With ``tips_max_age_ms``, each message approves the one submitted before it (the tips
    asked once), a composed message never sent is approved by nobody, and the milestone
    that confirms the last has confirmed every one."""
    with node.client() as client:
        ledger = RemoteLedger(client, clock=SystemClock(), tips_max_age_ms=60_000)
        sent = []
        for number in range(4):
            message = ledger.compose(SigningKey.generate(), DataPayload(_tag(), bytes([number])))
            if sent:
                assert sent[-1] in message.parents
            ledger.submit(message.raw)
            sent.append(message.id)
        unsent = ledger.compose(SigningKey.generate(), DataPayload(_tag(), b"never sent"))
        last = ledger.compose(SigningKey.generate(), DataPayload(_tag(), b"last"))
        assert unsent.id not in last.parents
        assert sent[-1] in last.parents
        ledger.submit(last.raw)
        ledger.wait_for_confirmation(last.id, timeout_s=10.0)
        for message_id in sent:
            metadata = ledger.metadata(message_id)
            assert metadata is not None
            assert metadata.state is ConfirmationState.CONFIRMED


def test_a_writer_after_a_quiet_spell_does_not_chain_on_its_old_message(
    node: RunningNode,
) -> None:
    """The message a writer sent long ago (more milestones back than a tip may reach) is
    not named again: approving it, the next message would be lazy and never confirmed."""
    with node.client() as client:
        ledger = RemoteLedger(client, clock=SystemClock(), tips_max_age_ms=250)
        first = ledger.compose(SigningKey.generate(), DataPayload(_tag(), b"first"))
        ledger.submit(first.raw)
        ledger.wait_for_confirmation(first.id, timeout_s=10.0)
        confirmed_at = ledger.metadata(first.id)
        assert confirmed_at is not None
        assert confirmed_at.milestone_index is not None
        deadline = time.monotonic() + 30.0
        while client.latest_milestone().index <= confirmed_at.milestone_index + 20:
            assert time.monotonic() < deadline, "the node issues no milestones"
            time.sleep(0.1)  # wait for milestones to pass, not for an outcome
        later = ledger.compose(SigningKey.generate(), DataPayload(_tag(), b"after a while"))
        ledger.submit(later.raw)
        ledger.wait_for_confirmation(later.id, timeout_s=10.0)
