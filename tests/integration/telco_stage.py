"""Telco orders over real HTTP with a real node: the stage (a marketplace, its cast, a
funded service provider, the orchestrator's hub subscription) and the steps the tests
share (a deal matched on creation, its hold, its order)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from market_server import HOUR_MS, MarketWorld, market_world, serve_market
from node_server import RunningNode
from notify_support import Receiver, receiver
from telco_support import (
    ORDER,
    ORDERING,
    USAGE,
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
from plaza.market.audit.service import AuditReport
from plaza.market.settlement import Phase
from plaza.wallet.holds import compose_hold

WAIT_S = 60.0  # a settlement now and then waits tens of seconds for a milestone
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


@contextmanager
def open_stage(node: RunningNode, folder: Path) -> Iterator[Stage]:
    """A marketplace on ``node`` with the market world's cast, the service provider funded
    and the orchestrator (the operator) subscribed to the order hub."""
    with ExitStack() as stack:
        market = stack.enter_context(
            serve_market(folder, node_url=node.url, allow_private_callbacks=True)
        )
        world = market_world(market)
        stack.callback(world.close)
        ledger = RemoteLedger(stack.enter_context(node.client()), clock=SystemClock())
        fund(ledger, world.consumer)
        hooks = stack.enter_context(receiver())
        subscribed = tmf(world.operator, "POST", f"{ORDERING}/hub", {"callback": hooks.url})
        assert subscribed.status_code == 201, subscribed.text
        conforms(API, "EventSubscription", subscribed.json())
        arbiter = world.consumer.info().signing_key.address
        yield Stage(world, ledger, hooks, arbiter, world.operator.me().id, iter(range(99)))


def fund(ledger: RemoteLedger, client: MarketClient) -> None:
    """The faucet's grant to the participant's own address, confirmed."""
    assert client.identity is not None
    grant = ledger.request_faucet(client.identity.address)
    ledger.wait_for_confirmation(grant.message_id, timeout_s=WAIT_S)


def now() -> int:
    return SystemClock().now_ms()


def millis(date: str) -> int:
    """A trail step's ISO date in ms since the epoch."""
    return int(datetime.fromisoformat(date).timestamp() * 1000)


def hold(stage: Stage, payee: str, amount: int, expires_at_ms: int) -> str:
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


def order_body(stage: Stage, offer_id: str, request_id: str, hold_id: str) -> dict[str, Any]:
    """A TMF622 order of the offer for the request, paid by the hold (``""``: none); it
    names no orchestrator, the asset does."""
    return {
        "productOrderItem": [{"id": "1", "action": "add", "productOffering": {"id": offer_id}}],
        "productRequest": {"id": request_id},
        "payment": [{"id": hold_id, "@referredType": "HeldPayment"}] if hold_id else [],
        "@type": "ProductOrder",
    }


@dataclass
class Deal:
    offer: dict[str, Any]
    request: dict[str, Any]
    provider: str
    start: int
    end: int


def deal(stage: Stage, start: int, end: int, price: int = 300) -> Deal:
    lat = stage.place()
    asset = cell_site(stage.world.provider, lat, 7.69, orchestrator=stage.orchestrator)
    offered = offering(stage.world.provider, asset["id"], start, end, price)
    wanted = request(stage.world.consumer, start, end, price + 50, lat=lat + 0.01, lon=7.69)
    assert [found["id"] for found in wanted["match"]] == [offered["id"]]
    return Deal(offered, wanted, stage.world.provider.me().id, start, end)


def ordered(
    stage: Stage, deal: Deal, price: int = 300, *, confirmed: bool = True
) -> dict[str, Any]:
    """The service provider's order of the deal with its hold, ``acknowledged``; once the
    asset provider confirms it (``confirmed``), ``inProgress``."""
    hold_id = hold(stage, deal.provider, price, deal.end + HOUR_MS)
    body = order_body(stage, deal.offer["id"], deal.request["id"], hold_id)
    answer = tmf(stage.world.consumer, "POST", ORDER, body)
    assert answer.status_code == 201, answer.text
    placed = dict(conforms(API, "ProductOrder", answer.json()))
    assert (placed["state"], placed["awaitingConfirmationBy"]) == ("acknowledged", deal.provider)
    if not confirmed:
        return placed
    path = f"{ORDER}/{placed['id']}"
    answer = tmf(stage.world.provider, "PATCH", path, {"state": "inProgress"})
    assert answer.status_code == 200, answer.text
    order = dict(conforms(API, "ProductOrder", answer.json()))
    assert order["state"] == "inProgress"
    return order


def settled_hold(client: MarketClient, order_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + WAIT_S
    while True:
        hold = tmf(client, "GET", f"{ORDER}/{order_id}/hold").json()
        if hold["status"] != "open" or time.monotonic() > deadline:
            return dict(hold)
        time.sleep(0.2)


def hold_paying(client: MarketClient, order_id: str, at_least: int) -> dict[str, Any]:
    """The order's hold once the ledger has paid the asset provider ``at_least`` from it
    (its part payments confirmed), or as it is at the deadline."""
    deadline = time.monotonic() + WAIT_S
    while True:
        hold = tmf(client, "GET", f"{ORDER}/{order_id}/hold").json()
        if hold["toPayee"] >= at_least or time.monotonic() > deadline:
            return dict(hold)
        time.sleep(0.2)


def usage(client: MarketClient, order_id: str) -> dict[str, Any]:
    """The order's TMF635 usage once it is billed (its settlement on the ledger), checked
    against the official schema."""
    deadline = time.monotonic() + WAIT_S
    while True:
        answer = tmf(client, "GET", f"{USAGE}/usage-{order_id}")
        assert answer.status_code == 200, answer.text
        found = dict(conforms("tmf635_v4.0.0", "Usage", answer.json()))
        if found["status"] == "billed" or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


def contract_reaches(client: MarketClient, order: dict[str, Any], phase: Phase) -> None:
    """The market's settlement of the order's contract reaches ``phase`` (it confirms the
    arbiter's settlement on the ledger in its periodic round)."""
    contract_id = order["agreement"][0]["id"]
    deadline = time.monotonic() + WAIT_S
    while True:
        settlement = client.contract(contract_id).settlement
        assert settlement is not None
        if settlement.phase is phase or time.monotonic() > deadline:
            assert settlement.phase is phase
            return
        time.sleep(0.2)


def events(hooks: Receiver, order_id: str, count: int) -> list[dict[str, Any]]:
    deadline = time.monotonic() + WAIT_S
    while True:
        bodies = [json.loads(post.body) for post in hooks.posts]
        found = [b for b in bodies if b["event"]["productOrder"]["id"] == order_id]
        if len(found) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def on_channel(client: MarketClient, order_id: str) -> dict[str, Any]:
    """The order checked against the orders channel once every step of its trail is there
    and confirmed (the outbox writes them, a milestone confirms them), or at the deadline."""
    deadline = time.monotonic() + WAIT_S
    while True:
        answer = tmf(client, "GET", f"{ORDER}/{order_id}/channel")
        assert answer.status_code == 200, answer.text
        checked = dict(answer.json())
        if checked["verified"] or time.monotonic() > deadline:
            return checked
        time.sleep(0.2)


def audited(auditor: MarketClient, contract_id: str) -> AuditReport:
    """The auditor's audit of a contract once its twin is written and confirmed."""
    deadline = time.monotonic() + WAIT_S
    while True:
        report = auditor.audit_contract(contract_id)
        if (report.confirmed and report.entries[-1].event == "fulfil") or (
            time.monotonic() > deadline
        ):
            return report
        time.sleep(0.2)
