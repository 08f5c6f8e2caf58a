"""The hub: subscriptions in both stores, fan-out into jobs, the live stream, MQTT jobs.

Jobs go into a real ``plaza.jobs`` queue: the hub's ``DeliveryQueue`` port is
the queue's own ``enqueue``, so the composition root wires them with no glue.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from plaza.jobs import InlineQueue, Worker
from plaza.notify import (
    MQTT_JOB,
    WEBHOOK_JOB,
    CallbackPolicy,
    Event,
    EventQuery,
    EventStream,
    InvalidEvent,
    InvalidSubscription,
    MemoryPublisher,
    MemorySubscriptionStore,
    MqttRelay,
    NotificationHub,
    SubscriptionNotFound,
    SubscriptionStore,
    delivery_id,
    topics_for,
)
from plaza.notify.stores import SqliteSubscriptionStore
from plaza.testing import FakeClock

CALLBACK = "https://buyer.example/hooks?token=receiver-own-token"
#: These tests register made-up and local hosts: the setting that allows them, not resolved.
LOCAL = CallbackPolicy(allow_private=True)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SubscriptionStore]:
    opened: SubscriptionStore
    if request.param == "memory":
        opened = MemorySubscriptionStore()
    else:
        opened = SqliteSubscriptionStore(tmp_path / "subs.sqlite")
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def queue(clock: FakeClock) -> Iterator[InlineQueue]:
    opened = InlineQueue(clock)
    yield opened
    opened.close()


def event(event_type: str = "ContractCreateEvent", *participants: str, **payload: object) -> Event:
    return Event.new(event_type, payload, time_ms=1_767_225_600_000, participants=participants)


def test_register_list_get_unregister(
    store: SubscriptionStore, queue: InlineQueue, clock: FakeClock
) -> None:
    hub = NotificationHub(store, queue, clock, callbacks=LOCAL)
    first = hub.register(CALLBACK, query="eventType=ContractCreateEvent")
    second = hub.register("http://127.0.0.1:9/cb", secret="k" * 32)
    assert first.query == EventQuery(frozenset({"ContractCreateEvent"}))
    assert first.created_ms == clock.now_ms()
    assert len(first.secret) == 64
    assert second.secret == "k" * 32
    assert hub.subscriptions() == [first, second]
    assert hub.subscription(first.id) == first

    hub.unregister(first.id)
    assert hub.subscriptions() == [second]
    with pytest.raises(SubscriptionNotFound):
        hub.unregister(first.id)
    with pytest.raises(SubscriptionNotFound):
        hub.subscription(first.id)


def test_bad_registrations_are_refused(store: SubscriptionStore, queue: InlineQueue) -> None:
    hub = NotificationHub(store, queue, FakeClock(), callbacks=LOCAL)
    with pytest.raises(InvalidSubscription):
        hub.register("ftp://x.example/")
    with pytest.raises(InvalidSubscription):
        hub.register(CALLBACK, query="eventType=not a type")
    with pytest.raises(InvalidSubscription, match="at least 32"):
        hub.register(CALLBACK, secret="short")
    assert hub.subscriptions() == []


def test_sqlite_subscriptions_survive_reopening(tmp_path: Path, queue: InlineQueue) -> None:
    path = tmp_path / "subs.sqlite"
    store = SqliteSubscriptionStore(path)
    query = "eventType=OfferStateChangeEvent&event.offer.note=a%20b"
    registered = NotificationHub(store, queue, FakeClock(), callbacks=LOCAL).register(
        CALLBACK, query=query
    )
    store.close()
    reopened = SqliteSubscriptionStore(path)
    try:
        assert reopened.list_all() == [registered]
    finally:
        reopened.close()


def test_the_sqlite_store_holding_webhook_secrets_is_private(tmp_path: Path) -> None:
    """Created readable by its owner only, with its folder, before any secret is written."""
    path = tmp_path / "notify" / "subs.sqlite"
    SqliteSubscriptionStore(path).close()
    assert path.stat().st_mode & 0o777 == 0o600


def test_secrets_stay_out_of_reprs_jobs_and_logs(
    store: SubscriptionStore,
    queue: InlineQueue,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    hub = NotificationHub(store, queue, clock, mqtt_root="plaza", callbacks=LOCAL)
    with caplog.at_level(logging.DEBUG):
        subscription = hub.register(CALLBACK)
        hub.publish(event())
        hub.unregister(subscription.id)
    assert subscription.secret not in repr(subscription)
    assert subscription.secret not in str(hub.subscriptions())
    assert subscription.secret not in caplog.text
    assert "receiver-own-token" not in caplog.text
    (lease,) = [
        lease for lease in queue.claim(lease_ms=1, limit=5) if lease.job.name == WEBHOOK_JOB
    ]
    assert subscription.secret not in str(lease.job.payload)
    assert CALLBACK not in str(lease.job.payload)


def test_publish_enqueues_one_delivery_per_matching_subscription(
    store: SubscriptionStore, queue: InlineQueue, clock: FakeClock
) -> None:
    hub = NotificationHub(store, queue, clock, callbacks=LOCAL)
    everything = hub.register(CALLBACK)
    contracts = hub.register(CALLBACK, query="eventType=ContractCreateEvent")
    active = hub.register(CALLBACK, query="event.offer.state=active")
    created = event("ContractCreateEvent", contract={"id": "c1"})

    assert hub.publish(created) == 2
    assert hub.publish(created) == 2  # published again: the same jobs, not new ones
    leases = queue.claim(lease_ms=1_000, limit=10)
    assert {lease.job.payload["subscription_id"] for lease in leases} == {
        everything.id,
        contracts.id,
    }
    (job,) = [lease.job for lease in leases if lease.job.payload["subscription_id"] == contracts.id]
    assert job.name == WEBHOOK_JOB
    assert job.key == f"webhook:{delivery_id(created.id, contracts.id)}"
    assert job.payload == {
        "delivery_id": delivery_id(created.id, contracts.id),
        "subscription_id": contracts.id,
        "event_type": "ContractCreateEvent",
        "body": created.encode().decode(),
    }

    assert hub.publish(event("OfferStateChangeEvent", offer={"state": "active"})) == 2
    assert active.id in {
        lease.job.payload["subscription_id"] for lease in queue.claim(lease_ms=1_000, limit=10)
    }
    assert hub.statistics() == {"published": 3, "subscriptions": 3}


def test_mqtt_publication_is_a_job_to_every_topic(
    store: SubscriptionStore, queue: InlineQueue, clock: FakeClock
) -> None:
    hub = NotificationHub(store, queue, clock, mqtt_root="plaza", callbacks=LOCAL)
    publisher = MemoryPublisher()
    publisher.failures_left = 1
    worker = Worker(queue, {MQTT_JOB: MqttRelay(publisher)})
    created = event("ContractCreateEvent", "plaza1buyer", "plaza1seller", contract={"id": "c1"})

    assert hub.publish(created) == 0
    worker.run_until_idle()
    assert publisher.messages == []  # the broker was down: the job backs off
    clock.advance(seconds=60)
    worker.run_until_idle()
    assert publisher.messages == [
        ("plaza/plaza1buyer/ContractCreateEvent", created.encode()),
        ("plaza/plaza1seller/ContractCreateEvent", created.encode()),
        ("plaza/events/ContractCreateEvent", created.encode()),
    ]
    publisher.close()


def test_topics_refuse_a_participant_named_like_the_type_level() -> None:
    assert topics_for(event("ContractCreateEvent"), root="x") == ["x/events/ContractCreateEvent"]
    with pytest.raises(InvalidEvent):
        topics_for(event("ContractCreateEvent", "events"))


def test_live_stream_gets_matching_events(store: SubscriptionStore, queue: InlineQueue) -> None:
    stream = EventStream(capacity=10)
    hub = NotificationHub(store, queue, FakeClock(), stream=stream, callbacks=LOCAL)
    wanted = event("OfferStateChangeEvent", offer={"state": "active"})

    async def follow() -> list[Event]:
        subscription = stream.subscribe(EventQuery.parse("eventType=OfferStateChangeEvent"))
        hub.publish(event("ContractCreateEvent"))
        hub.publish(wanted)
        received = [await anext(subscription)]
        subscription.close()
        received += [e async for e in subscription]
        return received

    assert asyncio.run(follow()) == [wanted]
    assert stream.statistics() == {"subscribers": 0}


def test_a_lagging_stream_subscriber_is_ended() -> None:
    stream = EventStream(capacity=2)

    async def lag() -> tuple[list[Event], bool]:
        subscription = stream.subscribe()
        for n in range(5):
            stream.publish(event(n=n))
        await asyncio.sleep(0)  # let the loop hand the events over
        return [e async for e in subscription], subscription.overflowed

    received, overflowed = asyncio.run(lag())
    assert len(received) == 2
    assert overflowed
    assert stream.statistics() == {"subscribers": 0}
