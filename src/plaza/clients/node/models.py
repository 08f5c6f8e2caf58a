"""What the client returns where the ledger has no value of the same shape.

Where it has one (:class:`~plaza.ledger.model.Message`,
:class:`~plaza.ledger.model.MessageMetadata`,
:class:`~plaza.ledger.model.MilestoneRecord`, :class:`~plaza.ledger.ports.Page`)
the client returns that, so code written against a local tangle reads a remote
one unchanged. The converters from the node's JSON live here too; they raise
``KeyError``/``TypeError``/``ValueError`` on a malformed answer, which the client
turns into :class:`~plaza.clients.errors.UnexpectedResponseError`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from plaza.crypto import Address
from plaza.ledger.holds import Hold, HoldRecord, HoldStatus
from plaza.ledger.model import ConfirmationState, Conflict, MessageMetadata, MilestoneRecord
from plaza.ledger.ports import FaucetGrant, Page

__all__ = [
    "Balance",
    "ClientEvent",
    "FaucetGrant",
    "HistoryItem",
    "NodeInfo",
    "SubmitResult",
    "parse_balance",
    "parse_faucet_grant",
    "parse_history",
    "parse_hold",
    "parse_ids",
    "parse_info",
    "parse_metadata",
    "parse_milestone",
    "parse_page",
    "parse_submit",
]

SubmitStatus = Literal["stored", "held", "known"]

_CONFLICTS: Mapping[str, Conflict] = {
    "none": Conflict.NONE,
    "insufficient_funds": Conflict.INSUFFICIENT_FUNDS,
    "replayed": Conflict.REPLAYED,
    "expired": Conflict.EXPIRED,
    "hold_not_open": Conflict.HOLD_NOT_OPEN,
    "wrong_secret": Conflict.WRONG_SECRET,
    "not_allowed": Conflict.NOT_ALLOWED,
}
_SUBMIT_STATUSES: tuple[SubmitStatus, ...] = ("stored", "held", "known")


@dataclass(frozen=True, slots=True)
class SubmitResult:
    """The node's id for the message (new when it did the proof of work) and what it did."""

    id: bytes
    status: SubmitStatus

    @property
    def is_new(self) -> bool:
        return self.status != "known"


@dataclass(frozen=True, slots=True)
class Balance:
    address: Address
    balance: int
    milestone_index: int


@dataclass(frozen=True, slots=True)
class HistoryItem:
    """One transfer's effect on an address, with its confirmation."""

    message_id: bytes
    delta: int
    issued_at_ms: int
    milestone_index: int | None
    state: ConfirmationState
    conflict: Conflict


@dataclass(frozen=True, slots=True)
class NodeInfo:
    network: str
    network_id: int
    genesis_id: bytes
    pow_difficulty: int
    milestone_interval_s: float
    coordinator: bool
    latest_milestone_index: int
    state_root: bytes
    supply: int
    statistics: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ClientEvent:
    """One event from the node's stream: ``kind`` is message, confirmed or milestone."""

    kind: str
    data: Mapping[str, Any]

    @property
    def message_id(self) -> bytes | None:
        """The message the event is about (a milestone event names its milestone message)."""
        value = self.data.get("message_id" if self.kind == "milestone" else "id")
        return bytes.fromhex(value) if isinstance(value, str) else None


def _optional_int(value: Any) -> int | None:
    return None if value is None else int(value)


def parse_submit(body: Mapping[str, Any]) -> SubmitResult:
    status = body["status"]
    if status not in _SUBMIT_STATUSES:
        raise ValueError(f"unknown submit status {status!r}")
    return SubmitResult(bytes.fromhex(body["id"]), status)


def parse_metadata(body: Mapping[str, Any]) -> MessageMetadata:
    return MessageMetadata(
        id=bytes.fromhex(body["id"]),
        solid=bool(body["solid"]),
        milestone_index=_optional_int(body["milestone_index"]),
        conflict=_CONFLICTS[body["conflict"]],
        carrier=_optional_id(body.get("carrier")),  # absent from nodes before carriers
    )


def _optional_id(value: Any) -> bytes | None:
    return None if value is None else bytes.fromhex(value)


def parse_milestone(body: Mapping[str, Any]) -> MilestoneRecord:
    return MilestoneRecord(
        index=int(body["index"]),
        message_id=bytes.fromhex(body["message_id"]),
        timestamp_ms=int(body["timestamp_ms"]),
        inclusion_root=bytes.fromhex(body["inclusion_root"]),
        state_root=bytes.fromhex(body["state_root"]),
        confirmed_count=int(body["confirmed_count"]),
    )


def parse_ids(values: Any) -> list[bytes]:
    if not isinstance(values, list):
        raise TypeError("expected a list of ids")
    return [bytes.fromhex(value) for value in values]


def parse_page(body: Mapping[str, Any]) -> Page:
    return Page(tuple(parse_ids(body["ids"])), _optional_int(body["next_cursor"]))


def parse_balance(body: Mapping[str, Any]) -> Balance:
    return Balance(
        address=Address.parse(body["address"]),
        balance=int(body["balance"]),
        milestone_index=int(body["milestone_index"]),
    )


def parse_faucet_grant(body: Mapping[str, Any]) -> FaucetGrant:
    return FaucetGrant(
        message_id=bytes.fromhex(body["message_id"]),
        address=Address.parse(body["address"]),
        amount=int(body["amount"]),
    )


def parse_history(body: Mapping[str, Any]) -> list[HistoryItem]:
    return [
        HistoryItem(
            message_id=bytes.fromhex(entry["message_id"]),
            delta=int(entry["delta"]),
            issued_at_ms=int(entry["issued_at_ms"]),
            milestone_index=_optional_int(entry["milestone_index"]),
            state=ConfirmationState(entry["state"]),
            conflict=_CONFLICTS[entry["conflict"]],
        )
        for entry in body["entries"]
    ]


def parse_info(body: Mapping[str, Any]) -> NodeInfo:
    statistics = body["statistics"]
    if not isinstance(statistics, dict):
        raise TypeError("statistics is not an object")
    return NodeInfo(
        network=str(body["network"]),
        network_id=int(body["network_id"]),
        genesis_id=bytes.fromhex(body["genesis_id"]),
        pow_difficulty=int(body["pow_difficulty"]),
        milestone_interval_s=float(body["milestone_interval_s"]),
        coordinator=bool(body["coordinator"]),
        latest_milestone_index=int(body["latest_milestone_index"]),
        state_root=bytes.fromhex(body["state_root"]),
        supply=int(body["supply"]),
        statistics={str(key): int(value) for key, value in statistics.items()},
    )


def parse_hold(body: Mapping[str, Any]) -> HoldRecord:
    """A ``HoldView`` back into the ledger's record, so a remote hold reads like a local one."""
    arbiter = body["arbiter"]
    hold = Hold(
        id=bytes.fromhex(body["id"]),
        payer=Address.parse(body["payer"]).raw,
        payee=Address.parse(body["payee"]).raw,
        amount=int(body["amount"]),
        expires_at_ms=int(body["expires_at_ms"]),
        hashlock=bytes.fromhex(body["hashlock"]),
        arbiter=b"" if arbiter is None else Address.parse(arbiter).raw,
        paid=int(body["to_payee"]),
    )
    closed_by = body["closed_by"]
    return HoldRecord(
        hold,
        HoldStatus(body["status"]),
        int(body["opened_in"]),
        _optional_int(body["closed_in"]),
        None if closed_by is None else bytes.fromhex(closed_by),
    )
