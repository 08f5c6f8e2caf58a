"""Telco order rules over real HTTP with a real node: an order placed by either side and
confirmed (or declined) by the other, an order the hold does not pay, a hold placed twice
or for another order, who reads and lists orders (an auditor checking each trail against
its hold), and the order hub's subscriptions. Each refusal changes nothing."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import telco_stage as ts
from market_server import HOUR_MS
from node_server import RunningNode
from telco_stage import API, Stage, open_stage
from telco_support import OFFERING, ORDER, ORDERING, conforms, tmf

from plaza.market.auth import Scope
from plaza.market.settlement import Phase


@pytest.fixture(scope="module")
def stage(node: RunningNode, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stage]:
    with open_stage(node, tmp_path_factory.mktemp("telco")) as running:
        yield running


def test_an_order_the_hold_does_not_pay_is_refused_and_changes_nothing(stage: Stage) -> None:
    start = ts.now() + HOUR_MS
    deal = ts.deal(stage, start, start + HOUR_MS)
    short = ts.hold(stage, deal.provider, 299, deal.end + HOUR_MS)
    body = ts.order_body(stage, deal.offer["id"], deal.request["id"], short)
    refused = tmf(stage.world.consumer, "POST", ORDER, body)
    assert (refused.status_code, refused.json()["code"]) == (422, "hold_refused")
    conforms(API, "Error", refused.json())
    assert "amount" in refused.json()["message"]
    unknown = ts.order_body(stage, deal.offer["id"], deal.request["id"], "cd" * 32)
    answer = tmf(stage.world.consumer, "POST", ORDER, unknown)
    assert (answer.status_code, answer.json()["code"]) == (409, "hold_not_open")
    named = {**unknown, "relatedParty": [{"id": stage.orchestrator, "role": "orchestrator"}]}
    answer = tmf(stage.world.consumer, "POST", ORDER, named)  # the asset's: refused for the hold
    assert (answer.status_code, answer.json()["code"]) == (409, "hold_not_open")
    not_the_assets = {**body, "relatedParty": [{"id": deal.provider, "role": "orchestrator"}]}
    answer = tmf(stage.world.consumer, "POST", ORDER, not_the_assets)
    assert (answer.status_code, answer.json()["code"]) == (422, "wrong_orchestrator")
    stolen = ts.hold(stage, deal.provider, 300, deal.end + HOUR_MS)
    by_provider = ts.order_body(stage, deal.offer["id"], deal.request["id"], stolen)
    answer = tmf(stage.world.provider, "POST", ORDER, by_provider)  # the seller pays nothing
    assert (answer.status_code, answer.json()["code"]) == (422, "wrong_payment")
    unpaid = {**body, "payment": []}
    answer = tmf(stage.world.consumer, "POST", ORDER, unpaid)  # the customer's comes paid
    assert (answer.status_code, answer.json()["code"]) == (422, "wrong_payment")
    answer = tmf(stage.world.other, "POST", ORDER, unpaid)  # a stranger to both orders
    assert (answer.status_code, answer.json()["code"]) == (403, "not_party")
    offered = tmf(stage.world.anonymous, "GET", f"{OFFERING}/{deal.offer['id']}").json()
    assert offered["lifecycleStatus"] == "active"
    mine = tmf(stage.world.consumer, "GET", ORDER).json()
    assert deal.offer["id"] not in [o["productOrderItem"][0]["productOffering"]["id"] for o in mine]


def test_an_auditor_reads_every_order_of_a_participant_and_checks_its_holds(stage: Stage) -> None:
    start = ts.now() + HOUR_MS
    order = ts.ordered(stage, ts.deal(stage, start, start + HOUR_MS))
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
    start = ts.now() + HOUR_MS
    deal = ts.deal(stage, start, start + HOUR_MS)
    order = ts.ordered(stage, deal)
    hold_id = order["payment"][0]["id"]
    body = ts.order_body(stage, deal.offer["id"], deal.request["id"], hold_id)
    again = tmf(stage.world.consumer, "POST", ORDER, body)
    assert (again.status_code, again.json()["id"]) == (200, order["id"])
    other = ts.deal(stage, start, start + HOUR_MS)
    reused = ts.order_body(stage, other.offer["id"], other.request["id"], hold_id)
    answer = tmf(stage.world.consumer, "POST", ORDER, reused)
    assert (answer.status_code, answer.json()["code"]) == (409, "hold_used")


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
    assert len(subscription["id"].split(".")) == 2  # one listener per event type
    wrong = {"callback": stage.hooks.url, "query": "eventType=ContractCreateEvent"}
    assert tmf(stage.world.consumer, "POST", hub, wrong).status_code == 400
    theirs = tmf(stage.world.provider, "DELETE", f"{hub}/{subscription['id']}")
    assert theirs.status_code == 403
    assert tmf(stage.world.consumer, "DELETE", f"{hub}/{subscription['id']}").status_code == 204
    assert tmf(stage.world.consumer, "DELETE", f"{hub}/{subscription['id']}").status_code == 404


def test_each_party_reads_the_order_and_lists_filter_by_state(stage: Stage) -> None:
    start = ts.now() + HOUR_MS
    order = ts.ordered(stage, ts.deal(stage, start, start + HOUR_MS), confirmed=False)
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
    since = {"orderDate.gte": order["orderDate"]}
    newest = tmf(stage.world.consumer, "GET", ORDER, params=since).json()
    assert [item["id"] for item in newest] == [order["id"]]  # the others were placed before
    other = {"resource.id.ne": order["resource"]["id"], **since}
    assert tmf(stage.world.consumer, "GET", ORDER, params=other).json() == []


def test_the_asset_provider_places_an_order_and_only_the_customer_confirms_it_once(
    stage: Stage,
) -> None:
    start = ts.now() + HOUR_MS
    deal = ts.deal(stage, start, start + HOUR_MS)
    body = ts.order_body(stage, deal.offer["id"], deal.request["id"], "")  # no payment
    placed = tmf(stage.world.provider, "POST", ORDER, body)
    assert placed.status_code == 201, placed.text
    order = conforms(API, "ProductOrder", placed.json())
    customer = stage.world.consumer.me().id
    assert (order["state"], order["awaitingConfirmationBy"]) == ("acknowledged", customer)
    assert "payment" not in order
    assert "agreement" not in order
    parties = {party["role"]: party["id"] for party in order["relatedParty"]}
    assert parties["orchestrator"] == stage.orchestrator
    path = f"{ORDER}/{order['id']}"
    mine = tmf(stage.world.provider, "PATCH", path, {"state": "inProgress"})
    assert (mine.status_code, mine.json()["code"]) == (403, "not_other_side")
    conforms(API, "Error", mine.json())
    unpaid = tmf(stage.world.consumer, "PATCH", path, {"state": "inProgress"})
    assert (unpaid.status_code, unpaid.json()["code"]) == (422, "no_payment")
    short = ts.hold(stage, deal.provider, 299, deal.end + HOUR_MS)
    paid = {"state": "inProgress", "payment": [{"id": short, "@referredType": "HeldPayment"}]}
    answer = tmf(stage.world.consumer, "PATCH", path, paid)
    assert (answer.status_code, answer.json()["code"]) == (422, "hold_refused")
    assert tmf(stage.world.consumer, "GET", path).json() == order  # refusals changed nothing
    hold_id = ts.hold(stage, deal.provider, 300, deal.end + HOUR_MS)
    paid["payment"][0]["id"] = hold_id
    confirmed = tmf(stage.world.consumer, "PATCH", path, paid)
    assert confirmed.status_code == 200, confirmed.text
    done = conforms(API, "ProductOrder", confirmed.json())
    assert (done["state"], done["payment"][0]["id"]) == ("inProgress", hold_id)
    assert [step["event"] for step in done["trail"]] == ["placed", "confirmed"]
    assert [step["by"] for step in done["trail"]] == [deal.provider, customer]
    assert "awaitingConfirmationBy" not in done
    again = tmf(stage.world.consumer, "PATCH", path, paid)
    assert (again.status_code, again.json()["code"]) == (409, "wrong_state")
    offered = tmf(stage.world.anonymous, "GET", f"{OFFERING}/{deal.offer['id']}").json()
    assert offered["lifecycleStatus"] == "filled"
    ts.contract_reaches(stage.world.consumer, done, Phase.CONTRACT_CREATED)


def test_an_unconfirmed_order_is_declined_or_withdrawn_and_a_hold_refunded(stage: Stage) -> None:
    start = ts.now() + HOUR_MS
    deal = ts.deal(stage, start, start + HOUR_MS)
    order = ts.ordered(stage, deal, confirmed=False)
    path = f"{ORDER}/{order['id']}"
    assert tmf(stage.world.consumer, "PATCH", path, {"state": "rejected"}).status_code == 403
    declined = tmf(stage.world.provider, "PATCH", path, {"state": "rejected"})
    assert declined.status_code == 200, declined.text
    assert conforms(API, "ProductOrder", declined.json())["state"] == "rejected"
    hold = ts.settled_hold(stage.world.consumer, order["id"])
    assert (hold["status"], hold["toPayee"]) == ("settled", 0)
    offered = tmf(stage.world.anonymous, "GET", f"{OFFERING}/{deal.offer['id']}").json()
    assert offered["lifecycleStatus"] == "active"  # never matched: still on the market
    body = ts.order_body(stage, deal.offer["id"], deal.request["id"], "")
    proposed = tmf(stage.world.provider, "POST", ORDER, body).json()
    mine = f"{ORDER}/{proposed['id']}"
    assert tmf(stage.world.consumer, "PATCH", mine, {"state": "cancelled"}).status_code == 403
    withdrawn = tmf(stage.world.provider, "PATCH", mine, {"state": "cancelled"})
    assert (withdrawn.status_code, withdrawn.json()["state"]) == (200, "cancelled")
