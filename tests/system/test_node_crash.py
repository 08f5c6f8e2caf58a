"""A node killed with SIGKILL during ingest loses nothing it acknowledged.

The node runs as a real process on a SQLite data directory. A writer thread
submits data messages and faucet transfers as fast as the node takes them; the
node is killed mid-stream, restarted, and must still hold every acknowledged
message and every milestone with the same state root, then confirm the rest.
"""

from __future__ import annotations

import threading
import time

import pytest
from node_processes import NodeProcess

from plaza.clients.errors import ClientError
from plaza.clients.node import NodeClient
from plaza.crypto import Address, SigningKey
from plaza.ledger.compose import compose
from plaza.ledger.model import DataPayload, MilestoneRecord, Output, Payload, TransferPayload
from plaza.ledger.pow import NoWork
from plaza.node import DataDir

pytestmark = pytest.mark.slow


class Writer(threading.Thread):
    """Submits until the node dies, recording what it acknowledged and the milestones seen."""

    def __init__(self, url: str, faucet: SigningKey, network_id: int) -> None:
        super().__init__(daemon=True)
        self.url = url
        self.faucet = faucet
        self.network_id = network_id
        self.acknowledged: list[bytes] = []
        self.payees: set[bytes] = set()
        self.milestones: dict[int, MilestoneRecord] = {}

    def run(self) -> None:
        with NodeClient(self.url, timeout=5) as node:
            number = 0
            try:
                while True:
                    number += 1
                    result = node.submit(self._next(node, number))
                    self.acknowledged.append(result.id)
                    if number % 20 == 0:
                        latest = node.latest_milestone()
                        self.milestones[latest.index] = latest
            except ClientError:
                return  # the node was killed

    def _next(self, node: NodeClient, number: int) -> bytes:
        payload: Payload = DataPayload(b"crash-test", number.to_bytes(4, "big"))
        if number % 3 == 0:
            payee = number.to_bytes(32, "big")
            self.payees.add(payee)
            payload = TransferPayload((Output(payee, 1000 + number),))
        message = compose(
            self.faucet,
            network_id=self.network_id,
            parents=node.tips(),
            payload=payload,
            issued_at_ms=time.time_ns() // 1_000_000,
            work=NoWork(),
        )
        return message.raw


def test_sigkill_during_ingest_loses_no_acknowledged_message(node_process: NodeProcess) -> None:
    node_process.start()
    faucet = DataDir(node_process.data_dir).key("faucet")
    assert faucet is not None
    with NodeClient(node_process.url) as node:
        info = node.info()
    writer = Writer(node_process.url, faucet, info.network_id)
    writer.start()
    deadline = time.monotonic() + 60  # generous: CI machines are shared and slow
    while len(writer.acknowledged) < 200 and time.monotonic() < deadline:
        time.sleep(0.05)
    node_process.kill()
    writer.join(timeout=10)
    assert len(writer.acknowledged) >= 200, "the writer never got going"
    assert writer.milestones, "no milestone was observed before the kill"

    node_process.start()
    with NodeClient(node_process.url) as node:
        for message_id in writer.acknowledged:
            assert node.get_message(message_id).id == message_id
        for index, before in writer.milestones.items():
            assert node.milestone(index) == before
        for message_id in writer.acknowledged[-20:]:
            assert node.wait_for_confirmation(message_id, timeout=30).milestone_index is not None
        after = node.info()
        assert after.state_root == node.latest_milestone().state_root
        faucet_balance = node.balance(faucet.public_key.address).balance
        paid = sum(node.balance(Address(payee)).balance for payee in writer.payees)
        assert faucet_balance + paid == after.supply
