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

from plaza.jobs import InlineQueue, JobQueue, JobState, RetryPolicy, Worker
from plaza.jobs.sqlite import SqliteQueue
from plaza.notify import (
    WEBHOOK_JOB,
    CallbackPolicy,
    Event,
    MemorySubscriptionStore,
    NotificationHub,
    Subscription,
    callbacks,
    verify_signature,
)
from plaza.notify.stores import SqliteSubscriptionStore
from plaza.notify.transport import guarded_transport
from plaza.notify.webhook import WebhookDeliverer
from plaza.testing import FakeClock

POLICY = RetryPolicy(max_attempts=4, base_delay_ms=1_000, factor=2)
PUBLIC = "93.184.216.34"


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
    local = CallbackPolicy(allow_private=True)  # the receivers listen on 127.0.0.1
    deliverer = WebhookDeliverer(store, client, clock, timeout_s=5, callbacks=local)
    hub = NotificationHub(store, queue, clock, callbacks=local)  # jobs queue: the hub's queue
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


class Dns:
    """A resolver whose answers the test changes, as a DNS-rebinding attacker would."""

    def __init__(self, *answers: str) -> None:
        self.answers = list(answers)
        self.asked = 0

    def __call__(self, host: str, port: int) -> list[str]:
        answer = self.answers[min(self.asked, len(self.answers) - 1)]
        self.asked += 1
        return [answer]


def _guarded_wiring(dns: Dns, clock: FakeClock) -> tuple[NotificationHub, Worker, InlineQueue]:
    policy = CallbackPolicy(resolver=dns)
    client = httpx.Client(transport=guarded_transport(policy), trust_env=False)
    store = MemorySubscriptionStore()
    queue = InlineQueue(clock, policy=POLICY)
    deliverer = WebhookDeliverer(store, client, clock, timeout_s=5, callbacks=policy)
    return (
        NotificationHub(store, queue, clock, callbacks=policy),
        Worker(queue, {WEBHOOK_JOB: deliverer}),
        queue,
    )


def _hooks_example(url: str) -> str:
    """The receiver's URL under a name only the test's resolver knows."""
    return url.replace("127.0.0.1", "hooks.example")


def test_a_callback_that_resolves_privately_at_delivery_gets_nothing() -> None:
    clock = FakeClock()
    with receiver() as hooks:
        dns = Dns(PUBLIC, "127.0.0.1")  # public when registered, then rebound to loopback
        hub, worker, queue = _guarded_wiring(dns, clock)
        hub.register(_hooks_example(hooks.url))
        hub.publish(contract_created(clock))
        for _ in range(6):
            worker.run_until_idle()
            clock.advance(seconds=10)
    assert hooks.posts == []
    (dead,) = queue.dead_letters()
    assert dead.last_error is not None
    assert "callback refused" in dead.last_error
    assert "receiver-token" not in dead.last_error


def test_the_transport_checks_the_address_it_connects_to() -> None:
    """Rebinding between the deliverer's check and the connection: the transport's own
    lookup is the one connected to, and it is refused."""
    dns = Dns(PUBLIC, PUBLIC, "127.0.0.1")  # registration, the deliverer's check, connect
    clock = FakeClock()
    with receiver() as hooks:
        hub, worker, queue = _guarded_wiring(dns, clock)
        hub.register(_hooks_example(hooks.url))
        hub.publish(contract_created(clock))
        worker.run_until_idle()
    assert hooks.posts == []
    assert dns.asked == 3
    assert queue.statistics()["pending"] == 1  # a failed attempt, to be retried


def test_the_transport_connects_to_the_checked_address(monkeypatch: pytest.MonkeyPatch) -> None:
    """Loopback allowed for this test only: the post reaches the address the policy's own
    lookup gave (the system resolver does not know hooks.example), under the URL's host."""
    monkeypatch.setattr(callbacks, "refused_because", lambda address: None)
    clock = FakeClock()
    with receiver() as hooks:
        hub, worker, _ = _guarded_wiring(Dns("127.0.0.1"), clock)
        hub.register(_hooks_example(hooks.url))
        hub.publish(contract_created(clock))
        worker.run_until_idle()
    [post] = hooks.posts
    assert post.headers["Host"].startswith("hooks.example:")
