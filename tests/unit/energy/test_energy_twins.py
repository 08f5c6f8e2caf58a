"""Energy's twins are the market's record twins (tests in market/twins) in the energy documents'
domain, refusing in the energy replies' codes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from plaza.adapters.ledger.local import LocalLedger
from plaza.channels import LedgerUnavailable, MemoryCursorStore, Reader
from plaza.crypto import Identity
from plaza.energy.envelope import verify_document
from plaza.energy.errors import InvalidMessage, PeerFailed
from plaza.energy.ledger import LedgerAccess
from plaza.energy.twins import Twins, audit_twin, parse_reader_key, read_twin
from plaza.market.twins.records import MemoryTwinIndex
from plaza.testing.nodes import InProcessNode, in_process_node

ASSET = Identity.generate()
STATE = {"type": "offer", "status": "Initial offer", "energyAmount": 310, "energyPrice": 250}


class _DownGateway:
    """The node's gateway, refusing every submit while ``down``."""

    def __init__(self, node: InProcessNode) -> None:
        self.inner = node.gateway
        self.down = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def submit(self, raw: bytes) -> bytes:
        if self.down:
            raise LedgerUnavailable("the node is down (test)")
        return self.inner.submit(raw)


@pytest.fixture
def node() -> Iterator[InProcessNode]:
    with in_process_node(network="plaza-energy-twins") as running:
        yield running


def twins_on(node: InProcessNode, gateway: Any = None) -> Twins:
    return Twins(
        identity=ASSET,
        gateway=gateway or node.gateway,
        cursors=MemoryCursorStore(),
        index=MemoryTwinIndex(),
        clock=node.clock,
    )


def test_entries_are_energy_documents_read_and_audited(node: InProcessNode) -> None:
    twins = twins_on(node)
    twins.record("tx-1", STATE)
    node.milestone()
    key = parse_reader_key(twins.reader_key("tx-1"))
    ledger = LedgerAccess(LocalLedger(node.runtime))
    entries, problems = read_twin(node.gateway, key, ASSET.public_key, ledger.confirmed)
    assert problems == []
    assert [entry.state for entry in entries] == [STATE]
    [entry] = Reader(node.gateway, key).read()
    assert verify_document(json.loads(entry.content), ASSET.public_key) == STATE
    confirmed = ledger.confirmed
    audit = audit_twin(
        node.gateway, key, signer=ASSET.public_key, confirmed=confirmed, expected=[STATE]
    )
    assert audit.ok, audit.problems


def test_a_float_is_invalid_message(node: InProcessNode) -> None:
    with pytest.raises(InvalidMessage, match="integers"):
        twins_on(node).record("tx-1", {**STATE, "energyAmount": 0.31})


@pytest.mark.parametrize("text", ["", None, "!!!not base64", "AAAA"])
def test_a_bad_reader_key_is_invalid_message(text: object) -> None:
    with pytest.raises(InvalidMessage, match="twin"):
        parse_reader_key(text)


def test_a_state_never_saved_is_peer_failed_from_the_ledger(node: InProcessNode) -> None:
    gateway = _DownGateway(node)
    twins = twins_on(node, gateway)
    twins.record("tx-1", STATE)
    gateway.down = True
    twins.record("tx-1", {**STATE, "status": "Contract created"})  # saved, pending
    with pytest.raises(PeerFailed, match="ledger: twin not recorded") as raised:
        twins.record("tx-1", {**STATE, "status": "Energy provision finished"})
    assert raised.value.refused is False, "the sender retries it"
