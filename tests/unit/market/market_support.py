"""Builders for the market's unit tests: orders in one line, a bid manager over any store."""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from plaza.market import (
    BidManager,
    BookStore,
    Location,
    MemoryAssetDirectory,
    MemoryAssetTwins,
    MemoryBookStore,
    MemoryOrderTwins,
    NewOrder,
    Requirements,
    Side,
    attributes,
)
from plaza.market.book.sqlite import SqliteBookStore
from plaza.market.model import NO_REQUIREMENTS, AttributeValue
from plaza.testing import FakeClock

START_MS = FakeClock().now_ms()
HOUR_MS = 3_600_000


def spec(
    side: Side | str,
    owner: str = "alice",
    quantity: int = 10,
    price: int = 100,
    *,
    kind: str = "energy",
    start_ms: int = START_MS,
    hours: int = 1,
    location: Location | None = None,
    attrs: dict[str, AttributeValue] | None = None,
    requires: Requirements = NO_REQUIREMENTS,
    asset_id: str | None = None,
) -> NewOrder:
    """An offer or request valid for ``hours`` from ``start_ms``."""
    return NewOrder(
        Side(side),
        owner,
        kind,
        quantity,
        price,
        start_ms,
        start_ms + hours * HOUR_MS,
        location,
        attributes(attrs),
        requires,
        asset_id,
    )


def offer(owner: str = "alice", quantity: int = 10, price: int = 100, **kw: Any) -> NewOrder:
    return spec(Side.OFFER, owner, quantity, price, **kw)


def request(owner: str = "bob", quantity: int = 10, price: int = 100, **kw: Any) -> NewOrder:
    return spec(Side.REQUEST, owner, quantity, price, **kw)


class Market:
    """A bid manager with its fakes in reach, and a way to restart it over the same store."""

    def __init__(self, store: BookStore, policy: str = "cda") -> None:
        self.store = store
        self.policy = policy
        self.clock = FakeClock()
        self.twins = MemoryOrderTwins()
        self.assets = MemoryAssetDirectory()
        self.asset_twins = MemoryAssetTwins()
        self.manager = self.restart()

    def restart(self) -> BidManager:
        """A new bid manager over the same store, twins and assets: what a process restart is."""
        self.manager = BidManager(
            self.store,
            clock=self.clock,
            policy=self.policy,
            twins=self.twins,
            assets=self.assets,
            asset_twins=self.asset_twins,
        )
        return self.manager


def market(policy: str = "cda") -> Market:
    return Market(MemoryBookStore(), policy)


@contextmanager
def sqlite_market(path: Path, policy: str = "cda") -> Iterator[Market]:
    store = SqliteBookStore(path)
    try:
        yield Market(store, policy)
    finally:
        store.close()


def numbered_spec(number: int) -> NewOrder:
    """The same order for the same number in any process: for crash-and-retry tests."""
    rng = random.Random(number)
    side = Side.OFFER if rng.random() < 0.5 else Side.REQUEST
    owner = rng.choice(["ann", "bob", "cat", "dan"])
    return spec(side, owner, rng.randint(1, 50), rng.randint(90, 110))
