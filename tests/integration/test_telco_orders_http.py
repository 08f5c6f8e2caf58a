"""Telco orders end to end, over real HTTP with a real node (issue 14, items 2-4).

A provider offers a cell site and a service provider requests coverage near it:
matched on creation. The service provider holds the price on the ledger (the
marketplace as arbiter) and orders through TMF622; the orchestrator, an operator
subscribed to the order hub, is told; it reports access configured and the
marketplace settles the hold to the asset provider, and the market's settlement of
the contract is paid by it and fulfilled. A cancelled order is refunded in full, a
failure during the window paid pro rata, an unreported window paid once it starts,
and a restarted marketplace keeps its orders. (Refusals, readers and the hub:
``test_telco_order_rules_http.py``; the stage: ``telco_stage.py``.)
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest
import telco_stage as ts
from market_server import HOUR_MS, market_world, serve_market
from node_server import RunningNode
from telco_stage import API, Stage, open_stage
from telco_support import OFFERING, ORDER, ORDERING, USAGE, conforms, tmf

from plaza.crypto import Address
from plaza.ledger.model import SettlePayload
from plaza.market.settlement import Phase
from plaza.telco.desk import GRACE_MS


@pytest.fixture(scope="module")
def stage(node: RunningNode, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stage]:
    with open_stage(node, tmp_path_factory.mktemp("telco")) as running:
        yield running


def test_an_order_is_paid_to_the_asset_provider_once_access_is_configured(stage: Stage) -> None:
    start = ts.now() + HOUR_MS
    deal = ts.deal(stage, start, start + 2 * HOUR_MS)
    order = ts.ordered(stage, deal)
    assert order["state"] == "acknowledged"
    assert order["productOrderItem"][0]["productOffering"]["id"] == deal.offer["id"]
    [created] = ts.events(stage.hooks, order["id"], 1)
    assert created["eventType"] == "ProductOrderCreateEvent"
    conforms(API, "ProductOrderCreateEvent", created)
    assert created["event"]["recipient"] == stage.orchestrator
    paths = {post.path.split("?")[0] for post in stage.hooks.posts}
    assert "/hooks/plaza/listener/productOrderCreateEvent" in paths
    offered = tmf(stage.world.anonymous, "GET", f"{OFFERING}/{deal.offer['id']}").json()
    assert offered["lifecycleStatus"] == "filled"

    configured = tmf(
        stage.world.operator, "PATCH", f"{ORDER}/{order['id']}", {"state": "inProgress"}
    )
    assert configured.status_code == 200, configured.text
    closing = conforms(API, "ProductOrder", configured.json())["trail"][-1]
    assert (closing["event"], closing["toPayee"]) == ("accessConfigured", 300)
    hold = ts.settled_hold(stage.world.auditor, order["id"])
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
    ts.contract_reaches(stage.world.provider, order, Phase.FULFILLED)
    report = ts.audited(stage.world.auditor, order["agreement"][0]["id"])
    assert report.clean, (report.differences, report.problems)
    assert [entry.event for entry in report.entries][-3:] == [
        "settle held payment",
        "confirm payment",
        "fulfil",
    ]
    assert report.payment is not None
    usage = ts.usage(stage.world.provider, order["id"])
    assert usage["status"] == "billed"
    [rated] = usage["ratedProductUsage"]
    assert rated["taxIncludedRatingAmount"] == {"unit": "coin", "value": 300}
    used = {item["name"]: item["value"] for item in usage["usageCharacteristic"]}
    assert used["resourceId"] == order["resource"]["id"]
    assert used["servedMinutes"] == 120
    assert used["ledgerMessage"] == closing["ledgerMessage"]
    mine = tmf(stage.world.consumer, "GET", USAGE, params={"fields": "status", "limit": 1})
    assert (mine.headers["X-Result-Count"], mine.json()[0].keys()) == (
        "1",
        {"id", "href", "@type", "status"},
    )
    assert tmf(stage.world.other, "GET", f"{USAGE}/{usage['id']}").status_code == 404
    events = ts.events(stage.hooks, order["id"], 2)
    assert events[-1]["eventType"] == "ProductOrderStateChangeEvent"
    conforms(API, "ProductOrderStateChangeEvent", events[-1])
    assert events[-1]["event"]["productOrder"]["state"] == "inProgress"


def test_a_cancelled_order_is_refunded_and_only_its_customer_cancels_it(stage: Stage) -> None:
    start = ts.now() + HOUR_MS
    order = ts.ordered(stage, ts.deal(stage, start, start + HOUR_MS))
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
    assert (again.status_code, again.json()["code"]) == (409, "wrong_state")
    hold = ts.settled_hold(stage.world.consumer, order["id"])
    assert (hold["status"], hold["toPayee"]) == ("settled", 0)
    read = tmf(stage.world.consumer, "GET", f"{ORDER}/{order['id']}").json()
    assert read["state"] == "cancelled"
    assert [step["event"] for step in read["trail"]] == ["placed", "cancelled"]
    ts.contract_reaches(stage.world.consumer, order, Phase.CANCELLED)
    unused = tmf(stage.world.consumer, "GET", f"{USAGE}/usage-{order['id']}")
    assert unused.status_code == 404  # refunded in full: never used
    assert conforms("tmf635_v4.0.0", "Error", unused.json())["code"] == "usage_not_found"


def test_a_failure_during_the_window_pays_the_share_served(stage: Stage) -> None:
    now = ts.now()
    deal = ts.deal(stage, now - HOUR_MS, now + HOUR_MS, price=1000)
    order = ts.ordered(stage, deal, price=1000)
    patch = stage.world.operator.prepare(
        "PATCH", f"{ORDER}/{order['id']}", body={"state": "failed"}
    )
    patch.headers["Content-Type"] = "application/merge-patch+json"
    with httpx.Client() as http:
        failed = http.send(patch)
    assert failed.status_code == 200, failed.text
    share = failed.json()["trail"][-1]["toPayee"]
    assert 490 <= share <= 520  # half the window had passed, give or take the test's seconds
    hold = ts.settled_hold(stage.world.auditor, order["id"])
    assert (hold["status"], hold["toPayee"]) == ("settled", share)
    usage = ts.usage(stage.world.auditor, order["id"])
    assert usage["ratedProductUsage"][0]["taxIncludedRatingAmount"]["value"] == share
    used = {item["name"]: item["value"] for item in usage["usageCharacteristic"]}
    assert 59 <= used["servedMinutes"] <= 61  # up to the failure, not the window's end
    ts.contract_reaches(stage.world.provider, order, Phase.FULFILLED)
    assert (
        tmf(
            stage.world.consumer, "PATCH", f"{ORDER}/{order['id']}", {"state": "failed"}
        ).status_code
        == 403
    )


def test_an_unreported_window_is_paid_by_the_timer_and_completes_when_it_ends(
    stage: Stage,
) -> None:
    now = ts.now()
    end = now + 15_000
    order = ts.ordered(stage, ts.deal(stage, now - HOUR_MS, end))
    # Nobody reads the order (the hold's route applies no step): the desk's timer releases
    # the hold once the grace for the orchestrator's report has passed.
    hold = ts.settled_hold(stage.world.consumer, order["id"])
    assert (hold["status"], hold["toPayee"]) == ("settled", 300)
    placed = ts.millis(order["trail"][0]["date"])
    started = tmf(stage.world.consumer, "GET", f"{ORDER}/{order['id']}").json()
    step = started["trail"][-1]
    assert (step["event"], step["toPayee"]) == ("windowStarted", 300)
    assert ts.millis(step["date"]) >= placed + GRACE_MS
    time.sleep(max(0.0, (end - ts.now()) / 1000) + 0.1)
    ended = tmf(stage.world.consumer, "GET", ORDER, params={"state": "completed"}).json()
    assert order["id"] in [item["id"] for item in ended]
    [completed] = [item for item in ended if item["id"] == order["id"]]
    assert "completionDate" in conforms(API, "ProductOrder", completed)
    assert completed["trail"][-1]["event"] == "windowEnded"


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
        ts.fund(stage.ledger, world.consumer)
        start = ts.now() + HOUR_MS
        order = ts.ordered(first, ts.deal(first, start, start + HOUR_MS))
        identities = (world.consumer.identity, world.operator.identity)
    with ExitStack() as stack:
        market = stack.enter_context(serve_market(tmp_path, node_url=node.url))
        consumer, operator = (stack.enter_context(market.client(i)) for i in identities)
        kept = tmf(consumer, "GET", f"{ORDER}/{order['id']}")
        assert kept.status_code == 200, kept.text
        assert kept.json()["trail"] == order["trail"]
        configured = tmf(operator, "PATCH", f"{ORDER}/{order['id']}", {"state": "inProgress"})
        assert configured.status_code == 200, configured.text
        hold = ts.settled_hold(consumer, order["id"])
        assert (hold["status"], hold["toPayee"]) == ("settled", 300)
