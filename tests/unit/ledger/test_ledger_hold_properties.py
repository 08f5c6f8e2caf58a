"""Random histories of holds, part payments, releases, settlements, transfers and deadlines.

Whatever happens, after every milestone the balances plus what the open holds
still hold are the supply, and no hold pays out more than it held: each closes
once, what it paid the payee only grows, and what it paid the payee (its part
payments and its closing) plus what it refunds is exactly its amount.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from plaza.ledger.actions import Action, OpenHold, PayHold, ReleaseHold, SettleHold, Transfer
from plaza.ledger.holds import HoldStatus, hashlock_of
from plaza.ledger.model import Output
from plaza.ledger.state import LedgerState

ADDRESSES = [bytes([n]) * 32 for n in (1, 2, 3)]
SUPPLY = 1_000
START_MS = 1_767_225_600_000
SECRET = b"s" * 32

who = st.integers(0, len(ADDRESSES) - 1)
pick = st.integers(0, 3)  # 0: an unknown id; else an earlier hold, counting back from the latest
split = st.one_of(st.integers(0, 700), st.sampled_from(["all", "none"]))
party = st.one_of(who, st.sampled_from(["payer", "payee", "arbiter"]))  # a settlement's issuer
operations = st.one_of(
    st.tuples(
        st.just("hold"),
        who,
        who,
        st.integers(1, 600),
        st.integers(1, 5_000),
        st.booleans(),
        st.one_of(st.none(), who),
    ),
    st.tuples(st.just("release"), pick, st.booleans()),
    st.tuples(st.just("release"), pick, st.just(True)),  # listed twice: closing is the point
    st.tuples(st.just("settle"), pick, party, split),
    st.tuples(st.just("settle"), pick, party, split),
    st.tuples(st.just("part"), pick, party, st.integers(1, 400)),
    st.tuples(st.just("part"), pick, st.just("arbiter"), st.integers(1, 150)),
    st.tuples(st.just("pay"), who, who, st.integers(1, 600)),
    st.tuples(st.just("milestone"), st.integers(0, 3_000)),
)


class History:
    """A ledger state driven by generated operations, checking invariants at each milestone."""

    def __init__(self) -> None:
        self.state = LedgerState(dict(zip(ADDRESSES, (400, 300, 300), strict=True)), SUPPLY, 0)
        self.now_ms = START_MS
        self.batch: dict[bytes, Action] = {}
        self.hold_ids: list[bytes] = []
        self.holds: dict[bytes, OpenHold] = {}
        self.closed: dict[bytes, int] = {}  # hold id -> the milestone that closed it
        self.paid: dict[bytes, int] = {}  # hold id -> what the payee had received so far
        self.counter = 0

    def next_id(self) -> bytes:
        self.counter += 1
        return self.counter.to_bytes(32, "big")

    def hold_ref(self, index: int) -> bytes:
        if index == 0 or not self.hold_ids:
            return bytes([0xEE]) * 32
        return self.hold_ids[-1 - (index - 1) % len(self.hold_ids)]

    def add(self, operation: tuple[Any, ...]) -> None:
        kind, *args = operation
        if kind == "milestone":
            self.milestone(args[0])
        elif kind == "hold":
            payer, payee, amount, lifetime, locked, arbiter = args
            key = self.next_id()
            self.hold_ids.append(key)
            self.batch[self.next_id()] = self.holds[key] = OpenHold(
                ADDRESSES[payer],
                ADDRESSES[payee],
                amount,
                self.now_ms + lifetime,
                hashlock_of(SECRET) if locked else b"",
                b"" if arbiter is None else ADDRESSES[arbiter],
                key,
                self.now_ms,
            )
        elif kind == "release":
            secret = SECRET if args[1] else bytes(32)
            self.batch[self.next_id()] = ReleaseHold(self.hold_ref(args[0]), secret)
        elif kind == "settle":
            self.settle(self.hold_ref(args[0]), args[1], args[2])
        elif kind == "part":
            hold_id = self.hold_ref(args[0])
            by = self.issuer(hold_id, args[1])
            self.batch[self.next_id()] = PayHold(hold_id, args[2], by, self.next_id(), self.now_ms)
        else:
            payer, payee, amount = args
            output = (Output(ADDRESSES[payee], amount),)
            self.batch[self.next_id()] = Transfer(
                ADDRESSES[payer], output, self.next_id(), self.now_ms
            )

    def settle(self, hold_id: bytes, issuer: int | str, to_payee: int | str) -> None:
        """A settlement by an address or by one of the hold's parties, for a split or for
        all or none of the amount."""
        if isinstance(to_payee, str):
            left = self.state.holds().get(hold_id)
            to_payee = left.remaining if left is not None and to_payee == "all" else 0
        self.batch[self.next_id()] = SettleHold(hold_id, to_payee, self.issuer(hold_id, issuer))

    def issuer(self, hold_id: bytes, issuer: int | str) -> bytes:
        """An address, or one of the hold's parties (an unknown hold's: the first address)."""
        hold = self.holds.get(hold_id)
        if isinstance(issuer, int) or hold is None:
            return ADDRESSES[issuer] if isinstance(issuer, int) else ADDRESSES[0]
        return {"payer": hold.payer, "payee": hold.payee, "arbiter": hold.arbiter}[issuer]

    def milestone(self, advance_ms: int) -> None:
        self.now_ms += advance_ms
        index = self.state.index + 1
        outcome = self.state.evaluate(index, list(self.batch), self.batch, self.now_ms)
        again = self.state.evaluate(index, list(self.batch), self.batch, self.now_ms)
        assert again == outcome  # deterministic
        for hold_id, record in outcome.holds.items():
            assert hold_id not in self.closed, "a closed hold changed again"
            assert self.paid.get(hold_id, 0) <= record.to_payee <= record.hold.amount
            self.paid[hold_id] = record.to_payee
            if record.status is not HoldStatus.OPEN:
                assert record.to_payee + record.refunded == record.hold.amount
                assert 0 <= record.to_payee <= record.hold.amount
                self.closed[hold_id] = index
            else:
                assert record.hold.expires_at_ms > self.now_ms
                assert record.remaining == record.hold.amount - record.to_payee >= 0
        self.state.commit(outcome)
        self.batch = {}
        self.check()

    def check(self) -> None:
        balances = self.state.balances()
        assert all(amount > 0 for amount in balances.values())
        assert sum(balances.values()) + self.state.held() == SUPPLY
        assert not set(self.state.holds()) & set(self.closed)
        assert all(h.expires_at_ms > self.now_ms for h in self.state.holds().values())


@settings(max_examples=300, deadline=None)
@given(st.lists(operations, min_size=5, max_size=80))
def test_supply_is_conserved_and_no_hold_pays_twice(steps: list[tuple[Any, ...]]) -> None:
    history = History()
    for step in steps:
        history.add(step)
    history.milestone(0)
    history.milestone(10_000)  # past every deadline: nothing may stay open
    assert history.state.holds() == {}
    assert sum(history.state.balances().values()) == SUPPLY
