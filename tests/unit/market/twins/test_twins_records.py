"""An agent's record twins on a real in-process node: recorded, read back with the reader key,
and audited against what a database says happened."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from plaza.adapters.ledger.local import LocalLedger
from plaza.channels import LedgerUnavailable, MemoryCursorStore
from plaza.crypto import Identity
from plaza.market.auth import DocumentFormat, MalformedSignedRequest
from plaza.market.errors import InvalidTwinKey, TwinUnavailable
from plaza.market.twins.records import (
    MemoryTwinIndex,
    RecordTwins,
    TwinAudit,
    audit_twin,
    parse_reader_key,
    read_twin,
    reader_key_text,
)
from plaza.testing.nodes import InProcessNode, in_process_node

ASSET = Identity.generate()
STRANGER = Identity.generate()
DOCUMENTS = DocumentFormat("plaza-test-record-v1")


def state(status: str, **changes: Any) -> dict[str, Any]:
    return {
        "type": "offer",
        "status": status,
        "energyAmount": 310,
        "energyPrice": 250,
        "providerId": "solar-1",
        "providerTransactionId": "tx-1",
        **changes,
    }


STATES = [
    state("Initial offer"),
    state("Contract created", contractId="c-1"),
    state("Energy provision finished", contractId="c-1"),
]


@pytest.fixture
def node() -> Iterator[InProcessNode]:
    with in_process_node(network="plaza-record-twins") as running:
        yield running


class Recorder:
    def __init__(self, node: InProcessNode, identity: Identity = ASSET) -> None:
        self.node = node
        self.index = MemoryTwinIndex()
        self.cursors = MemoryCursorStore()
        self.twins = self.open(identity)
        self.ledger = LocalLedger(node.runtime)

    def open(self, identity: Identity = ASSET) -> RecordTwins:
        return RecordTwins(
            documents=DOCUMENTS,
            identity=identity,
            gateway=self.node.gateway,
            cursors=self.cursors,
            index=self.index,
            clock=self.node.clock,
        )

    def confirmed(self, message_id: bytes) -> bool:
        metadata = self.ledger.metadata(message_id)
        return metadata is not None and metadata.milestone_index is not None

    def record(self, record_id: str, states: list[dict[str, Any]]) -> None:
        for each in states:
            self.twins.record(record_id, each)

    def audit(
        self, record_id: str, expected: list[dict[str, Any]], *, signer: Identity = ASSET
    ) -> TwinAudit:
        key = parse_reader_key(self.twins.reader_key(record_id))
        return audit_twin(
            self.node.gateway,
            key,
            signer=signer.public_key,
            confirmed=self.confirmed,
            expected=expected,
            documents=DOCUMENTS,
        )


@pytest.fixture
def recorder(node: InProcessNode) -> Recorder:
    return Recorder(node)


def test_recorded_states_read_back_with_the_reader_key_in_order(recorder: Recorder) -> None:
    recorder.record("tx-1", STATES)
    text = recorder.twins.reader_key("tx-1")
    key = parse_reader_key(text)
    assert reader_key_text(key) == text
    gateway, confirmed = recorder.node.gateway, recorder.confirmed
    entries, problems = read_twin(gateway, key, ASSET.public_key, confirmed, documents=DOCUMENTS)
    assert problems == []
    assert [entry.state for entry in entries] == STATES
    assert [entry.position for entry in entries] == sorted({e.position for e in entries})
    assert not any(entry.confirmed for entry in entries), "no milestone yet"
    recorder.node.milestone()
    entries, _ = read_twin(gateway, key, ASSET.public_key, confirmed, documents=DOCUMENTS)
    assert all(entry.confirmed for entry in entries)


def test_each_step_names_its_position_and_ledger_message(recorder: Recorder) -> None:
    steps = [recorder.twins.record("tx-1", each) for each in STATES]
    assert [step.record_id for step in steps] == ["tx-1"] * 3
    assert len({step.position for step in steps}) == 3
    recorder.node.milestone()
    assert all(recorder.confirmed(bytes.fromhex(step.message_id)) for step in steps)


def test_every_record_has_a_twin_of_its_own(recorder: Recorder) -> None:
    recorder.record("tx-1", STATES[:1])
    recorder.record("tx-2", [state("Initial offer", providerTransactionId="tx-2")])
    assert recorder.twins.reader_key("tx-1") != recorder.twins.reader_key("tx-2")
    recorder.node.milestone()
    assert recorder.audit("tx-1", STATES[:1]).ok
    assert recorder.audit("tx-2", [state("Initial offer", providerTransactionId="tx-2")]).ok


def test_a_restarted_agent_continues_the_same_twin(recorder: Recorder) -> None:
    recorder.record("tx-1", STATES[:2])
    recorder.twins = recorder.open()  # same index and cursors, as after a restart
    recorder.record("tx-1", STATES[2:])
    recorder.node.milestone()
    audit = recorder.audit("tx-1", STATES)
    assert audit.ok, audit.problems
    assert len(audit.entries) == 3


def test_an_audit_of_a_faithful_confirmed_twin_is_ok(recorder: Recorder) -> None:
    recorder.record("tx-1", STATES)
    recorder.node.milestone()
    audit = recorder.audit("tx-1", STATES)
    assert audit.ok
    assert audit.problems == ()
    report = audit.to_json()
    assert report["ok"] is True
    assert [entry["state"] for entry in report["entries"]] == STATES


def test_a_state_missing_from_the_twin_is_reported(recorder: Recorder) -> None:
    recorder.record("tx-1", STATES[:2])
    recorder.node.milestone()
    audit = recorder.audit("tx-1", STATES)
    assert audit.problems == ("state 2 (Energy provision finished) is not on the twin",)


def test_a_state_that_differs_is_reported_by_field(recorder: Recorder) -> None:
    recorder.record("tx-1", STATES)
    recorder.node.milestone()
    database = [STATES[0], {**STATES[1], "energyPrice": 1, "energyAmount": 9}, STATES[2]]
    audit = recorder.audit("tx-1", database)
    assert audit.problems == ("state 1 differs from the database in energyAmount, energyPrice",)


def test_a_state_the_database_lacks_is_reported(recorder: Recorder) -> None:
    recorder.record("tx-1", STATES)
    recorder.node.milestone()
    audit = recorder.audit("tx-1", STATES[:2])
    assert audit.problems == ("the twin holds 1 states the database lacks",)


def test_an_unconfirmed_state_is_reported(recorder: Recorder) -> None:
    recorder.record("tx-1", STATES[:2])
    recorder.node.milestone()
    recorder.record("tx-1", STATES[2:])
    audit = recorder.audit("tx-1", STATES)
    (problem,) = audit.problems
    assert problem.startswith("state 2 (message ")
    assert problem.endswith("is not confirmed")


def test_states_signed_by_another_agent_are_reported(recorder: Recorder) -> None:
    recorder.record("tx-1", STATES)
    recorder.node.milestone()
    audit = recorder.audit("tx-1", STATES, signer=STRANGER)
    assert not audit.ok
    assert audit.entries == ()
    signed_elsewhere = [p for p in audit.problems if "signed by another key" in p]
    assert len(signed_elsewhere) == 3
    assert "state 0 (Initial offer) is not on the twin" in audit.problems


def test_a_state_written_by_an_impostor_on_the_twin_is_reported(recorder: Recorder) -> None:
    """The channel's owner key signs under an agent identity that is not the expected one."""
    recorder.record("tx-1", STATES[:1])
    recorder.twins = recorder.open(STRANGER)  # same channel, another agent's identity
    recorder.record("tx-1", STATES[1:2])
    recorder.node.milestone()
    audit = recorder.audit("tx-1", STATES[:2])
    assert [entry.state for entry in audit.entries] == STATES[:1]
    assert any("signed by another key" in problem for problem in audit.problems)
    assert "state 1 (Contract created) is not on the twin" in audit.problems


def test_a_state_with_a_float_is_not_recorded(recorder: Recorder) -> None:
    with pytest.raises(MalformedSignedRequest, match="integers"):
        recorder.twins.record("tx-1", state("Initial offer", energyAmount=0.31))


@pytest.mark.parametrize("text", ["", None, "!!!not base64", "AAAA"])
def test_a_bad_reader_key_is_refused(text: object) -> None:
    with pytest.raises(InvalidTwinKey, match="twin"):
        parse_reader_key(text)


class _DownGateway:
    """The node's gateway, refusing every submit while ``down`` (composing still works)."""

    def __init__(self, node: InProcessNode) -> None:
        self.inner = node.gateway
        self.down = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def submit(self, raw: bytes) -> bytes:
        if self.down:
            raise LedgerUnavailable("the node is down (test)")
        return self.inner.submit(raw)


def test_a_state_the_ledger_missed_is_kept_and_flushed_once(recorder: Recorder) -> None:
    gateway = _DownGateway(recorder.node)
    twins = RecordTwins(
        documents=DOCUMENTS,
        identity=ASSET,
        gateway=gateway,
        cursors=recorder.cursors,
        index=recorder.index,
        clock=recorder.node.clock,
    )
    twins.record("tx-1", STATES[0])
    gateway.down = True
    step = twins.record("tx-1", STATES[1])
    assert step.pending
    assert step.position == 1
    assert twins.flush() == 1, "still behind while the node is down"
    gateway.down = False
    assert twins.flush() == 0
    twins.record("tx-1", STATES[2])
    recorder.node.milestone()
    assert recorder.audit("tx-1", STATES).ok  # each state once, in order


def test_a_state_never_saved_raises_and_is_not_on_the_twin(recorder: Recorder) -> None:
    gateway = _DownGateway(recorder.node)
    twins = RecordTwins(
        documents=DOCUMENTS,
        identity=ASSET,
        gateway=gateway,
        cursors=recorder.cursors,
        index=recorder.index,
        clock=recorder.node.clock,
    )
    twins.record("tx-1", STATES[0])
    gateway.down = True
    twins.record("tx-1", STATES[1])  # saved, pending
    with pytest.raises(
        TwinUnavailable
    ):  # the pending one cannot go first: the new one is not saved
        twins.record("tx-1", STATES[2])
    gateway.down = False
    twins.record("tx-1", STATES[2])
    recorder.node.milestone()
    assert recorder.audit("tx-1", STATES).ok


def test_a_reopened_twin_does_not_write_its_last_state_twice(recorder: Recorder) -> None:
    recorder.record("tx-1", STATES[:2])  # a crash now: the caller never noted the second
    reopened = recorder.open()  # the agent restarts on the same cursors and index
    again = reopened.record("tx-1", STATES[1])
    assert again.position == 1
    reopened.record("tx-1", STATES[2])
    recorder.node.milestone()
    recorder.twins = reopened
    assert recorder.audit("tx-1", STATES).ok  # each state once


def test_a_reopened_twin_still_appends_a_new_state(recorder: Recorder) -> None:
    recorder.record("tx-1", STATES[:1])
    reopened = recorder.open()
    assert reopened.record("tx-1", STATES[1]).position == 1
    assert reopened.record("tx-1", STATES[1]).position == 2, "a repeat in one run is written"
