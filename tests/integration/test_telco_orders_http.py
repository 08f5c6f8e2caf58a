"""Telco orders end to end, over real HTTP with a real node (issue 14, items 2-4).

A provider offers a cell site and a service provider requests coverage near it:
matched on creation. The service provider holds the price on the ledger (the
marketplace as arbiter) and orders through TMF622, the asset provider confirms
it; the orchestrator the asset names, an operator subscribed to the order hub,
is told; it reports access configured and the
marketplace pays the asset provider what was served in part, the rest staying held.
A failure after that settles the share served less what was paid (the rest
refunded), and the market's settlement of the contract is paid by it and
fulfilled. A cancelled order is refunded in full, an unreported window paid as it
runs and its rest before it ends, and a restarted marketplace keeps its orders.
(Refusals, readers and the hub: ``test_telco_order_rules_http.py``; the stage:
``telco_stage.py``.)
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest
import telco_stage as ts
from market_server import HOUR_MS, market_world, serve_market
from node_server import RunningNode
from telco_stage import API, Stage, open_stage
from telco_support import OFFERING, ORDER, ORDERING, USAGE, conforms, tmf

from plaza.crypto import Address
from plaza.ledger.model import PayPayload, SettlePayload
from plaza.market.settlement import Phase
from plaza.telco.desk import GRACE_MS
from plaza.telco.slices import SETTLE_LEAD_MS


@pytest.fixture(scope="module")
def stage(node: RunningNode, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stage]:
    with open_stage(node, tmp_path_factory.mktemp("telco")) as running:
        yield running


def test_an_order_is_paid_in_part_to_the_asset_provider_once_access_is_configured(
    stage: Stage,
) -> None:
    start = ts.now() - HOUR_MS  # half the window has passed: access is configured in it
    deal = ts.deal(stage, start, start + 2 * HOUR_MS)
    order = ts.ordered(stage, deal)
    configured = tmf(
        stage.world.operator, "PATCH", f"{ORDER}/{order['id']}", {"state": "inProgress"}
    )  # at once: the timer would start delivery by itself after the grace
    assert order["state"] == "inProgress"
    assert [step["event"] for step in order["trail"]] == ["placed", "confirmed"]
    assert order["productOrderItem"][0]["productOffering"]["id"] == deal.offer["id"]
    created = ts.events(stage.hooks, order["id"], 1)[0]
    assert created["eventType"] == "ProductOrderCreateEvent"
    conforms(API, "ProductOrderCreateEvent", created)
    assert created["event"]["recipient"] == stage.orchestrator
    paths = {post.path.split("?")[0] for post in stage.hooks.posts}
    assert "/hooks/plaza/listener/productOrderCreateEvent" in paths
    offered = tmf(stage.world.anonymous, "GET", f"{OFFERING}/{deal.offer['id']}").json()
    assert offered["lifecycleStatus"] == "filled"
    assert configured.status_code == 200, configured.text
    step = conforms(API, "ProductOrder", configured.json())["trail"][-1]
    assert (step["event"], step["partPayment"]) == ("accessConfigured", True)
    assert 150 <= step["toPayee"] <= 152  # the half served, give or take the test's seconds
    hold = ts.hold_paying(stage.world.auditor, order["id"], step["toPayee"])
    assert (hold["status"], hold["toPayee"]) == ("open", step["toPayee"])  # the rest held
    assert hold["remaining"] == 300 - step["toPayee"]
    _is_part_payment(stage, order["id"], step)
    assert stage.ledger.balance(Address.parse(deal.provider)).amount >= step["toPayee"]
    unused = tmf(stage.world.provider, "GET", f"{USAGE}/usage-{order['id']}")
    assert unused.status_code == 404  # rated once the hold closes
    events = ts.events(stage.hooks, order["id"], 3)  # placed, confirmed, access configured
    assert events[-1]["eventType"] == "ProductOrderStateChangeEvent"
    conforms(API, "ProductOrderStateChangeEvent", events[-1])
    assert events[-1]["event"]["productOrder"]["state"] == "inProgress"


def _is_part_payment(stage: Stage, order_id: str, step: dict[str, Any]) -> None:
    """The step's ledger message is the marketplace's part payment of it, saying why."""
    part = stage.ledger.message(bytes.fromhex(step["ledgerMessage"]))
    assert part is not None
    assert isinstance(part.payload, PayPayload)
    assert part.payload.tag == b"plaza-telco"
    assert json.loads(part.payload.data) == {
        "event": step["event"],
        "order": order_id,
        "toPayee": step["toPayee"],
    }


def test_a_cancelled_order_is_refunded_and_only_its_customer_cancels_it(stage: Stage) -> None:
    start = ts.now() + HOUR_MS
    order = ts.ordered(stage, ts.deal(stage, start, start + HOUR_MS))
    patched = tmf(stage.world.consumer, "PATCH", f"{ORDER}/{order['id']}", {"state": "cancelled"})
    assert (patched.status_code, patched.json()["code"]) == (409, "wrong_state")  # confirmed
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
    assert [step["event"] for step in read["trail"]] == ["placed", "confirmed", "cancelled"]
    ts.contract_reaches(stage.world.consumer, order, Phase.CANCELLED)
    unused = tmf(stage.world.consumer, "GET", f"{USAGE}/usage-{order['id']}")
    assert unused.status_code == 404  # refunded in full: never used
    assert conforms("tmf635_v4.0.0", "Error", unused.json())["code"] == "usage_not_found"


def test_a_failure_after_delivery_started_pays_the_share_served(stage: Stage) -> None:
    now = ts.now()
    deal = ts.deal(stage, now - HOUR_MS, now + HOUR_MS, price=1000)
    order = ts.ordered(stage, deal, price=1000)
    path = f"{ORDER}/{order['id']}"
    configured = tmf(stage.world.operator, "PATCH", path, {"state": "inProgress"})
    assert configured.status_code == 200, configured.text
    part = configured.json()["trail"][-1]["toPayee"]  # the half served, paid in part
    assert ts.hold_paying(stage.world.auditor, order["id"], part)["status"] == "open"
    patch = stage.world.operator.prepare("PATCH", path, body={"state": "failed"})
    patch.headers["Content-Type"] = "application/merge-patch+json"
    with httpx.Client() as http:
        failed = http.send(patch)
    assert failed.status_code == 200, failed.text
    closing = failed.json()["trail"][-1]
    assert (closing["event"], "partPayment" in closing) == ("assetFailed", False)
    share = part + closing["toPayee"]  # what was served up to the failure, less what was paid
    assert 490 <= share <= 520  # half the window had passed, give or take the test's seconds
    hold = ts.settled_hold(stage.world.auditor, order["id"])
    assert (hold["status"], hold["toPayee"], hold["remaining"]) == ("settled", share, 0)
    assert hold["closedBy"] == closing["ledgerMessage"]
    settlement = stage.ledger.message(bytes.fromhex(hold["closedBy"]))
    assert settlement is not None
    assert isinstance(settlement.payload, SettlePayload)
    assert settlement.payload.to_payee == closing["toPayee"]
    assert hold["amount"] == 1000  # so the customer got 1000 - share back
    usage = ts.usage(stage.world.auditor, order["id"])
    assert usage["ratedProductUsage"][0]["taxIncludedRatingAmount"]["value"] == share
    used = {item["name"]: item["value"] for item in usage["usageCharacteristic"]}
    assert 59 <= used["servedMinutes"] <= 61  # up to the failure, not the window's end
    assert used["ledgerMessage"] == closing["ledgerMessage"]
    _fulfilled_and_audited(stage, order)
    assert tmf(stage.world.consumer, "PATCH", path, {"state": "failed"}).status_code == 403


def _fulfilled_and_audited(stage: Stage, order: dict[str, Any]) -> None:
    """The order's contract is paid by the hold's settlement and fulfilled, and audits
    clean."""
    ts.contract_reaches(stage.world.provider, order, Phase.FULFILLED)
    report = ts.audited(stage.world.auditor, order["agreement"][0]["id"])
    assert report.clean, (report.differences, report.problems)
    assert [entry.event for entry in report.entries][-3:] == [
        "settle held payment",
        "confirm payment",
        "fulfil",
    ]
    assert report.payment is not None


def test_an_unreported_window_is_paid_by_the_timer_and_completes_when_it_ends(
    stage: Stage,
) -> None:
    now = ts.now()
    end = now + 15_000
    order = ts.ordered(stage, ts.deal(stage, now - HOUR_MS, end))
    # Nobody reads the order (the hold's route applies no step): the desk's timer starts
    # delivery once the grace for the orchestrator's report has passed, paying what was
    # served in part, and pays the rest shortly before the window ends.
    hold = ts.settled_hold(stage.world.consumer, order["id"])
    assert (hold["status"], hold["toPayee"]) == ("settled", 300)
    confirmed = ts.millis(order["trail"][1]["date"])
    paid = tmf(stage.world.consumer, "GET", f"{ORDER}/{order['id']}").json()["trail"][2:]
    started, rest = paid[0], paid[-1]
    assert (started["event"], started["partPayment"]) == ("windowStarted", True)
    assert ts.millis(started["date"]) >= confirmed + GRACE_MS
    assert (rest["event"], "partPayment" in rest) == ("restPaid", False)
    assert ts.millis(rest["date"]) >= end - SETTLE_LEAD_MS
    assert sum(step.get("toPayee", 0) for step in paid) == 300
    assert hold["closedBy"] == rest["ledgerMessage"]
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
        identity = world.consumer.identity
    with ExitStack() as stack:
        market = stack.enter_context(serve_market(tmp_path, node_url=node.url))
        consumer = stack.enter_context(market.client(identity))
        kept = tmf(consumer, "GET", f"{ORDER}/{order['id']}")
        assert kept.status_code == 200, kept.text
        assert kept.json()["trail"] == order["trail"]
        cancel = {"productOrder": {"id": order["id"]}}
        cancelled = tmf(consumer, "POST", f"{ORDERING}/cancelProductOrder", cancel)
        assert cancelled.status_code == 201, cancelled.text
        hold = ts.settled_hold(consumer, order["id"])
        assert (hold["status"], hold["toPayee"]) == ("settled", 0)
