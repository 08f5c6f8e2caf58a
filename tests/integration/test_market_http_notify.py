"""Notifications over HTTP: the TM Forum hub posts signed events to a real receiver, and
the live stream carries them; both only to the parties the events concern."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from market_server import MarketWorld, serve_market
from notify_support import Post, Receiver, receiver

from plaza.clients.market import AssetTerms
from plaza.clients.node import ApiError
from plaza.crypto import Identity
from plaza.market.assets.model import AssetChange
from plaza.market.auth import Role
from plaza.notify import verify_signature

DELIVERY_TIMEOUT_S = 10.0


def _wait_for_posts(hook: Receiver, count: int = 1) -> list[Post]:
    deadline = time.monotonic() + DELIVERY_TIMEOUT_S
    while len(hook.posts) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    return list(hook.posts)


def test_the_hub_posts_a_signed_contract_create_event_to_its_parties(world: MarketWorld) -> None:
    with receiver() as consumer_hook, receiver() as other_hook:
        query = "eventType=ContractCreateEvent"
        subscription = world.consumer.subscribe(consumer_hook.url, query=query)
        assert subscription.secret is not None
        assert f"event.recipient={world.consumer.me().id}" in subscription.query
        world.other.subscribe(other_hook.url, query=query)

        record = world.contract()
        [post] = _wait_for_posts(consumer_hook)
        headers = {name.lower(): value for name, value in post.headers.items()}
        assert verify_signature(
            subscription.secret,
            headers["x-plaza-timestamp"],
            post.body,
            headers["x-plaza-signature"],
            now=time.time(),
        )
        body = json.loads(post.body)
        assert body["eventType"] == "ContractCreateEvent"
        contract = body["event"]["contract"]
        assert (contract["id"], contract["state"]) == (record.id, "Contract created")
        assert body["event"]["recipient"] == world.consumer.me().id
        time.sleep(0.3)  # the worker had time to deliver anything else it had
        assert other_hook.posts == []  # not a party: nothing, though it asked for the type

        world.consumer.unsubscribe(subscription.id)
        world.contract()
        time.sleep(0.3)
        assert len(consumer_hook.posts) == 1


def test_the_live_stream_carries_the_callers_own_events(world: MarketWorld) -> None:
    stream = world.provider.events(query="eventType=ContractCreateEvent,ContractStateChangeEvent")
    try:
        record = world.contract()
        world.consumer.report_delivery(record.id)
        created, delivered = next(stream), next(stream)
    finally:
        stream.close()
    assert (created.kind, delivered.kind) == ("ContractCreateEvent", "ContractStateChangeEvent")
    assert created.data["event"]["contract"]["id"] == record.id
    assert delivered.data["event"]["contract"]["state"] == "Energy provision finished"
    assert {e.data["event"]["recipient"] for e in (created, delivered)} == {world.provider.me().id}


def test_order_steps_are_announced_to_their_owners(world: MarketWorld) -> None:
    stream = world.provider.events(query="eventType=OrderStateChangeEvent")
    try:
        order = world.provider.offer(world.terms(world.fresh_kind(), 5, 5)).order
        world.provider.cancel(order.id)
        accepted, cancelled = next(stream), next(stream)
    finally:
        stream.close()
    states = [e.data["event"]["order"]["state"] for e in (accepted, cancelled)]
    assert states == ["active", "removed"]


def test_a_marketplace_refuses_private_callbacks_unless_allowed(tmp_path: Path) -> None:
    """No SSRF: by default a webhook may not point into the marketplace's own network."""
    with serve_market(tmp_path) as market, market.client(Identity.generate()) as participant:
        participant.register("hooks", roles=[Role.CONSUMER])
        for url in (
            "http://127.0.0.1:9/hook",
            "http://localhost:9/hook",
            "http://[::1]/hook",
            "http://169.254.169.254/latest/meta-data/",
            "http://10.0.0.7/hook",
            "ftp://hooks.example/",
        ):
            with pytest.raises(ApiError) as refused:
                participant.subscribe(url)
            assert (refused.value.status, refused.value.code) == (400, "invalid_subscription")
        assert market.runtime.services.hub.subscriptions() == []


def test_asset_changes_reach_a_filtered_webhook_once_each(world: MarketWorld) -> None:
    kind = world.fresh_kind()
    query = f"eventType=AssetCreateEvent,AssetStateChangeEvent&event.asset.kind={kind}"
    with receiver() as provider_hook, receiver() as other_hook:
        subscription = world.provider.subscribe(provider_hook.url, query=query)
        world.other.subscribe(other_hook.url, query=query)

        terms = AssetTerms(kind, "roof panel")
        asset = world.provider.register_asset(terms, idempotency_key=f"{kind}-panel").asset
        assert world.provider.register_asset(terms, idempotency_key=f"{kind}-panel").replayed
        world.provider.update_asset(asset.id, AssetChange("south roof"))  # not asked for
        world.provider.register_asset(AssetTerms(world.fresh_kind(), "elsewhere"))  # other kind
        world.provider.disable_asset(asset.id)
        created, disabled = _wait_for_posts(provider_hook, 2)[:2]
        time.sleep(0.3)  # the worker had time to deliver anything else it had
        world.provider.unsubscribe(subscription.id)

    assert len(provider_hook.posts) == 2  # the replay announced nothing
    bodies = [json.loads(post.body) for post in (created, disabled)]
    assert [b["eventType"] for b in bodies] == ["AssetCreateEvent", "AssetStateChangeEvent"]
    assert {b["event"]["asset"]["id"] for b in bodies} == {asset.id}
    assert [b["event"]["asset"]["state"] for b in bodies] == ["active", "disabled"]
    assert {b["event"]["recipient"] for b in bodies} == {world.provider.me().id}
    assert other_hook.posts == []  # public asset, but its events are the owner's


def test_the_live_stream_carries_the_owners_asset_events(world: MarketWorld) -> None:
    kind = world.fresh_kind()
    stream = world.provider.events(query=f"event.asset.kind={kind}")
    try:
        asset = world.provider.register_asset(AssetTerms(kind, "charger")).asset
        world.provider.enable_asset(world.provider.disable_asset(asset.id).id)
        world.provider.remove_asset(asset.id)
        events = [next(stream) for _ in range(4)]
    finally:
        stream.close()
    assert [e.kind for e in events] == [
        "AssetCreateEvent",
        "AssetStateChangeEvent",
        "AssetStateChangeEvent",
        "AssetDeleteEvent",
    ]
    assert [e.data["event"]["asset"]["version"] for e in events] == [1, 2, 3, 4]
