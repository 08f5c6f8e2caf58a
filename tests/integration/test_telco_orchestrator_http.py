"""``plaza telco orchestrator`` end to end, over real HTTP with a real node (issue 14, item 5).

The orchestrator runs as its own process, an operator of the marketplace. It
subscribes to the order hub and reads nothing else until told (``--poll 60``, more
than a test lasts), so what it does, it learned through the hub: an order placed
in a running window gets its access configured and reported, which starts paying
the asset provider in part (the rest paid before the window ends), then its
access removed as the window ends; an
order cancelled before its window is refunded and its scheduled access dropped. An
auditor then checks the order trail against the ledger and the contract's audit.
Leaving, the orchestrator leaves the hub.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import telco_stage as ts
from market_server import HOUR_MS
from node_server import RunningNode
from telco_stage import Stage, open_stage
from telco_support import ORDER, ORDERING, tmf

from plaza.keyfiles import write_private
from plaza.ledger.model import SettlePayload
from plaza.market.settlement import Phase


@pytest.fixture(scope="module")
def stage(node: RunningNode, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stage]:
    with open_stage(node, tmp_path_factory.mktemp("telco")) as running:
        yield running


class Orchestrator:
    def __init__(self, process: subprocess.Popen[str], url: str, log: Path) -> None:
        self.process, self.url, self.log = process, url, log

    def access(self) -> dict[str, Any]:
        return dict(httpx.get(f"{self.url}/access", timeout=10).json())

    def entry(self, order_id: str, state: str) -> dict[str, Any]:
        """The order's access once it is in ``state``."""
        deadline = time.monotonic() + ts.WAIT_S
        while True:
            found = [e for e in self.access()["access"] if e["order"] == order_id]
            if (found and found[0]["state"] == state) or time.monotonic() > deadline:
                assert found, f"no access for {order_id}: {self.log.read_text()}"
                assert found[0]["state"] == state, found
                return dict(found[0])
            time.sleep(0.1)


@pytest.fixture(scope="module")
def orchestrator(stage: Stage, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Orchestrator]:
    folder = tmp_path_factory.mktemp("orchestrator")
    identity = stage.world.operator.identity
    assert identity is not None
    key = folder / "identity.key"
    seeds = {
        "signing_seed": identity.signing.seed_bytes.hex(),
        "encryption_seed": identity.encryption.seed_bytes.hex(),
    }
    write_private(key, json.dumps(seeds).encode())
    log = folder / "orchestrator.log"
    command = [sys.executable, "-m", "plaza.cli.main", "telco", "orchestrator"]
    options = ["--market", stage.world.market.url, "--identity", str(key), "--poll", "60"]
    with log.open("w") as errors:
        process = subprocess.Popen(
            [*command, *options], stdout=subprocess.PIPE, stderr=errors, text=True
        )
    assert process.stdout is not None
    first = process.stdout.readline()
    assert "listening on" in first, log.read_text()
    assert stage.orchestrator in first
    running = Orchestrator(process, first.split("listening on ")[1].strip(), log)
    hub = stage.world.market.runtime.services.hub
    listening = [s.id for s in hub.subscriptions() if s.callback.startswith(running.url)]
    assert len(listening) == 2  # one per event type, behind one hub id
    try:
        yield running
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(20) == 0, log.read_text()
        process.stdout.close()
        left = [s.id for s in hub.subscriptions() if s.callback.startswith(running.url)]
        assert left == [], "the orchestrator left its hub subscription behind"


def test_the_orchestrator_configures_access_through_the_hub_and_the_payment_follows(
    stage: Stage, orchestrator: Orchestrator
) -> None:
    now = ts.now()
    deal = ts.deal(stage, now - HOUR_MS, now + 25_000)
    order = ts.ordered(stage, deal)
    active = orchestrator.entry(order["id"], "active")
    assert (active["asset"], active["customer"]) == (
        deal.offer["resource"]["id"],
        order["relatedParty"][0]["id"],
    )
    assert orchestrator.access()["events"] >= 1  # it heard of the order through the hub
    read = tmf(stage.world.auditor, "GET", f"{ORDER}/{order['id']}").json()
    steps = [(step["event"], step.get("by"), step.get("toPayee")) for step in read["trail"]]
    assert steps[1] == ("confirmed", deal.provider, None)  # held: nothing paid yet
    event, by, part = steps[2]  # before the timer: what was served (nearly all) paid in part
    assert (event, by, read["trail"][2]["partPayment"]) == (
        "accessConfigured",
        stage.orchestrator,
        True,
    )
    assert 290 <= part < 300
    [entry] = [e for e in orchestrator.access()["access"] if e["order"] == order["id"]]
    assert entry["reported"] is True  # the order took the report, which started delivery
    removed = orchestrator.entry(order["id"], "removed")
    assert removed["removedAt"] >= ts.millis(read["requestedCompletionDate"])
    hold = ts.settled_hold(stage.world.auditor, order["id"])
    assert (hold["status"], hold["toPayee"]) == ("settled", 300)  # the rest before the end
    ended = tmf(stage.world.auditor, "GET", f"{ORDER}/{order['id']}").json()
    assert ended["state"] == "completed"
    _audit_trail(stage, ended, hold)


def test_a_cancelled_order_is_refunded_and_its_scheduled_access_dropped(
    stage: Stage, orchestrator: Orchestrator
) -> None:
    start = ts.now() + HOUR_MS
    order = ts.ordered(stage, ts.deal(stage, start, start + HOUR_MS))
    scheduled = orchestrator.entry(order["id"], "scheduled")
    assert scheduled["configuredAt"] is None
    cancel = {"productOrder": {"id": order["id"]}, "cancellationReason": "event called off"}
    done = tmf(stage.world.consumer, "POST", f"{ORDERING}/cancelProductOrder", cancel)
    assert done.status_code == 201, done.text
    dropped = orchestrator.entry(order["id"], "cancelled")
    assert dropped["configuredAt"] is None
    hold = ts.settled_hold(stage.world.consumer, order["id"])
    assert (hold["status"], hold["toPayee"]) == ("settled", 0)
    ts.contract_reaches(stage.world.consumer, order, Phase.CANCELLED)
    read = tmf(stage.world.auditor, "GET", f"{ORDER}/{order['id']}").json()
    _audit_trail(stage, read, hold)


def _audit_trail(stage: Stage, order: dict[str, Any], hold: dict[str, Any]) -> None:
    """The auditor's check: the step that closed the hold is the settlement on the ledger,
    which says why in its data, what the steps paid is what the hold paid, and the order's
    contract audits clean."""
    auditor = stage.world.auditor
    listed = tmf(auditor, "GET", ORDER, params={"relatedParty.id": order["relatedParty"][0]["id"]})
    assert order["id"] in [item["id"] for item in listed.json()]
    [closing] = [s for s in order["trail"] if "toPayee" in s and "partPayment" not in s]
    assert hold["closedBy"] == closing["ledgerMessage"]
    assert sum(step.get("toPayee", 0) for step in order["trail"]) == hold["toPayee"]
    settlement = stage.ledger.message(bytes.fromhex(closing["ledgerMessage"]))
    assert settlement is not None
    assert isinstance(settlement.payload, SettlePayload)
    assert settlement.payload.hold_id.hex() == order["payment"][0]["id"]
    assert settlement.payload.to_payee == closing["toPayee"]
    reason = json.loads(settlement.payload.data)
    assert reason == {
        "event": closing["event"],
        "order": order["id"],
        "toPayee": closing["toPayee"],
    }
    report = ts.audited(auditor, order["agreement"][0]["id"]) if hold["toPayee"] else None
    if report is not None:
        assert report.clean, (report.differences, report.problems)
        assert report.payment is not None
    before = tmf(auditor, "GET", f"{ORDER}/{order['id']}").json()
    _on_the_orders_channel(stage, before)
    refused = tmf(auditor, "PATCH", f"{ORDER}/{order['id']}", {"state": "cancelled"})
    assert refused.status_code == 403  # an auditor reads, and changes nothing
    assert tmf(auditor, "GET", f"{ORDER}/{order['id']}").json() == before


def _on_the_orders_channel(stage: Stage, order: dict[str, Any]) -> None:
    """Every step of the order's trail is on the orders channel, signed and confirmed, each
    linking the order to its offer and request; the auditor verifies it."""
    checked = ts.on_channel(stage.world.auditor, order["id"])
    assert checked["verified"], checked["problems"]
    steps = [entry["step"] for entry in checked["entries"]]
    assert [step["event"] for step in steps] == [step["event"] for step in order["trail"]]
    assert {step["offer"] for step in steps} == {
        order["productOrderItem"][0]["productOffering"]["id"]
    }
    assert {step["request"] for step in steps} == {order["productRequest"]["id"]}
    assert [step["to_payee"] for step in steps] == [s.get("toPayee") for s in order["trail"]]
    assert all(entry["confirmed"] for entry in checked["entries"])
    assert checked["channel"]["channelId"]
    stranger = tmf(stage.world.other, "GET", f"{ORDER}/{order['id']}/channel")
    assert stranger.status_code == 404  # read as the order is
