"""The book under generated command sequences, with crashes, against brute-force oracles.

A live bid manager (over SQLite or memory, with a store that can fail on demand)
and a shadow that never crashes receive the same commands under one fake clock.
After every command:

* the live answer equals the shadow's (a restart continues exactly as if none
  happened), and each step's matches equal what the policy's brute-force oracle
  says the book before the step should give (price-time priority for the CDA,
  oldest fitting offer for one-to-one, the volume-maximising price for uniform);
* no order is lost or matched twice: every accepted order is still there, and
  for each, quantity == filled + remaining where filled is the sum of the
  journal's match quantities for it; statuses agree with what remains;
* every match pairs an offer with a request of another owner, at a price within
  both limits, passing every filter;
* the CDA book is never left crossed between two orders that may trade;
* each order's digital twin shows its current state.

A crash closes the store and builds a new bid manager from it; a failed commit
must leave the book as it was, and a retry with the same key must create
exactly one order.
"""

from __future__ import annotations

import shutil
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

import market_oracle as oracle
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule
from market_support import HOUR_MS, Market

from plaza.market import (
    BidManager,
    BookStore,
    BookStoreFailed,
    JournalEntry,
    Location,
    MarketError,
    MemoryBookStore,
    NewOrder,
    Order,
    OrderStatus,
    Requirements,
    Side,
    attributes,
)
from plaza.market.book.sqlite import SqliteBookStore

T = TypeVar("T")
OWNERS = ("ann", "ben", "cat")
CITIES = (Location(52.52, 13.40), Location(52.39, 13.06), Location(48.14, 11.58), None)

requirements = st.one_of(
    st.just(Requirements()),
    st.builds(
        Requirements,
        attributes=st.sampled_from([(), (("green", True),)]),
        min_quality=st.sampled_from([None, 1, 2]),
        partners=st.sampled_from([(), ("ann",), ("ben", "cat")]),
        max_distance_km=st.sampled_from([None, 50.0, 700.0]),
    ),
)


@st.composite
def order_specs(draw: st.DrawFn, now_ms: int, earliest: int = -1) -> NewOrder:
    """Mostly plain orders; some with attributes, locations and requirements; a few already over."""
    start = now_ms + draw(st.integers(earliest, 2)) * HOUR_MS
    values: dict[str, bool | int] = {}
    if draw(st.booleans()):
        values["green"] = draw(st.booleans())
    if draw(st.booleans()):
        values["quality"] = draw(st.integers(0, 3))
    return NewOrder(
        side=draw(st.sampled_from(Side)),
        owner=draw(st.sampled_from(OWNERS)),
        kind=draw(st.sampled_from(["energy", "energy", "energy", "data"])),
        quantity=draw(st.integers(1, 20)),
        unit_price=draw(st.integers(95, 105)),
        valid_from_ms=start,
        valid_until_ms=start + draw(st.integers(1, 3)) * HOUR_MS,
        location=draw(st.sampled_from(CITIES)),
        attributes=attributes(values),
        requirements=draw(st.one_of(st.just(Requirements()), requirements)),
    )


class FlakyStore:
    """A store that fails its next append on demand, before or after writing it."""

    def __init__(self, inner: BookStore) -> None:
        self.inner = inner
        self.fail: str | None = None

    def hold(self) -> None:
        self.inner.hold()

    def append(self, entry: JournalEntry) -> None:
        mode, self.fail = self.fail, None
        if mode == "after":
            self.inner.append(entry)
        if mode is not None:
            raise BookStoreFailed(f"injected failure {mode} writing")
        self.inner.append(entry)

    def entries(self, *, after_step: int = 0) -> Iterator[JournalEntry]:
        return self.inner.entries(after_step=after_step)

    def entry(self, step: int) -> JournalEntry | None:
        return self.inner.entry(step)

    def last_step(self) -> int:
        return self.inner.last_step()

    def close(self) -> None:
        self.inner.close()


class BookMachine(RuleBasedStateMachine):
    POLICY = "cda"
    SQLITE = True

    def __init__(self) -> None:
        super().__init__()
        self.directory = Path(tempfile.mkdtemp(prefix="plaza-book-"))
        self.flaky = FlakyStore(self._open_store())
        self.market = Market(self.flaky, self.POLICY)  # type: ignore[arg-type]
        self.shadow = BidManager(MemoryBookStore(), clock=self.market.clock, policy=self.POLICY)
        self.keys: dict[str, NewOrder] = {}
        self.ids: list[str] = []

    def _open_store(self) -> BookStore:
        if self.SQLITE:
            return SqliteBookStore(self.directory / "book.db")
        return MemoryBookStore()

    def teardown(self) -> None:
        self.flaky.close()
        shutil.rmtree(self.directory, ignore_errors=True)

    @property
    def live(self) -> BidManager:
        return self.market.manager

    @property
    def now(self) -> int:
        return self.market.clock.now_ms()

    def both(self, call: Callable[[BidManager], T]) -> T | None:
        """Run a command on the shadow and the live manager; they must agree on everything."""
        outcomes = []
        for manager in (self.shadow, self.live):
            try:
                outcomes.append(("ok", call(manager)))
            except MarketError as error:
                outcomes.append(("error", type(error)))
        assert outcomes[0] == outcomes[1]
        status, value = outcomes[1]
        return value if status == "ok" else None  # type: ignore[return-value]

    def before(self) -> list[Order]:
        return list(self.live.orders())

    # -- commands ---------------------------------------------------------------------

    @initialize(data=st.data())
    def seed(self, data: st.DataObject) -> None:
        for _ in range(data.draw(st.integers(0, 6), label="seed orders")):
            self.submit(data)

    @rule(data=st.data())
    def submit(self, data: st.DataObject) -> None:
        spec = data.draw(order_specs(self.now), label="order")
        key = f"key-{len(self.keys)}"
        book = self.before()
        result = self.both(lambda m: m.submit_order(spec, idempotency_key=key))
        if result is None:
            assert spec.valid_until_ms <= self.now  # the only way this generator goes wrong
            return
        assert not result.replayed
        self.keys[key] = spec
        self.ids.append(result.order.id)
        taker = replace(result.order, remaining=spec.quantity, status=OrderStatus.ACTIVE)
        self.check_policy(book, taker, result.matches)

    @precondition(lambda self: self.keys)
    @rule(data=st.data())
    def retry(self, data: st.DataObject) -> None:
        key = data.draw(st.sampled_from(sorted(self.keys)), label="retried key")
        spec = self.keys[key]
        steps = self.live.statistics().step
        result = self.both(lambda m: m.submit_order(spec, idempotency_key=key))
        assert result is not None
        assert result.replayed
        assert self.live.statistics().step == steps
        other = replace(spec, quantity=spec.quantity + 1)
        assert self.both(lambda m: m.submit_order(other, idempotency_key=key)) is None

    @precondition(lambda self: self.ids)
    @rule(data=st.data(), action=st.sampled_from(["cancel", "disable", "enable", "stranger"]))
    def change(self, data: st.DataObject, action: str) -> None:
        order = self.live.order(data.draw(st.sampled_from(self.ids), label="order"))
        owner = order.owner if action != "stranger" else next(o for o in OWNERS if o != order.owner)
        book = self.before()
        if action in ("cancel", "stranger"):
            self.both(lambda m: m.cancel_order(order.id, participant=owner))
        elif action == "disable":
            self.both(lambda m: m.disable_order(order.id, participant=owner))
        else:
            result = self.both(lambda m: m.enable_order(order.id, participant=owner))
            if result is not None:
                taker = replace(result.order, remaining=order.remaining, status=OrderStatus.ACTIVE)
                self.check_policy(book, taker, result.matches)

    @rule(minutes=st.integers(0, 180))
    def advance(self, minutes: int) -> None:
        self.market.clock.advance(ms=minutes * 60_000)

    @rule()
    def expire(self) -> None:
        expired = self.both(lambda m: m.expire_orders())
        assert expired is not None
        assert all(
            o.status is OrderStatus.EXPIRED and o.valid_until_ms <= self.now for o in expired
        )

    @rule()
    def clear(self) -> None:
        book = self.before()
        matches = self.both(lambda m: m.clear())
        assert matches is not None
        got = [(m.offer_id, m.request_id, m.quantity, m.unit_price) for m in matches]
        expected = oracle.uniform(book, self.now) if self.POLICY == "uniform" else []
        assert got == expected

    @precondition(lambda self: self.ids)
    @rule(data=st.data())
    def confirm(self, data: st.DataObject) -> None:
        active = [
            o
            for o in self.live.orders()
            if o.status is OrderStatus.ACTIVE and o.valid_until_ms > self.now
        ]
        if not active:
            return  # suggestions need an active order still in its window
        order = data.draw(st.sampled_from(active), label="order")
        suggestions = self.both(lambda m: m.suggest_matches(order.id, participant=order.owner))
        assert suggestions is not None
        for suggestion in suggestions:
            offer, request = sorted((order, suggestion.order), key=lambda o: o.side is Side.REQUEST)
            assert oracle.may_trade(order, suggestion.order, self.now)
            assert oracle.crosses(offer, request)
            assert suggestion.unit_price == offer.unit_price
        if suggestions:
            counter = suggestions[0].order.id
            match = self.both(lambda m: m.confirm_match(order.id, counter, participant=order.owner))
            assert match is not None
            assert match.policy == "manual"

    @rule()
    def crash(self) -> None:
        orders, stats = self.before(), self.live.statistics()
        self.flaky.close()
        self.flaky.inner = self._open_store() if self.SQLITE else self.flaky.inner
        self.market.restart()
        assert self.before() == orders
        assert self.live.statistics() == stats

    @rule(data=st.data(), mode=st.sampled_from(["before", "after"]))
    def failed_commit(self, data: st.DataObject, mode: str) -> None:
        spec = data.draw(order_specs(self.now, earliest=0), label="order")
        key = f"key-{len(self.keys)}"
        orders = self.before()
        self.flaky.fail = mode
        with pytest.raises(BookStoreFailed):
            self.live.submit_order(spec, idempotency_key=key)
        assert len(self.before()) == len(orders) + (mode == "after")
        first = self.shadow.submit_order(spec, idempotency_key=key)
        retry = self.live.submit_order(spec, idempotency_key=key)
        assert retry == replace(first, replayed=mode == "after")
        self.keys[key] = spec
        self.ids.append(retry.order.id)

    # -- checks -----------------------------------------------------------------------

    def check_policy(self, book: list[Order], taker: Order, matches: tuple[Any, ...]) -> None:
        got = [(m.offer_id, m.request_id, m.quantity, m.unit_price) for m in matches]
        if self.POLICY == "cda":
            assert got == oracle.cda(book, taker, self.now)
        elif self.POLICY == "one_to_one":
            assert got == oracle.one_to_one(book, taker, self.now)
        else:
            assert got == []

    @invariant()
    def quantities_are_conserved(self) -> None:
        orders = {o.id: o for o in self.live.orders()}
        assert set(self.ids) <= set(orders)
        matches = [m for e in self.market.store.entries() for m in e.matches()]
        assert len({m.id for m in matches}) == len(matches) == self.live.statistics().matches
        filled: Counter[str] = Counter()
        for match in matches:
            offer, request = orders[match.offer_id], orders[match.request_id]
            assert offer.side is Side.OFFER
            assert request.side is Side.REQUEST
            assert offer.owner != request.owner
            assert match.quantity > 0
            assert offer.unit_price <= match.unit_price <= request.unit_price
            assert oracle.satisfies(offer, request)
            assert oracle.satisfies(request, offer)
            filled[offer.id] += match.quantity
            filled[request.id] += match.quantity
        for order in orders.values():
            assert filled[order.id] + order.remaining == order.quantity
            assert (order.status is OrderStatus.FILLED) == (order.remaining == 0)

    @invariant()
    def shadow_agrees(self) -> None:
        assert self.before() == list(self.shadow.orders())
        assert self.market.store.last_step() == self.live.statistics().step

    @invariant()
    def twins_show_current_state(self) -> None:
        latest = {change.order.id: change.order for change in self.market.twins.changes}
        assert latest == {o.id: o for o in self.live.orders()}

    @invariant()
    def continuous_book_is_not_crossed(self) -> None:
        if self.POLICY != "cda":
            return
        active = [o for o in self.live.orders() if o.status is OrderStatus.ACTIVE]
        for offer in (o for o in active if o.side is Side.OFFER):
            for request in (o for o in active if o.side is Side.REQUEST):
                assert not (
                    oracle.crosses(offer, request) and oracle.may_trade(offer, request, self.now)
                ), (offer, request)


SETTINGS = settings(
    max_examples=25,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def machine(policy: str, *, sqlite: bool) -> Any:
    """The machine's test case for one policy and store."""
    cls = type(f"{policy}_machine", (BookMachine,), {"POLICY": policy, "SQLITE": sqlite})
    case = cls.TestCase
    case.settings = SETTINGS
    return case


TestContinuousOnSqlite = machine("cda", sqlite=True)
TestContinuousInMemory = machine("cda", sqlite=False)
TestOneToOneOnSqlite = machine("one_to_one", sqlite=True)
TestUniformOnSqlite = machine("uniform", sqlite=True)
TestManualInMemory = machine("manual", sqlite=False)
