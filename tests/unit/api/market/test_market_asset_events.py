"""Asset events: each new asset state is announced once, to its owner, as a TMF event.

The bid manager tells its asset listener (the API's :class:`MarketNotifier`) of
every stored state and of nothing else: not a replayed registration, not an
update that changed nothing, not a refused step, not the twins' catch-up after a
restart. The events reach the hub like the order events: addressed to the owner,
filterable by the TMF query, on the owner's and the by-type MQTT topics.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest

from plaza.api.market.notifications import (
    ASSET_ATTRIBUTES_CHANGED,
    ASSET_CREATED,
    ASSET_DELETED,
    ASSET_STATE_CHANGED,
    MarketNotifier,
    pinned_query,
)
from plaza.market import (
    Asset,
    AssetChange,
    AssetNotActive,
    BidManager,
    Location,
    MemoryAssetDirectory,
    MemoryAssetTwins,
    MemoryBookStore,
    NewAsset,
    attributes,
)
from plaza.notify import (
    MQTT_JOB,
    WEBHOOK_JOB,
    CallbackPolicy,
    MemorySubscriptionStore,
    NotificationHub,
)
from plaza.testing import FakeClock

BERLIN = Location(52.52, 13.40)
CALLBACK = "https://hooks.example/plaza"


@dataclass
class RecordingQueue:
    """The hub's delivery queue, keeping each job it is handed (a repeated key once)."""

    jobs: list[tuple[str, Mapping[str, object]]] = field(default_factory=list)
    keys: set[str] = field(default_factory=set)

    def enqueue(self, name: str, payload: Mapping[str, object], *, key: str | None = None) -> None:
        if key is not None:
            if key in self.keys:
                return
            self.keys.add(key)
        self.jobs.append((name, payload))

    def published(self) -> list[tuple[list[str], dict[str, Any]]]:
        """Every event published (one MQTT job each): its topics and TMF688 body."""
        events = []
        for name, payload in self.jobs:
            topics = payload["topics"] if name == MQTT_JOB else None
            if isinstance(topics, list):
                events.append(([str(t) for t in topics], json.loads(str(payload["body"]))))
        return events

    def webhooks(self, subscription_id: str) -> list[dict[str, Any]]:
        return [
            json.loads(str(payload["body"]))
            for name, payload in self.jobs
            if name == WEBHOOK_JOB and payload["subscription_id"] == subscription_id
        ]

    def take(self) -> list[tuple[list[str], dict[str, Any]]]:
        """The events published since the last take."""
        events = self.published()
        self.jobs.clear()
        return events


class World:
    """A bid manager whose asset listener is the API's notifier over a hub with MQTT on."""

    def __init__(self) -> None:
        self.clock = FakeClock()
        self.queue = RecordingQueue()
        self.hub = NotificationHub(
            MemorySubscriptionStore(),
            self.queue,
            self.clock,
            mqtt_root="plaza",
            callbacks=CallbackPolicy(allow_private=True),
        )
        self.store = MemoryBookStore()
        self.directory = MemoryAssetDirectory()
        self.twins = MemoryAssetTwins()
        self.manager = self.restart()

    def restart(self) -> BidManager:
        """A new bid manager over the same stores: what a process restart is."""
        self.manager = BidManager(
            self.store,
            clock=self.clock,
            assets=self.directory,
            asset_twins=self.twins,
            asset_listener=MarketNotifier(self.hub, self.clock),
        )
        return self.manager


@pytest.fixture
def world() -> World:
    return World()


def panel(owner: str = "ann", name: str = "roof panel") -> NewAsset:
    return NewAsset(owner, "energy", name, BERLIN, attributes({"green": True}))


def _one(world: World) -> dict[str, Any]:
    """The one event the last step published (failing if it published none or several)."""
    events = world.queue.take()
    assert len(events) == 1, events
    return events[0][1]


def test_each_asset_change_is_announced_once_by_its_event_type(world: World) -> None:
    manager = world.manager
    asset = manager.register_asset(panel(), idempotency_key="panel-1").asset
    created = _one(world)
    assert created["eventType"] == ASSET_CREATED
    assert created["event"]["recipient"] == "ann"
    assert created["event"]["changedFields"] == []
    assert created["event"]["asset"] == {
        "id": asset.id,
        "owner": "ann",
        "kind": "energy",
        "name": "roof panel",
        "location": {"lat": 52.52, "lon": 13.40},
        "attributes": {"green": True},
        "state": "active",
        "previousState": None,
        "event": "registered",
        "version": 1,
        "registeredAtMs": asset.registered_at_ms,
        "updatedAtMs": asset.updated_at_ms,
    }

    change = AssetChange("south roof", None, attributes({"green": True, "kw": 9}))
    world.clock.advance(ms=1_000)
    manager.update_asset(asset.id, change, participant="ann")
    updated = _one(world)
    assert updated["eventType"] == ASSET_ATTRIBUTES_CHANGED
    assert updated["event"]["changedFields"] == ["name", "location", "attributes"]
    asset_view = updated["event"]["asset"]
    assert (asset_view["name"], asset_view["location"], asset_view["version"]) == (
        "south roof",
        None,
        2,
    )
    assert asset_view["attributes"] == {"green": True, "kw": 9}
    assert asset_view["updatedAtMs"] == asset.updated_at_ms + 1_000

    steps = [
        (manager.disable_asset, "disabled", "active"),
        (manager.enable_asset, "active", "disabled"),
    ]
    for step, state, previous in steps:
        step(asset.id, participant="ann")
        event = _one(world)
        assert event["eventType"] == ASSET_STATE_CHANGED
        assert (event["event"]["asset"]["state"], event["event"]["asset"]["previousState"]) == (
            state,
            previous,
        )
        assert event["event"]["changedFields"] == ["state"]

    manager.remove_asset(asset.id, participant="ann")
    deleted = _one(world)
    assert deleted["eventType"] == ASSET_DELETED
    assert (deleted["event"]["asset"]["state"], deleted["event"]["asset"]["version"]) == (
        "removed",
        5,
    )
    assert len({e["eventId"] for e in (created, updated, deleted)}) == 3


def test_what_changes_nothing_announces_nothing(world: World) -> None:
    manager = world.manager
    asset = manager.register_asset(panel(), idempotency_key="panel-1").asset
    assert len(world.queue.take()) == 1

    replayed = manager.register_asset(panel(), idempotency_key="panel-1")
    assert (replayed.replayed, replayed.asset) == (True, asset)
    assert world.queue.take() == []  # a replayed registration: no second AssetCreateEvent

    same = AssetChange(asset.name, asset.location, asset.attributes)
    assert manager.update_asset(asset.id, same, participant="ann") == asset
    assert world.queue.take() == []  # the same description: no new state, no event

    with pytest.raises(AssetNotActive):
        manager.enable_asset(asset.id, participant="ann")  # active already: refused
    assert world.queue.take() == []

    world.twins.states.clear()  # a restart catches the twins up, and announces nothing
    world.restart()
    assert world.twins.states
    assert world.queue.take() == []


def test_asset_events_go_to_the_owner_and_are_filtered_like_the_others(world: World) -> None:
    disabled_only = pinned_query(
        "eventType=AssetStateChangeEvent&event.asset.state=disabled", "ann"
    )
    ann = world.hub.register(CALLBACK, query=disabled_only)
    ann_all = world.hub.register(CALLBACK, query=pinned_query("", "ann"))
    bob = world.hub.register(CALLBACK, query=pinned_query("eventType=AssetCreateEvent", "bob"))

    asset = world.manager.register_asset(panel()).asset
    world.manager.disable_asset(asset.id, participant="ann")
    world.manager.enable_asset(asset.id, participant="ann")

    [disabled] = world.queue.webhooks(ann.id)
    assert (disabled["eventType"], disabled["event"]["asset"]["state"]) == (
        ASSET_STATE_CHANGED,
        "disabled",
    )
    assert [e["eventType"] for e in world.queue.webhooks(ann_all.id)] == [
        ASSET_CREATED,
        ASSET_STATE_CHANGED,
        ASSET_STATE_CHANGED,
    ]
    assert world.queue.webhooks(bob.id) == []  # not the owner: public asset, private events
    topics = [topics for topics, _ in world.queue.published()]
    assert topics == [
        ["plaza/ann/AssetCreateEvent", "plaza/events/AssetCreateEvent"],
        ["plaza/ann/AssetStateChangeEvent", "plaza/events/AssetStateChangeEvent"],
        ["plaza/ann/AssetStateChangeEvent", "plaza/events/AssetStateChangeEvent"],
    ]


class _Broken:
    def asset_changed(self, before: Asset | None, after: Asset) -> None:
        raise RuntimeError("listener bug")


def test_a_failing_listener_never_refuses_the_change(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    manager = BidManager(
        world.store, clock=world.clock, assets=world.directory, asset_listener=_Broken()
    )
    with caplog.at_level(logging.ERROR):
        asset = manager.register_asset(panel()).asset
        manager.disable_asset(asset.id, participant="ann")
    assert [s.version for s in world.directory.history(asset.id)] == [1, 2]
    assert "an asset listener failed" in caplog.text
