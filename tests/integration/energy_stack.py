"""The four energy modules as separate services over real HTTP, on a fake clock.

Each module (marketplace backend, bid manager, user module, one asset module per
device) has its own directory, keys, SQLite file, job queue and uvicorn server on
loopback: :class:`~plaza.bootstrap.energy.EnergyStack`. The node is in this
process (no proof of work, milestones by hand) and the clock is the node's fake
one, so a test decides when letters are delivered (:meth:`Flow.settle`), when
cycles run and when the ledger confirms.

This module holds no tests; the energy end-to-end tests import it.
"""

from __future__ import annotations

import uuid as uuids
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from plaza.adapters.ledger.local import LocalLedger
from plaza.bootstrap.energy import EnergyStack
from plaza.crypto import Address, Identity
from plaza.energy.keys import load_or_create
from plaza.energy.ledger import LedgerAccess
from plaza.energy.reads import read_credentials
from plaza.jobs import InlineQueue
from plaza.ledger.model import Output, TransferPayload
from plaza.testing import FakeClock
from plaza.testing.nodes import InProcessNode, in_process_node

HOUR_MS = 3_600_000
MAX_WAIT_MS = 60_000


@dataclass
class Flow:
    node: InProcessNode
    stack: EnergyStack
    http: httpx.Client
    uuids: dict[str, str] = field(default_factory=dict)

    @property
    def clock(self) -> FakeClock:
        return self.node.clock

    def settle(self) -> None:
        """Deliver every letter queued anywhere, until the modules are quiet."""
        self.stack.settle()

    def round(self, *, advance_ms: int = 6_000) -> None:
        """Time passes, every module runs its cycle, the ledger confirms, letters go."""
        self.clock.advance(ms=advance_ms)
        self.stack.cycle()
        self.settle()
        self.node.milestone()

    def owner(self, name: str, *, funds: int) -> str:
        owner_id = self.stack.owner.service.create_owner(name).owner.id
        if funds:
            wallet = self.stack.owner.service.owner_wallet(owner_id)["walletAddress"]
            ledger = LocalLedger(self.node.runtime)
            payload = TransferPayload((Output(Address.parse(wallet).raw, funds),))
            ledger.submit(ledger.compose(self.node.treasury, payload).raw)
            self.node.milestone()
        return owner_id

    def device(self, owner_id: str, name: str, kind: str, **form: Any) -> str:
        """Open an asset service, onboard it through the user module; its assetId."""
        uuid = self.uuids[name] = str(uuids.uuid4())
        hosted = self.stack.add_asset(name, uuid)
        hosted.start(threads=False)
        fields = {
            "type": kind,
            "name": name,
            "uuid": uuid,
            "url": hosted.url,
            "energyPrice": 20,
            "minOfferAmount": 1_000,
            "location": "Trondheim",
            "maxWaitMs": MAX_WAIT_MS,
            "paymentQueueProcessingSpeed": 1_000,
            **form,
        }
        device = self.stack.owner.service.add_device(owner_id, fields)
        self.settle()
        return device.id

    def meter(self, name: str, path: str, energy: int) -> None:
        hosted = self.stack.assets[name]
        reply = self.http.post(hosted.url + path, json={"energy": energy, "uuid": self.uuids[name]})
        assert reply.json() == {"success": True}, reply.text

    def transactions(self, name: str) -> list[dict[str, Any]]:
        reply = self.read_as_owner(name, "/transactions")
        assert reply.status_code == 200, reply.text
        return [row["transaction"] for row in reply.json()["transactions"]]

    def read_as_owner(self, name: str, path: str) -> httpx.Response:
        """``GET path`` of the device ``name`` with its owner's read letter (the user
        module's key, the owner's id as sender)."""
        hosted = self.stack.assets[name]
        config = hosted.service.module.config
        headers = read_credentials(
            path,
            sender=config.asset_owner,
            identity=load_or_create(self.stack.root / "owner" / "owner.key").identity,
            recipient=hosted.service.key,
            audience=config.asset_id,
            now_ms=self.clock.now_ms(),
        )
        return self.http.get(hosted.url + path, headers=headers)

    def audit(self, contract_id: str, *, identity: Identity | None = None) -> httpx.Response:
        """``GET /audit/{contract_id}`` of the marketplace as its operator (a letter signed
        with its own key), or as the auditor ``identity`` listed as ``auditor``."""
        path = f"/audit/{contract_id}"
        operator = load_or_create(self.stack.root / "marketplace" / "marketplace.key").identity
        headers = read_credentials(
            path,
            sender="marketplace" if identity is None else "auditor",
            identity=identity or operator,
            recipient=self.stack.marketplace_key,
            audience="marketplace",
            now_ms=self.clock.now_ms(),
        )
        return self.http.get(self.stack.marketplace.url + path, headers=headers)

    def statuses(self, name: str) -> list[str]:
        return [t["status"] for t in self.transactions(name)]


@contextmanager
def energy_flow(root: Path) -> Iterator[Flow]:
    with in_process_node() as node:
        stack = EnergyStack(
            root,
            ledger=LedgerAccess(LocalLedger(node.runtime)),
            clock=node.clock,
            queues=lambda _path: InlineQueue(node.clock),
        )
        stack.start(threads=False)
        try:
            with httpx.Client(timeout=10) as http:
                yield Flow(node, stack, http)
        finally:
            stack.stop()


def sqlite_stack(node: InProcessNode, root: Path) -> EnergyStack:
    """The stack on ``root``'s files, its job queues too (``jobs.sqlite3``), on fresh
    ports: a second one on the same ``root`` is the first restarted."""
    return EnergyStack(root, ledger=LedgerAccess(LocalLedger(node.runtime)), clock=node.clock)


def onboard(stack: EnergyStack, name: str, uuid: str) -> tuple[str, str]:
    """A new owner and their solar panel ``name``, onboarded; their ids."""
    owners = stack.owner.service
    owner_id = owners.create_owner("Alice").owner.id
    hosted = stack.add_asset(name, uuid)
    hosted.start(threads=False)
    form = {
        "type": "provider",
        "name": name,
        "uuid": uuid,
        "url": hosted.url,
        "energyPrice": 20,
        "minOfferAmount": 1_000,
        "location": "Trondheim",
        "maxWaitMs": 3_600_000,
        "paymentQueueProcessingSpeed": 1_000,
    }
    device = owners.add_device(owner_id, form)
    stack.settle()
    return owner_id, device.id
