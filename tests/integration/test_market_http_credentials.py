"""Credentials end everywhere at once (issue 16, item 3), over real HTTP.

A live event stream is authenticated once, when it opens; these tests check it
ends with its credential: an API key revoked, an API key whose expiry passed
(the server's clock is moved, not waited for), a participant the market
excluded. Each stream is first shown live (an event of the caller's reaches
it), then the credential ends, then the stream must end within a deadline: a
reader thread iterates it and reports when iteration stops.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from market_server import MarketWorld, RunningMarket, market_world, serve_market

from plaza.bootstrap import SystemClock
from plaza.clients.market import MarketClient, OrderTerms
from plaza.clients.node import ApiError, ClientEvent
from plaza.market.auth import Principal, Scope
from plaza.market.model import Side
from plaza.testing.clock import FakeClock

DEADLINE_S = 5.0  # the periodic sweep runs every 0.2 s in the test servers
HOUR_MS = 3_600_000


class _Follower:
    """Reads a stream on a thread; ``ended`` is set once the server closes it."""

    def __init__(self, client: MarketClient) -> None:
        self.reader = client.events()
        self.events: list[ClientEvent] = []
        self.arrived = threading.Event()
        self.ended = threading.Event()
        self._thread = threading.Thread(target=self._follow, daemon=True)
        self._thread.start()

    def _follow(self) -> None:
        try:
            for event in self.reader:
                self.events.append(event)
                self.arrived.set()
        except Exception:
            pass
        self.ended.set()

    def close(self) -> None:
        self.reader.close()
        self._thread.join(DEADLINE_S)


def _live(follower: _Follower, owner: MarketClient, now_ms: int) -> None:
    """Prove the stream delivers: an order of its owner's announces itself on it."""
    owner.submit(Side.OFFER, OrderTerms("energy-credentials", 5, 9, now_ms, now_ms + HOUR_MS))
    assert follower.arrived.wait(DEADLINE_S), "the stream delivered nothing while live"
    assert not follower.ended.is_set()


@pytest.fixture
def clocked(tmp_path: Path) -> Iterator[tuple[MarketWorld, FakeClock]]:
    clock = FakeClock(SystemClock().now_ms())
    with serve_market(tmp_path, clock=clock) as market:
        world = market_world(market)
        try:
            yield world, clock
        finally:
            world.close()


def test_a_stream_opened_with_an_api_key_ends_when_the_key_is_revoked(world: MarketWorld) -> None:
    issued = world.provider.create_api_key("dashboard", [Scope.MARKET_READ])
    with world.market.client(api_key=issued.secret) as dashboard:
        follower = _Follower(dashboard)
        try:
            _live(follower, world.provider, SystemClock().now_ms())
            world.provider.revoke_api_key(issued.key.id)
            assert follower.ended.wait(DEADLINE_S), "the stream outlived its revoked key"
        finally:
            follower.close()
        with pytest.raises(ApiError) as refused:
            dashboard.events()
        assert refused.value.status == 401


def test_an_api_key_with_an_expiry_shows_it_and_its_stream_ends_then(
    clocked: tuple[MarketWorld, FakeClock],
) -> None:
    world, clock = clocked
    provider = world.provider
    issued = provider.create_api_key("for an hour", [Scope.MARKET_READ], expires_in_s=3600)
    assert issued.key.expires_at_ms == clock.now_ms() + HOUR_MS
    [listed] = [key for key in provider.api_keys() if key.id == issued.key.id]
    assert listed.expires_at_ms == issued.key.expires_at_ms
    with world.market.client(api_key=issued.secret) as dashboard:
        follower = _Follower(dashboard)
        try:
            _live(follower, provider, clock.now_ms())
            clock.advance(ms=HOUR_MS - 1)
            assert not follower.ended.wait(0.5), "the stream ended before the key expired"
            clock.advance(ms=1)
            assert follower.ended.wait(DEADLINE_S), "the stream outlived its key's expiry"
        finally:
            follower.close()
        with pytest.raises(ApiError) as refused:
            dashboard.events()
        assert (refused.value.status, refused.value.code) == (401, "expired_api_key")


@pytest.mark.parametrize("expiry", [{"expires_in_s": 0}, {"expires_at_ms": 1}])
def test_an_expiry_in_the_past_is_refused(world: MarketWorld, expiry: dict[str, int]) -> None:
    before = world.provider.api_keys()
    with pytest.raises(ApiError) as refused:
        world.provider.create_api_key("never", [Scope.MARKET_READ], **expiry)
    assert refused.value.status in (400, 422)
    assert world.provider.api_keys() == before


def test_both_expiry_forms_at_once_are_refused(world: MarketWorld) -> None:
    with pytest.raises(ApiError) as refused:
        world.provider.create_api_key(
            "twice", [Scope.MARKET_READ], expires_in_s=60, expires_at_ms=2**50
        )
    assert (refused.value.status, refused.value.code) == (400, "invalid_api_key_expiry")


def test_a_signed_stream_ends_when_the_market_excludes_its_participant(
    market: RunningMarket, world: MarketWorld
) -> None:
    follower = _Follower(world.other)
    try:
        _live(follower, world.other, SystemClock().now_ms())
        participant_id = world.other.me().id
        market.runtime.services.registry.exclude(Principal.system(), participant_id)
        try:
            assert follower.ended.wait(DEADLINE_S), "the stream outlived its exclusion"
        finally:
            market.runtime.services.registry.reinstate(Principal.system(), participant_id)
    finally:
        follower.close()
