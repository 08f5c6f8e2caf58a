"""The live event stream shared by a marketplace's worker processes through PostgreSQL: an
event published by one worker reaches the subscribers of every worker once (its own too,
not twice), and another marketplace's channel (another schema) hears none of it."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator

import pytest

from plaza.notify import Event, EventStream
from plaza.notify.postgres import SharedEventStream, channel_for

pytestmark = pytest.mark.postgres


@pytest.fixture
def streams(postgres_dsn: str) -> Iterator[tuple[SharedEventStream, ...]]:
    """Two workers of one marketplace, and one of a marketplace in another schema."""
    opened = (
        SharedEventStream(postgres_dsn, channel_for("plaza_a")),
        SharedEventStream(postgres_dsn, channel_for("plaza_a")),
        SharedEventStream(postgres_dsn, channel_for("plaza_b")),
    )
    try:
        assert all(stream.wait_listening(10) for stream in opened)
        yield opened
    finally:
        for stream in opened:
            stream.close()


def _event(n: int) -> Event:
    return Event.new("OfferCreateEvent", {"offer": {"n": n}}, time_ms=1_700_000_000_000 + n)


async def _heard(stream: EventStream, subscribed: asyncio.Event, expected: int) -> list[Event]:
    """What a subscriber heard: the ``expected`` events (5 s at most), then anything more
    that came within half a second (a copy, or an event that was not for it)."""
    subscription = stream.subscribe()
    subscribed.set()
    heard: list[Event] = []

    async def hear(until: int) -> None:
        while len(heard) < until:
            heard.append(await anext(subscription))

    try:
        for until, seconds in ((expected, 5.0), (expected + 1, 0.5)):
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(hear(until), seconds)
    finally:
        subscription.close()
    return heard


def test_an_event_published_by_one_worker_reaches_every_workers_stream_once(
    streams: tuple[SharedEventStream, ...],
) -> None:
    first, second, _ = streams
    events = [_event(n) for n in range(3)]

    async def scenario() -> list[list[Event]]:
        ready = [asyncio.Event() for _ in streams]
        listening = [
            asyncio.create_task(_heard(stream, flag, expected))
            for stream, flag, expected in zip(streams, ready, (3, 3, 0), strict=True)
        ]
        for flag in ready:
            await flag.wait()
        first.publish(events[0])
        second.publish(events[1])
        first.publish(events[2])
        return list(await asyncio.gather(*listening))

    heard_first, heard_second, heard_elsewhere = asyncio.run(scenario())
    assert sorted(e.id for e in heard_first) == sorted(e.id for e in events)
    assert sorted(e.id for e in heard_second) == sorted(e.id for e in events)
    assert heard_elsewhere == []
