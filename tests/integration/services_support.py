"""What the pay-per-call tests share: a funded key, waiting, and a provider in process.

The provider agent runs in the test's process (its loop in a thread, its quote API
on a real uvicorn server) over a real node's HTTP API, through the remote ledger
adapter, as ``plaza service run`` runs it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from node_helpers import address_of, build
from node_server import RunningNode

from plaza.adapters.ledger.remote import RemoteLedger
from plaza.api.serving import ThreadedServer, bind_listener, listener_url
from plaza.clients.node import NodeClient
from plaza.clock import SystemClock
from plaza.crypto import SigningKey
from plaza.ledger.model import Conflict, Output, TransferPayload
from plaza.services.provider import ProviderAgent, ProviderHome, Service, create_provider_app

FUNDS = 1_000
CLOCK = SystemClock()


def eventually(check: Callable[[], bool], *, timeout_s: float = 10.0) -> None:
    """Wait for ``check`` to hold: the provider notes a hold closed on its next step."""
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, "still not so after the timeout"
        time.sleep(0.05)


def funded_key(node: RunningNode, client: NodeClient) -> SigningKey:
    key = SigningKey.generate()
    grant = build(client, node.faucet, TransferPayload((Output(address_of(key).raw, FUNDS),)))
    client.submit(grant)
    assert client.wait_for_confirmation(grant.id, timeout=10).conflict is Conflict.NONE
    return key


@dataclass
class Provider:
    agent: ProviderAgent
    ledger: RemoteLedger
    stop: threading.Event


@contextmanager
def providing(
    node: RunningNode,
    data: Path,
    service: Service,
    *,
    run: bool = True,
    allowance_ms: int = 5000,
    owner: str = "",
) -> Iterator[Provider]:
    """A provider of ``service`` answering quotes; its loop runs unless ``run`` is False;
    ``owner`` names the web account owning it (its loop then files no failure report
    after its first look: a test files one with ``report_if_changed``)."""
    listener = bind_listener()
    with NodeClient(node.url) as client:
        ledger = RemoteLedger(client, clock=CLOCK)
        agent = ProviderAgent(
            ProviderHome(data),
            ledger,
            service,
            endpoint=listener_url(listener),
            clock=CLOCK,
            poll_s=0.05,
            allowance_ms=allowance_ms,
            owner=owner,
            report_every_s=3600,
        )
        agent.describe()
        stop = threading.Event()
        loop = threading.Thread(target=agent.run, args=(stop,), daemon=True)
        try:
            with ThreadedServer(create_provider_app(agent), listener=listener):
                if run:
                    loop.start()
                yield Provider(agent, ledger, stop)
        finally:
            stop.set()
            if run:
                loop.join(timeout=10)
            agent.close()
