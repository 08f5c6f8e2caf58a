"""The fan-out's caps and its cost to the publisher (issue 16, item 2).

Before, every published item was handed to every subscriber with its own
cross-thread call, whether or not it read, and nothing capped subscribers: 1,000
idle event streams cut a node's ingest from about 800 to 28 messages a second.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import pytest

from plaza.fanout import GATHER_S, FanOut, FanOutFull
from plaza.node import EventHub
from plaza.node.errors import SubscriberLimitReached


def test_subscribers_are_capped_per_client_and_in_total() -> None:
    async def scenario() -> None:
        fanout: FanOut[int] = FanOut(capacity=10, per_client=2, total=3)
        first = [fanout.subscribe(client="a") for _ in range(2)]
        with pytest.raises(FanOutFull, match="from this client"):
            fanout.subscribe(client="a")
        fanout.subscribe(client="b")
        with pytest.raises(FanOutFull, match="in all"):
            fanout.subscribe(client="c")
        first[0].close()
        fanout.subscribe(client="a")  # a closed subscription frees its place at once

    asyncio.run(scenario())


def test_the_nodes_own_readers_are_not_counted_against_a_client() -> None:
    async def scenario() -> None:
        hub = EventHub(per_client=1, total=5)
        hub.subscribe(client="127.0.0.1")
        with pytest.raises(SubscriberLimitReached):
            hub.subscribe(client="127.0.0.1")
        hub.subscribe()  # gossip, in-process followers
        assert hub.statistics() == {"subscribers": 2}

    asyncio.run(scenario())


def test_publishing_wakes_a_loop_once_however_many_subscribers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def scenario() -> list[list[int]]:
        loop = asyncio.get_running_loop()
        wakeups: list[object] = []
        original = loop.call_soon_threadsafe

        def counted(callback: object, *args: object) -> asyncio.Handle:
            wakeups.append(callback)
            return original(callback, *args)  # type: ignore[arg-type]

        monkeypatch.setattr(loop, "call_soon_threadsafe", counted)
        fanout: FanOut[int] = FanOut(capacity=100)
        readers = [fanout.subscribe(client=f"10.0.0.{n}") for n in range(50)]
        for item in range(20):
            fanout.publish(item)
        assert len(wakeups) == 1  # one hand-over for 20 items and 50 subscribers
        await asyncio.sleep(GATHER_S * 3)
        return [reader.ready(100) for reader in readers]

    received = asyncio.run(scenario())
    assert received == [list(range(20))] * 50


def test_a_subscriber_that_does_not_read_is_ended_and_the_others_go_on() -> None:
    async def scenario() -> tuple[bool, list[int]]:
        fanout: FanOut[int] = FanOut(capacity=5)
        idle = fanout.subscribe()
        reader = fanout.subscribe()
        received: list[int] = []
        for item in range(12):
            fanout.publish(item)
            await asyncio.sleep(0)
            received.extend(reader.ready(100))
        await asyncio.sleep(0)
        return idle.overflowed, received

    overflowed, received = asyncio.run(scenario())
    assert overflowed
    assert received == list(range(12))


def test_a_filter_runs_once_per_item_however_many_subscribers_share_it() -> None:
    """Equal filters (each stream parses its own) are one pass over a drain, not one a
    subscriber; a subscriber newer than some of the items still gets only the later ones."""
    calls: list[int] = []

    @dataclass(frozen=True)
    class Even:
        def matches(self, item: int) -> bool:
            calls.append(item)
            return item % 2 == 0

    async def scenario() -> tuple[list[list[int]], list[int]]:
        fanout: FanOut[int] = FanOut(capacity=100)
        readers = [fanout.subscribe(Even().matches, client=f"10.0.1.{n}") for n in range(50)]
        for item in range(10):
            fanout.publish(item)
        late = fanout.subscribe(Even().matches, client="10.0.2.1")
        for item in range(10, 20):
            fanout.publish(item)
        await asyncio.sleep(GATHER_S * 3)
        return [reader.ready(100) for reader in readers], late.ready(100)

    received, late = asyncio.run(scenario())
    assert received == [list(range(0, 20, 2))] * 50
    assert late == list(range(10, 20, 2))
    assert len(calls) == 20 + 10  # every item once, and the late subscriber's own pass
