"""Durable delivery across a restart on new ports (issue 16, item 4), over real HTTP.

The modules' letters wait in their ``jobs.sqlite3``. ``plaza demo`` restarts every module
on a fresh port; a letter queued before the restart names its recipient, and is sent to
wherever that recipient is when it leaves, not to where it was when it was queued.
"""

from __future__ import annotations

import uuid as uuids
from contextlib import closing
from pathlib import Path
from typing import Any

from energy_stack import onboard, sqlite_stack
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from plaza.api.energy.link import HttpLink
from plaza.api.serving import ThreadedServer
from plaza.bootstrap.energy import EnergyStack
from plaza.crypto import Identity
from plaza.energy.envelope import ModuleKey, open_letter
from plaza.energy.link import EnergyOutbox
from plaza.jobs import Worker
from plaza.jobs.sqlite import SqliteQueue
from plaza.market.auth import MemoryNonceStore
from plaza.testing import FakeClock
from plaza.testing.nodes import InProcessNode, in_process_node

MINUTE_MS = 60_000
PEER = Identity.generate()
SENDER = Identity.generate()


def _drain_for(stack: EnergyStack, node: InProcessNode, *, minutes: int) -> None:
    """Let ``minutes`` of retries pass, one minute at a time."""
    for _ in range(minutes):
        node.clock.advance(ms=MINUTE_MS)
        stack.settle()


def _dead(stack: EnergyStack) -> int:
    return sum(hosted.queue.statistics()["dead"] for hosted in stack.modules())


def test_letters_queued_before_a_restart_reach_their_peers_at_their_new_ports(
    tmp_path: Path,
) -> None:
    """The demo's failure: an offer and its owner's notification were queued, every module
    restarted on another port; both arrive once the device is told the new addresses."""
    uuid = str(uuids.uuid4())
    with in_process_node() as node:
        first = sqlite_stack(node, tmp_path)
        first.start(threads=False)
        owner_id, device_id = onboard(first, "solar", uuid)
        old_marketplace = first.marketplace.url
        first.assets["solar"].service.module.produce({"energy": 1_500, "uuid": uuid})
        assert first.assets["solar"].queue.statistics()["pending"] == 2  # /offer, /notify_event
        first.stop()

        second = sqlite_stack(node, tmp_path)
        assert second.marketplace.url != old_marketplace
        second.add_asset("solar", uuid)
        second.start(threads=False)
        try:
            second.settle()  # the device still knows the old addresses: nothing arrives
            second.owner.service.update_device(
                owner_id, device_id, {"url": second.assets["solar"].url}
            )
            _drain_for(second, node, minutes=30)
            assert second.marketplace.service.statistics()["offers"] == 1
            page = second.owner.service.device_transactions(owner_id, device_id)
            assert page.total == 1, "the owner was notified of the offer"
            assert _dead(second) == 0
            assert all(h.queue.statistics()["pending"] == 0 for h in second.modules())
        finally:
            second.stop()


def _peer_app(received: list[dict[str, Any]]) -> FastAPI:
    app = FastAPI()

    @app.post("/offer")
    async def offer(request: Request) -> JSONResponse:
        letter = open_letter(
            await request.body(),
            identity=PEER,
            audience="marketplace",
            now_ms=FakeClock().now_ms(),
            nonces=MemoryNonceStore(),
            known_key={"asset-1": SENDER.public_key}.get,
        )
        received.append(letter.body)
        return JSONResponse({"success": True})

    return app


def _outbox(queue: SqliteQueue, link: HttpLink, book: dict[str, str]) -> EnergyOutbox:
    return EnergyOutbox(
        queue,
        link,
        sender=lambda: "asset-1",
        identity=lambda: SENDER,
        clock=FakeClock(),
        address=book.get,
    )


def test_a_letter_reaches_its_peer_at_the_address_it_moved_to(tmp_path: Path) -> None:
    """A letter queued while its peer was at one port, delivered (after the sender itself
    restarted) at the port the address book names now."""
    clock = FakeClock()
    received: list[dict[str, Any]] = []
    book: dict[str, str] = {}
    with ThreadedServer(_peer_app(received)) as before:
        book["marketplace"] = before.url
    queue = SqliteQueue(tmp_path / "jobs.sqlite3", clock)
    with closing(HttpLink(timeout_s=5)) as link:
        outbox = _outbox(queue, link, book)
        outbox.send(path="/offer", recipient=ModuleKey.of(PEER), audience="marketplace", body={})
        assert Worker(queue, outbox.handlers()).run_until_idle() == 1  # the peer is down
        queue.close()
        with ThreadedServer(_peer_app(received)) as after:
            book["marketplace"] = after.url  # the peer moved; the sender restarts too
            queue = SqliteQueue(tmp_path / "jobs.sqlite3", clock)
            worker = Worker(queue, _outbox(queue, link, book).handlers())
            clock.advance(ms=MINUTE_MS)
            assert worker.run_until_idle() == 1
        assert received == [{}]
        assert queue.statistics()["done"] == 1
        queue.close()
