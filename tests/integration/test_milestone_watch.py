"""The shared milestone stream a process's customers wait on, over a real node's HTTP API.

The node issues a milestone every 0.2 s. A customer waiting on the watch asks for its
hold once per milestone, not once per poll: the test makes polling fast (every 0.01 s)
so a customer that still polled would ask many times per milestone.
"""

from __future__ import annotations

import socket
from pathlib import Path

from node_server import RunningNode
from services_examples import forecast
from services_support import CLOCK, funded_key, providing

from plaza.adapters.ledger.milestones import MilestoneWatch
from plaza.adapters.ledger.remote import RemoteLedger
from plaza.clients.node import NodeClient
from plaza.ledger.holds import HoldRecord, HoldStatus
from plaza.services.customer import call, find_service
from plaza.services.customer_book import CustomerBook


class CountingLedger(RemoteLedger):
    """The remote ledger, counting the customer's hold lookups."""

    lookups = 0

    def hold(self, hold_id: bytes) -> HoldRecord | None:
        self.lookups += 1
        return super().hold(hold_id)


def test_a_watch_wakes_at_each_later_milestone(node: RunningNode, client: NodeClient) -> None:
    with MilestoneWatch(NodeClient(node.url)) as watch:
        first = watch.wait_past(None, timeout_s=30)
        assert first is not None
        assert watch.live
        later = watch.wait_past(first, timeout_s=30)
        assert later is not None
        assert later > first
        assert later <= client.latest_milestone().index
    assert not watch.live  # closed: a wait lasts fallback_s, as while the stream is down
    last = watch.latest
    assert watch.wait_past(last, timeout_s=600) == last


def test_a_watch_on_no_node_is_not_live_and_waits_end(tmp_path: Path) -> None:
    with socket.socket() as probe:  # a port nothing listens on once the probe closes
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with MilestoneWatch(NodeClient(f"http://127.0.0.1:{port}"), fallback_s=0.01) as watch:
        assert watch.wait_past(None, timeout_s=600) is None
        assert not watch.live
        assert watch.latest is None


def test_a_call_waiting_on_milestones_asks_for_its_hold_once_a_milestone(
    node: RunningNode, client: NodeClient, tmp_path: Path
) -> None:
    customer = funded_key(node, client)
    with (
        providing(node, tmp_path / "provider", forecast) as provider,
        MilestoneWatch(NodeClient(node.url)) as watch,
        NodeClient(node.url) as own,
    ):
        described = find_service(provider.ledger, "forecast")
        ledger, book, call_id = CountingLedger(own, clock=CLOCK), CustomerBook(None), b"c" * 16
        assert watch.wait_past(None, timeout_s=30) is not None
        before = client.latest_milestone().index
        result = call(
            ledger,
            customer,
            described,
            {"place": "Torino"},
            clock=CLOCK,
            book=book,
            call_id=call_id,
            poll_s=0.01,
            milestones=watch,
        )
        after = client.latest_milestone().index
    assert result == {"place": "Torino", "forecast": "sun", "max_c": 21}
    assert client.hold(book.require(call_id).hold_id).status is HoldStatus.RELEASED
    # One lookup before the first milestone, one after each (and a spare for a recheck).
    assert 1 <= ledger.lookups <= after - before + 2
