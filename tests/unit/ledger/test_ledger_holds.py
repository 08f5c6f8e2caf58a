"""Held payments on a real tangle: every way a hold opens, closes, or is refused.

Each refused case is a *conflicting* message: confirmed, changing nothing, with
its specific conflict; the hold and the balances are checked unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from ledger_support import KEYS, START_MS, SUPPLY, address_of, advance, advance_to, with_nonce

from plaza.crypto import SigningKey
from plaza.ledger.actions import transfer_key
from plaza.ledger.errors import NotFound
from plaza.ledger.events import LedgerEvent, MessageConfirmed
from plaza.ledger.holds import HoldStatus, hashlock_of
from plaza.ledger.model import (
    Conflict,
    HoldPayload,
    Message,
    ReleasePayload,
    SettlePayload,
)
from plaza.ledger.service import Tangle
from plaza.storage.sqlite import SqliteTangleStore
from plaza.testing import FakeClock, TangleKit, build_tangle

ALICE, BOB, CAROL = KEYS  # payer, payee, arbiter
SECRET = bytes(range(32))
MINUTE = 60_000


@dataclass
class Recorder:
    events: list[LedgerEvent]

    def publish(self, event: LedgerEvent) -> None:
        self.events.append(event)


def funded(store: SqliteTangleStore | None = None) -> TangleKit:
    """A tangle where Alice holds 500 of the supply."""
    kit = build_tangle(store, supply=SUPPLY, clock=FakeClock(START_MS))
    kit.submit(kit.transfer(kit.faucet, {address_of(ALICE): 500}))
    kit.milestone()
    return kit


def restart(kit: TangleKit, path: Path) -> TangleKit:
    """The same node on the same file, at the same time, as after a process restart."""
    again = build_tangle(SqliteTangleStore(path), supply=SUPPLY, clock=FakeClock(START_MS))
    advance_to(again, kit.clock.now_ms())
    return again


def hold(
    kit: TangleKit,
    amount: int = 200,
    *,
    lock: bool = True,
    arbiter: SigningKey | None = None,
    expires_in_ms: int = 10 * MINUTE,
) -> Message:
    payload = HoldPayload(
        payee=address_of(BOB),
        amount=amount,
        expires_at_ms=kit.clock.now_ms() + expires_in_ms,
        hashlock=hashlock_of(SECRET) if lock else b"",
        arbiter=address_of(arbiter) if arbiter else b"",
    )
    return kit.submit(kit.compose(ALICE, payload))


def release(kit: TangleKit, held: Message, secret: bytes = SECRET) -> Message:
    return kit.submit(kit.compose(CAROL, ReleasePayload(transfer_key(held), secret)))


def settle(kit: TangleKit, held: Message, by: SigningKey, to_payee: int) -> Message:
    payload = SettlePayload(transfer_key(held), to_payee, data=b"provider: model crashed")
    return kit.submit(kit.compose(by, payload))


def conflict(tangle: Tangle, message: Message) -> Conflict:
    return tangle.metadata(message.id).conflict


def balances(tangle: Tangle) -> tuple[int, ...]:
    """Alice's, Bob's and Carol's."""
    return tuple(tangle.balance(address_of(key)) for key in (ALICE, BOB, CAROL))


def check_supply(tangle: Tangle) -> None:
    assert sum(tangle.balances().values()) + tangle.held() == SUPPLY
    assert tangle.state_root() == tangle.latest_milestone.state_root


def opened(
    kit: TangleKit,
    *,
    lock: bool = True,
    arbiter: SigningKey | None = None,
    expires_in_ms: int = 10 * MINUTE,
) -> Message:
    held = hold(kit, lock=lock, arbiter=arbiter, expires_in_ms=expires_in_ms)
    kit.milestone()
    assert conflict(kit.tangle, held) is Conflict.NONE
    return held


def test_a_confirmed_hold_takes_the_amount_out_of_the_payers_balance() -> None:
    kit = funded()
    held = opened(kit)
    record = kit.tangle.hold(transfer_key(held))
    assert record.status is HoldStatus.OPEN
    assert (record.hold.amount, record.hold.payee, record.opened_in) == (200, address_of(BOB), 2)
    assert balances(kit.tangle) == (300, 0, 0)
    check_supply(kit.tangle)
    [entry, _funding] = kit.tangle.history(address_of(ALICE))
    assert (entry.message_id, entry.delta, entry.conflict) == (held.id, -200, Conflict.NONE)


def test_the_secret_releases_the_whole_hold_to_the_payee_whoever_sends_it() -> None:
    kit = funded()
    held = opened(kit)
    released = release(kit, held)
    kit.milestone()
    assert conflict(kit.tangle, released) is Conflict.NONE
    assert balances(kit.tangle) == (300, 200, 0)
    record = kit.tangle.hold(transfer_key(held))
    assert (record.status, record.to_payee, record.refunded) == (HoldStatus.RELEASED, 200, 0)
    assert (record.closed_in, record.closed_by) == (3, released.id)
    check_supply(kit.tangle)


def test_the_confirmation_of_a_release_names_the_holds_payer_and_payee() -> None:
    events: list[LedgerEvent] = []
    kit = build_tangle(supply=SUPPLY, clock=FakeClock(START_MS), events=Recorder(events))
    kit.submit(kit.transfer(kit.faucet, {address_of(ALICE): 500}))
    kit.milestone()
    held = opened(kit)
    released = release(kit, held)  # signed by Carol, naming only the hold id
    kit.milestone()
    [confirmed] = [
        e for e in events if isinstance(e, MessageConfirmed) and e.message_id == released.id
    ]
    assert confirmed.addresses == (address_of(ALICE), address_of(BOB))


def test_a_hold_and_its_release_in_one_milestone() -> None:
    kit = funded()
    held = hold(kit)
    released = kit.submit(
        kit.compose(CAROL, ReleasePayload(transfer_key(held), SECRET), parents=[held.id])
    )
    kit.milestone()
    assert conflict(kit.tangle, released) is Conflict.NONE
    assert balances(kit.tangle) == (300, 200, 0)
    check_supply(kit.tangle)


@pytest.mark.parametrize("lock", [True, False])
def test_a_wrong_secret_or_no_hashlock_changes_nothing(lock: bool) -> None:
    kit = funded()
    held = opened(kit, lock=lock)
    wrong = release(kit, held, SECRET if not lock else bytes(32))
    kit.milestone()
    assert conflict(kit.tangle, wrong) is Conflict.WRONG_SECRET
    assert kit.tangle.hold(transfer_key(held)).status is HoldStatus.OPEN
    assert balances(kit.tangle) == (300, 0, 0)


def test_a_hold_pays_once() -> None:
    kit = funded()
    held = opened(kit)
    first, second = release(kit, held), release(kit, held)
    kit.milestone()
    late = release(kit, held)
    kit.milestone()
    conflicts = {conflict(kit.tangle, m) for m in (first, second)}
    assert conflicts == {Conflict.NONE, Conflict.HOLD_NOT_OPEN}
    assert conflict(kit.tangle, late) is Conflict.HOLD_NOT_OPEN
    assert balances(kit.tangle) == (300, 200, 0)
    check_supply(kit.tangle)


def test_the_deadline_refunds_the_payer_with_no_message_at_all() -> None:
    kit = funded()
    held = opened(kit, expires_in_ms=MINUTE)
    advance(kit, ms=MINUTE)
    kit.milestone()  # its timestamp reaches the deadline: refunded before its cone applies
    record = kit.tangle.hold(transfer_key(held))
    assert (record.status, record.to_payee, record.refunded) == (HoldStatus.EXPIRED, 0, 200)
    assert (record.closed_in, record.closed_by) == (3, None)
    assert balances(kit.tangle) == (500, 0, 0)
    check_supply(kit.tangle)


def test_a_release_confirmed_at_the_deadline_is_too_late() -> None:
    kit = funded()
    held = opened(kit, expires_in_ms=MINUTE)
    released = release(kit, held)  # issued in time, confirmed by the milestone at the deadline
    advance(kit, ms=MINUTE)
    kit.milestone()
    assert conflict(kit.tangle, released) is Conflict.HOLD_NOT_OPEN
    assert balances(kit.tangle) == (500, 0, 0)


def test_a_hold_confirmed_after_its_deadline_is_expired() -> None:
    kit = funded()
    late = hold(kit, expires_in_ms=MINUTE)
    advance(kit, ms=MINUTE)
    kit.milestone()
    assert conflict(kit.tangle, late) is Conflict.EXPIRED
    with pytest.raises(NotFound):
        kit.tangle.hold(transfer_key(late))
    assert balances(kit.tangle) == (500, 0, 0)


def test_a_hold_the_payer_cannot_cover_changes_nothing() -> None:
    kit = funded()
    too_much = hold(kit, 501)
    kit.milestone()
    assert conflict(kit.tangle, too_much) is Conflict.INSUFFICIENT_FUNDS
    with pytest.raises(NotFound):
        kit.tangle.hold(transfer_key(too_much))
    assert balances(kit.tangle) == (500, 0, 0)


def test_a_reattached_hold_holds_once() -> None:
    kit = funded()
    held = hold(kit)
    [again] = kit.tangle.ingest([with_nonce(held.raw, held.nonce + 1)])
    kit.milestone()
    assert again.message_id is not None
    either = {conflict(kit.tangle, held), kit.tangle.metadata(again.message_id).conflict}
    assert either == {Conflict.NONE, Conflict.REPLAYED}  # white-flag order picks which
    assert balances(kit.tangle) == (300, 0, 0)
    check_supply(kit.tangle)


@pytest.mark.parametrize(
    ("by", "to_payee", "allowed"),
    [
        (CAROL, 120, True),  # the arbiter: any split (pro rata)
        (CAROL, 0, True),
        (CAROL, 200, True),
        (CAROL, 201, False),  # over the amount: nobody may
        (BOB, 0, True),  # the payee: a full refund (a failed job)
        (BOB, 1, False),  # ... never a payment to itself
        (BOB, 200, False),
        (ALICE, 200, True),  # the payer: a full payment
        (ALICE, 199, False),  # ... never a refund to itself
        (ALICE, 0, False),
    ],
)
def test_who_may_settle_how(by: SigningKey, to_payee: int, allowed: bool) -> None:
    kit = funded()
    held = opened(kit, arbiter=CAROL)
    settled = settle(kit, held, by, to_payee)
    kit.milestone()
    record = kit.tangle.hold(transfer_key(held))
    if allowed:
        assert conflict(kit.tangle, settled) is Conflict.NONE
        assert (record.status, record.to_payee, record.closed_by) == (
            HoldStatus.SETTLED,
            to_payee,
            settled.id,
        )
        assert balances(kit.tangle) == (300 + 200 - to_payee, to_payee, 0)
    else:
        assert conflict(kit.tangle, settled) is Conflict.NOT_ALLOWED
        assert record.status is HoldStatus.OPEN
        assert balances(kit.tangle) == (300, 0, 0)
    check_supply(kit.tangle)


def test_without_an_arbiter_a_stranger_may_not_settle() -> None:
    kit = funded()
    held = opened(kit)
    settled = settle(kit, held, CAROL, 0)
    kit.milestone()
    assert conflict(kit.tangle, settled) is Conflict.NOT_ALLOWED


def test_closing_an_unknown_hold_changes_nothing() -> None:
    kit = funded()
    ghost = kit.compose(ALICE, HoldPayload(address_of(BOB), 1, kit.clock.now_ms() + MINUTE))
    released, settled = release(kit, ghost), settle(kit, ghost, ALICE, 1)
    kit.milestone()
    assert conflict(kit.tangle, released) is Conflict.HOLD_NOT_OPEN
    assert conflict(kit.tangle, settled) is Conflict.HOLD_NOT_OPEN


def test_open_holds_survive_a_restart_and_still_expire(tmp_path: Path) -> None:
    store = SqliteTangleStore(tmp_path / "node.db")
    kit = funded(store)
    held = opened(kit, expires_in_ms=MINUTE)
    root = kit.tangle.state_root()
    store.close()
    restarted = restart(kit, tmp_path / "node.db")
    assert restarted.tangle.state_root() == root  # the open hold is in it
    advance(restarted, ms=MINUTE)
    restarted.milestone()
    assert restarted.tangle.hold(transfer_key(held)).status is HoldStatus.EXPIRED
    assert balances(restarted.tangle) == (500, 0, 0)
    check_supply(restarted.tangle)


def test_a_replayed_hold_is_refused_after_a_restart(tmp_path: Path) -> None:
    store = SqliteTangleStore(tmp_path / "node.db")
    kit = funded(store)
    held = opened(kit)
    store.close()
    restarted = restart(kit, tmp_path / "node.db")
    [again] = restarted.tangle.ingest([with_nonce(held.raw, held.nonce + 1)])
    restarted.milestone()
    assert again.message_id is not None
    assert restarted.tangle.metadata(again.message_id).conflict is Conflict.REPLAYED
    assert balances(restarted.tangle) == (300, 0, 0)
