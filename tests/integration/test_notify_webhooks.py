"""Webhook delivery end to end: hub -> job queue -> worker -> HTTP -> a real receiver.

The receiver checks every post the way a subscriber would (:func:`verify_signature`);
the fake clock drives the backoff between attempts.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from notify_support import free_port, receiver

from plaza.jobs import InlineQueue, JobQueue, JobState, RetryPolicy, SqliteQueue, Worker
from plaza.notify import (
    WEBHOOK_JOB,
    Event,
    NotificationHub,
    SqliteSubscriptionStore,
    Subscription,
    WebhookDeliverer,
    verify_signature,
)
from plaza.testing import FakeClock

POLICY = RetryPolicy(max_attempts=4, base_delay_ms=1_000, factor=2)


@dataclass
class Wiring:
    clock: FakeClock
    queue: JobQueue
    hub: NotificationHub
    worker: Worker

    def deliver(self, *, rounds: int = 1) -> None:
        """Run due deliveries, then let the longest backoff pass; ``rounds`` times."""
        for _ in range(rounds):
            self.worker.run_until_idle()
            self.clock.advance(seconds=10)


@pytest.fixture(params=["inline", "sqlite"])
def wiring(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Wiring]:
    clock = FakeClock()
    queue: JobQueue
    if request.param == "inline":
        queue = InlineQueue(clock, policy=POLICY)
    else:
        queue = SqliteQueue(tmp_path / "jobs.sqlite", clock, policy=POLICY)
    store = SqliteSubscriptionStore(tmp_path / "subscriptions.sqlite")
    client = httpx.Client()
    deliverer = WebhookDeliverer(store, client, clock, timeout_s=5)
    hub = NotificationHub(store, queue, clock)  # the jobs queue is the hub's DeliveryQueue
    try:
        yield Wiring(clock, queue, hub, Worker(queue, {WEBHOOK_JOB: deliverer}))
    finally:
        client.close()
        store.close()
        queue.close()


def contract_created(clock: FakeClock) -> Event:
    payload = {"contract": {"id": "c1", "price": 5, "state": "created"}}
    return Event.new("ContractCreateEvent", payload, time_ms=clock.now_ms())


def assert_signed(post_headers: dict[str, str], body: bytes, subscription: Subscription) -> None:
    timestamp = post_headers["X-Plaza-Timestamp"]
    signature = post_headers["X-Plaza-Signature"]
    now = int(timestamp)  # the receiver's clock agrees with the sender's
    assert verify_signature(subscription.secret, timestamp, body, signature, now=now)
    assert not verify_signature(subscription.secret, timestamp, body + b" ", signature, now=now)


def test_fails_twice_then_delivered_signed(wiring: Wiring) -> None:
    with receiver(fail_first=2) as hooks:
        subscription = wiring.hub.register(hooks.url, query="eventType=ContractCreateEvent")
        event = contract_created(wiring.clock)
        assert wiring.hub.publish(event) == 1

        wiring.worker.run_until_idle()
        assert len(hooks.posts) == 1
        wiring.clock.advance(ms=999)
        wiring.worker.run_until_idle()
        assert len(hooks.posts) == 1  # backing off
        wiring.clock.advance(ms=1)
        wiring.worker.run_until_idle()
        wiring.clock.advance(ms=2_000)
        wiring.worker.run_until_idle()

    assert len(hooks.posts) == 3
    deliveries = {post.headers["X-Plaza-Delivery"] for post in hooks.posts}
    assert len(deliveries) == 1
    timestamps = [int(post.headers["X-Plaza-Timestamp"]) for post in hooks.posts]
    start = (wiring.clock.now_ms() - 3_000) // 1000
    assert timestamps == [start, start + 1, start + 3]
    for post in hooks.posts:
        assert post.path == "/hooks/plaza?token=receiver-token"
        assert post.body == event.encode()
        assert post.headers["X-Plaza-Event"] == "ContractCreateEvent"
        assert post.headers["Content-Type"] == "application/json"
        assert_signed(post.headers, post.body, subscription)
    assert wiring.queue.statistics() == {"pending": 0, "running": 0, "done": 1, "dead": 0}


def test_a_receiver_that_always_fails_ends_in_the_dead_letters(wiring: Wiring) -> None:
    with receiver(fail_first=1_000, fail_status=503) as hooks:
        wiring.hub.register(hooks.url)
        wiring.hub.publish(contract_created(wiring.clock))
        wiring.deliver(rounds=8)
    assert len(hooks.posts) == 4
    (dead,) = wiring.queue.dead_letters()
    assert (dead.state, dead.attempts) == (JobState.DEAD, 4)
    assert dead.last_error is not None
    assert "HTTP 503" in dead.last_error


def test_redirects_are_not_followed(wiring: Wiring) -> None:
    with receiver(fail_first=1, fail_status=302) as hooks:
        wiring.hub.register(hooks.url)
        wiring.hub.publish(contract_created(wiring.clock))
        wiring.deliver(rounds=3)
    assert [post.path for post in hooks.posts] == ["/hooks/plaza?token=receiver-token"] * 2
    assert wiring.queue.statistics()["done"] == 1


def test_an_unreachable_receiver_is_retried_without_leaking_its_url(wiring: Wiring) -> None:
    wiring.hub.register(f"http://127.0.0.1:{free_port()}/hooks?token=receiver-token")
    wiring.hub.publish(contract_created(wiring.clock))
    wiring.deliver(rounds=8)
    (dead,) = wiring.queue.dead_letters()
    assert dead.attempts == 4
    assert dead.last_error is not None
    assert "ConnectError" in dead.last_error
    assert "receiver-token" not in dead.last_error


def test_unregistering_stops_pending_retries(wiring: Wiring) -> None:
    with receiver(fail_first=1_000) as hooks:
        subscription = wiring.hub.register(hooks.url)
        wiring.hub.publish(contract_created(wiring.clock))
        wiring.worker.run_until_idle()
        wiring.hub.unregister(subscription.id)
        wiring.deliver(rounds=5)
    assert len(hooks.posts) == 1
    assert wiring.queue.statistics() == {"pending": 0, "running": 0, "done": 1, "dead": 0}


def test_each_subscriber_gets_what_its_query_selects(wiring: Wiring) -> None:
    with receiver() as contracts, receiver() as offers:
        wiring.hub.register(contracts.url, query="eventType=ContractCreateEvent")
        wiring.hub.register(offers.url, query="eventType=OfferStateChangeEvent")
        event = contract_created(wiring.clock)
        wiring.hub.publish(event)
        wiring.hub.publish(event)  # a second publish of the same event is not a second post
        wiring.deliver()
    assert [post.body for post in contracts.posts] == [event.encode()]
    assert offers.posts == []
