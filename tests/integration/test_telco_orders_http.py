"""Telco orders end to end, over real HTTP with a real node (issue 14, items 2-4).

A provider offers a cell site and a service provider requests coverage near it:
matched on creation. The service provider holds the price on the ledger (the
marketplace as arbiter) and orders through TMF622; the orchestrator, an operator
subscribed to the order hub, is told; it reports access configured and the
marketplace settles the hold to the asset provider. A cancelled order is refunded
in full, a failure during the window paid pro rata, and an auditor reads the trail
and the holds back from the ledger. Refusals change nothing.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from market_server import HOUR_MS, MarketWorld, market_world, serve_market
from node_server import RunningNode
from notify_support import Receiver, receiver
from telco_support import (
    OFFERING,
    ORDER,
    ORDERING,
    cell_site,
    conforms,
    offering,
    request,
    tmf,
)

from plaza.adapters.ledger.remote import RemoteLedger
from plaza.bootstrap import SystemClock
from plaza.clients.market import MarketClient
from plaza.crypto import Address
from plaza.ledger.model import SettlePayload
from plaza.market.auth import Scope
from plaza.wallet.holds import compose_hold

WAIT_S = 30.0
API = "tmf622_v4.0.0"


@dataclass
class Stage:
    world: MarketWorld
    ledger: RemoteLedger
    hooks: Receiver
    arbiter: Address
    orchestrator: str
    places: Iterator[int]

    def place(self) -> float:
        """A fresh place (far from the others) so each test's offers meet only its requests."""
        return -60.0 + 5 * next(self.places)


@pytest.fixture(scope="module")
def stage(node: RunningNode, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stage]:
    folder: Path = tmp_path_factory.mktemp("telco")
    with ExitStack() as stack:
        market = stack.enter_context(
            serve_market(folder, node_url=node.url, allow_private_callbacks=True)
        )
        world = market_world(market)
        stack.callback(world.close)
        ledger = RemoteLedger(stack.enter_context(node.client()), clock=SystemClock())
        _fund(ledger, world.consumer)
        hooks = stack.enter_context(receiver())
        subscribed = tmf(world.operator, "POST", f"{ORDERING}/hub", {"callback": hooks.url})
        assert subscribed.status_code == 201, subscribed.text
        conforms(API, "EventSubscription", subscribed.json())
        arbiter = world.consumer.info().signing_key.address
        yield Stage(world, ledger, hooks, arbiter, world.operator.me().id, iter(range(99)))


def _fund(ledger: RemoteLedger, client: MarketClient) -> None:
    """The faucet's grant to the participant's own address, confirmed."""
    assert client.identity is not None
    grant = ledger.request_faucet(client.identity.address)
    ledger.wait_for_confirmation(grant.message_id, timeout_s=WAIT_S)


def _now() -> int:
    return SystemClock().now_ms()


def _hold(stage: Stage, payee: str, amount: int, expires_at_ms: int) -> str:
    """The service provider's hold, confirmed on the ledger; its id in hex."""
    identity = stage.world.consumer.identity
    assert identity is not None
    held = compose_hold(
        stage.ledger,
        identity.signing,
        payee,
        amount,
        expires_at_ms=expires_at_ms,
        arbiter=stage.arbiter,
    )
    stage.ledger.submit(held.message.raw)
    stage.ledger.wait_for_confirmation(held.message.id, timeout_s=WAIT_S)
    return held.hold_id.hex()


def _order_body(stage: Stage, offer_id: str, request_id: str, hold_id: str) -> dict[str, Any]:
    return {
        "productOrderItem": [{"id": "1", "action": "add", "productOffering": {"id": offer_id}}],
        "productRequest": {"id": request_id},
        "relatedParty": [{"id": stage.orchestrator, "role": "orchestrator"}],
        "payment": [{"id": hold_id, "@referredType": "HeldPayment"}],
        "@type": "ProductOrder",
    }


@dataclass
class Deal:
    offer: dict[str, Any]
    request: dict[str, Any]
    provider: str
    start: int
    end: int


def _deal(stage: Stage, start: int, end: int, price: int = 300) -> Deal:
    lat = stage.place()
    asset = cell_site(stage.world.provider, lat, 7.69)
    offered = offering(stage.world.provider, asset["id"], start, end, price)
    wanted = request(stage.world.consumer, start, end, price + 50, lat=lat + 0.01, lon=7.69)
    assert [found["id"] for found in wanted["match"]] == [offered["id"]]
    return Deal(offered, wanted, stage.world.provider.me().id, start, end)


def _ordered(stage: Stage, deal: Deal, price: int = 300) -> dict[str, Any]:
    hold_id = _hold(stage, deal.provider, price, deal.end + HOUR_MS)
    body = _order_body(stage, deal.offer["id"], deal.request["id"], hold_id)
    answer = tmf(stage.world.consumer, "POST", ORDER, body)
    assert answer.status_code == 201, answer.text
    return dict(conforms(API, "ProductOrder", answer.json()))


def _settled_hold(client: MarketClient, order_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + WAIT_S
    while True:
        hold = tmf(client, "GET", f"{ORDER}/{order_id}/hold").json()
        if hold["status"] != "open" or time.monotonic() > deadline:
            return dict(hold)
        time.sleep(0.2)


def _events(hooks: Receiver, order_id: str, count: int) -> list[dict[str, Any]]:
    deadline = time.monotonic() + WAIT_S
    while True:
        bodies = [json.loads(post.body) for post in hooks.posts]
        found = [b for b in bodies if b["event"]["productOrder"]["id"] == order_id]
        if len(found) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def test_an_order_is_paid_to_the_asset_provider_once_access_is_configured(stage: Stage) -> None:
    start = _now() + HOUR_MS
    deal = _deal(stage, start, start + 2 * HOUR_MS)
    order = _ordered(stage, deal)
    assert order["state"] == "acknowledged"
    assert order["productOrderItem"][0]["productOffering"]["id"] == deal.offer["id"]
    [created] = _events(stage.hooks, order["id"], 1)
    assert created["eventType"] == "ProductOrderCreateEvent"
    conforms(API, "ProductOrderCreateEvent", created)
    assert created["event"]["recipient"] == stage.orchestrator
    offered = tmf(stage.world.anonymous, "GET", f"{OFFERING}/{deal.offer['id']}").json()
    assert offered["lifecycleStatus"] == "filled"

    configured = tmf(
        stage.world.operator, "PATCH", f"{ORDER}/{order['id']}", {"state": "inProgress"}
    )
    assert configured.status_code == 200, configured.text
    closing = conforms(API, "ProductOrder", configured.json())["trail"][-1]
    assert (closing["event"], closing["toPayee"]) == ("accessConfigured", 300)
    hold = _settled_hold(stage.world.auditor, order["id"])
    assert (hold["status"], hold["toPayee"]) == ("settled", 300)
    assert hold["closedBy"] == closing["ledgerMessage"]
    settlement = stage.ledger.message(bytes.fromhex(hold["closedBy"]))
    assert settlement is not None
    assert isinstance(settlement.payload, SettlePayload)
    assert settlement.payload.tag == b"plaza-telco"
    assert json.loads(settlement.payload.data) == {
        "event": "accessConfigured",
        "order": order["id"],
        "toPayee": 300,
    }
    assert stage.ledger.balance(Address.parse(deal.provider)).amount >= 300
    events = _events(stage.hooks, order["id"], 2)
    assert events[-1]["eventType"] == "ProductOrderStateChangeEvent"
    conforms(API, "ProductOrderStateChangeEvent", events[-1])
    assert events[-1]["event"]["productOrder"]["state"] == "inProgress"


def test_a_cancelled_order_is_refunded_and_only_its_customer_cancels_it(stage: Stage) -> None:
    start = _now() + HOUR_MS
    order = _ordered(stage, _deal(stage, start, start + HOUR_MS))
    cancel = {"productOrder": {"id": order["id"]}}
    assert (
        tmf(stage.world.provider, "POST", f"{ORDERING}/cancelProductOrder", cancel).status_code
        == 403
    )
    assert (
        tmf(stage.world.other, "POST", f"{ORDERING}/cancelProductOrder", cancel).status_code == 404
    )
    assert (
        tmf(stage.world.auditor, "POST", f"{ORDERING}/cancelProductOrder", cancel).status_code
        == 403
    )
    done = tmf(stage.world.consumer, "POST", f"{ORDERING}/cancelProductOrder", cancel)
    assert done.status_code == 201, done.text
    assert conforms(API, "CancelProductOrder", done.json())["state"] == "done"
    again = tmf(stage.world.consumer, "POST", f"{ORDERING}/cancelProductOrder", cancel)
    assert (again.status_code, again.json()["error"]["code"]) == (409, "wrong_state")
    hold = _settled_hold(stage.world.consumer, order["id"])
    assert (hold["status"], hold["toPayee"]) == ("settled", 0)
    read = tmf(stage.world.consumer, "GET", f"{ORDER}/{order['id']}").json()
    assert read["state"] == "cancelled"
    assert [step["event"] for step in read["trail"]] == ["placed", "cancelled"]


def test_a_failure_during_the_window_pays_the_share_served(stage: Stage) -> None:
    now = _now()
    deal = _deal(stage, now - HOUR_MS, now + HOUR_MS, price=1000)
    order = _ordered(stage, deal, price=1000)
    patch = stage.world.operator.prepare(
        "PATCH", f"{ORDER}/{order['id']}", body={"state": "failed"}
    )
    patch.headers["Content-Type"] = "application/merge-patch+json"
    with httpx.Client() as http:
        failed = http.send(patch)
    assert failed.status_code == 200, failed.text
    share = failed.json()["trail"][-1]["toPayee"]
    assert 490 <= share <= 520  # half the window had passed, give or take the test's seconds
    hold = _settled_hold(stage.world.auditor, order["id"])
    assert (hold["status"], hold["toPayee"]) == ("settled", share)
    assert (
        tmf(
            stage.world.consumer, "PATCH", f"{ORDER}/{order['id']}", {"state": "failed"}
        ).status_code
        == 403
    )


def test_an_order_the_hold_does_not_pay_is_refused_and_changes_nothing(stage: Stage) -> None:
    start = _now() + HOUR_MS
    deal = _deal(stage, start, start + HOUR_MS)
    short = _hold(stage, deal.provider, 299, deal.end + HOUR_MS)
    body = _order_body(stage, deal.offer["id"], deal.request["id"], short)
    refused = tmf(stage.world.consumer, "POST", ORDER, body)
    assert (refused.status_code, refused.json()["error"]["code"]) == (422, "hold_refused")
    assert "amount" in refused.json()["error"]["message"]
    unknown = _order_body(stage, deal.offer["id"], deal.request["id"], "cd" * 32)
    answer = tmf(stage.world.consumer, "POST", ORDER, unknown)
    assert (answer.status_code, answer.json()["error"]["code"]) == (409, "hold_not_open")
    not_operator = {**body, "relatedParty": [{"id": deal.provider, "role": "orchestrator"}]}
    assert tmf(stage.world.consumer, "POST", ORDER, not_operator).status_code == 422
    stolen = _hold(stage, deal.provider, 300, deal.end + HOUR_MS)
    by_provider = _order_body(stage, deal.offer["id"], deal.request["id"], stolen)
    assert tmf(stage.world.provider, "POST", ORDER, by_provider).status_code == 403
    offered = tmf(stage.world.anonymous, "GET", f"{OFFERING}/{deal.offer['id']}").json()
    assert offered["lifecycleStatus"] == "active"
    mine = tmf(stage.world.consumer, "GET", ORDER).json()
    assert deal.offer["id"] not in [o["productOrderItem"][0]["productOffering"]["id"] for o in mine]


def test_an_auditor_reads_every_order_of_a_participant_and_checks_its_holds(stage: Stage) -> None:
    start = _now() + HOUR_MS
    order = _ordered(stage, _deal(stage, start, start + HOUR_MS))
    customer = stage.world.consumer.me().id
    listed = tmf(stage.world.auditor, "GET", ORDER, params={"relatedParty.id": customer})
    assert listed.status_code == 200
    assert order["id"] in [item["id"] for item in listed.json()]
    assert int(listed.headers["X-Total-Count"]) >= 1
    for item in listed.json():
        hold = tmf(stage.world.auditor, "GET", f"{ORDER}/{item['id']}/hold").json()
        conforms(API, "ProductOrder", item)
        closing = [step for step in item["trail"] if "toPayee" in step]
        if closing:
            assert hold["toPayee"] == closing[0]["toPayee"] or hold["status"] == "open"
        else:
            assert hold["status"] == "open"
    assert tmf(stage.world.other, "GET", f"{ORDER}/{order['id']}").status_code == 404
    changed = tmf(stage.world.auditor, "PATCH", f"{ORDER}/{order['id']}", {"state": "cancelled"})
    assert changed.status_code == 403


def test_placing_the_same_order_again_answers_it_and_a_hold_pays_one_order(stage: Stage) -> None:
    start = _now() + HOUR_MS
    deal = _deal(stage, start, start + HOUR_MS)
    order = _ordered(stage, deal)
    hold_id = order["payment"][0]["id"]
    body = _order_body(stage, deal.offer["id"], deal.request["id"], hold_id)
    again = tmf(stage.world.consumer, "POST", ORDER, body)
    assert (again.status_code, again.json()["id"]) == (200, order["id"])
    other = _deal(stage, start, start + HOUR_MS)
    reused = _order_body(stage, other.offer["id"], other.request["id"], hold_id)
    answer = tmf(stage.world.consumer, "POST", ORDER, reused)
    assert (answer.status_code, answer.json()["error"]["code"]) == (409, "hold_used")


def test_a_restarted_marketplace_keeps_its_orders_and_settles_their_holds(
    node: RunningNode, tmp_path: Path, stage: Stage
) -> None:
    with ExitStack() as stack:
        market = stack.enter_context(serve_market(tmp_path, node_url=node.url))
        world = market_world(market)
        stack.callback(world.close)
        first = Stage(
            world,
            stage.ledger,
            stage.hooks,
            world.consumer.info().signing_key.address,
            world.operator.me().id,
            iter(range(99)),
        )
        _fund(stage.ledger, world.consumer)
        start = _now() + HOUR_MS
        order = _ordered(first, _deal(first, start, start + HOUR_MS))
        identities = (world.consumer.identity, world.operator.identity)
    with ExitStack() as stack:
        market = stack.enter_context(serve_market(tmp_path, node_url=node.url))
        consumer, operator = (stack.enter_context(market.client(i)) for i in identities)
        kept = tmf(consumer, "GET", f"{ORDER}/{order['id']}")
        assert kept.status_code == 200, kept.text
        assert kept.json()["trail"] == order["trail"]
        configured = tmf(operator, "PATCH", f"{ORDER}/{order['id']}", {"state": "inProgress"})
        assert configured.status_code == 200, configured.text
        hold = _settled_hold(consumer, order["id"])
        assert (hold["status"], hold["toPayee"]) == ("settled", 300)


def test_an_unreported_window_pays_when_it_has_started_and_completes_when_it_ends(
    stage: Stage,
) -> None:
    now = _now()
    end = now + 8_000
    order = _ordered(stage, _deal(stage, now - HOUR_MS, end))
    started = tmf(stage.world.consumer, "GET", f"{ORDER}/{order['id']}").json()
    assert started["state"] == "inProgress"
    assert (started["trail"][-1]["event"], started["trail"][-1]["toPayee"]) == (
        "windowStarted",
        300,
    )
    hold = _settled_hold(stage.world.consumer, order["id"])
    assert (hold["status"], hold["toPayee"]) == ("settled", 300)
    time.sleep(max(0.0, (end - _now()) / 1000) + 0.1)
    ended = tmf(stage.world.consumer, "GET", ORDER, params={"state": "completed"}).json()
    assert order["id"] in [item["id"] for item in ended]
    [completed] = [item for item in ended if item["id"] == order["id"]]
    assert "completionDate" in conforms(API, "ProductOrder", completed)
    assert completed["trail"][-1]["event"] == "windowEnded"


def test_the_order_hub_is_each_subscribers_own(stage: Stage) -> None:
    hub = f"{ORDERING}/hub"
    key = stage.world.consumer.create_api_key("reader", [Scope.MARKET_READ])
    with stage.world.market.client(api_key=key.secret) as reader:
        assert tmf(reader, "POST", hub, {"callback": stage.hooks.url}).status_code == 403
    assert tmf(stage.world.anonymous, "POST", hub, {"callback": stage.hooks.url}).status_code == 401
    mine = tmf(stage.world.consumer, "POST", hub, {"callback": stage.hooks.url})
    assert mine.status_code == 201, mine.text
    subscription = conforms(API, "EventSubscription", mine.json())
    assert f"event.recipient={stage.world.consumer.me().id}" in subscription["query"]
    theirs = tmf(stage.world.provider, "DELETE", f"{hub}/{subscription['id']}")
    assert theirs.status_code == 403
    assert tmf(stage.world.consumer, "DELETE", f"{hub}/{subscription['id']}").status_code == 204
    assert tmf(stage.world.consumer, "DELETE", f"{hub}/{subscription['id']}").status_code == 404


def test_each_party_reads_the_order_and_lists_filter_by_state(stage: Stage) -> None:
    start = _now() + HOUR_MS
    order = _ordered(stage, _deal(stage, start, start + HOUR_MS))
    for party in (stage.world.consumer, stage.world.provider, stage.world.operator):
        read = tmf(party, "GET", f"{ORDER}/{order['id']}", params={"fields": "state"})
        assert read.json() == {
            "id": order["id"],
            "href": order["href"],
            "state": "acknowledged",
            "@type": "ProductOrder",
        }
    waiting = tmf(stage.world.consumer, "GET", ORDER, params={"state": "acknowledged,failed"})
    assert order["id"] in [item["id"] for item in waiting.json()]
    done = tmf(stage.world.consumer, "GET", ORDER, params={"state": "completed"})
    assert order["id"] not in [item["id"] for item in done.json()]
    page = tmf(stage.world.consumer, "GET", ORDER, params={"limit": 1, "offset": 0})
    assert page.headers["X-Result-Count"] == "1"
    assert int(page.headers["X-Total-Count"]) >= 2
