"""The API's wire shapes, kept apart from the ledger's domain values.

Domain values hold bytes and enums; these hold what JSON can carry: ids,
keys and roots as lower-case hex, addresses as bech32m ``plz1…`` text,
amounts as integers. Keeping them separate lets the ledger change its
internals without changing what clients parse, and gives the OpenAPI
document one precise schema per response. Conversions live in
:mod:`plaza.api.views`.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "HEX_PATTERN",
    "ID_PATTERN",
    "BalanceView",
    "CarriedMessageView",
    "CarrierPayloadView",
    "CoSignatureView",
    "ConfirmedEventView",
    "ConflictName",
    "DataPayloadView",
    "ErrorBody",
    "ErrorDetail",
    "FaucetGrantView",
    "FaucetRequest",
    "HealthView",
    "HistoryEntryView",
    "HistoryView",
    "HoldPayloadView",
    "HoldStatusName",
    "HoldView",
    "IdList",
    "IdPage",
    "InfoView",
    "KindName",
    "MessageEventView",
    "MessageView",
    "MetadataView",
    "MilestonePayloadView",
    "MilestoneView",
    "OutputView",
    "PayPayloadView",
    "PayloadView",
    "ReleasePayloadView",
    "SettlePayloadView",
    "StateName",
    "SubmitRequest",
    "SubmitResponse",
    "TipsView",
    "TransferPayloadView",
]

HEX_PATTERN = r"^(?:[0-9a-fA-F]{2})*$"
ID_PATTERN = r"^[0-9a-fA-F]{64}$"

StateName = Literal["held", "pending", "confirmed", "conflicting"]
ConflictName = Literal[
    "none",
    "insufficient_funds",
    "replayed",
    "expired",
    "hold_not_open",
    "wrong_secret",
    "not_allowed",
]
KindName = Literal["data", "transfer", "milestone", "hold", "release", "settle", "pay", "carrier"]
HoldStatusName = Literal["open", "released", "settled", "expired"]
Hex = Annotated[str, Field(description="lower-case hex")]
Bech32 = Annotated[str, Field(description="bech32m address, plz1…")]


class _View(BaseModel):
    model_config = ConfigDict(frozen=True)


class ErrorDetail(_View):
    code: str = Field(description="stable, machine-readable reason, e.g. invalid_signature")
    message: str = Field(description="human-readable explanation")


class ErrorBody(_View):
    error: ErrorDetail


class SubmitRequest(_View):
    """The JSON form of a submission; the raw form is the same bytes as octet-stream."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    message: str = Field(pattern=HEX_PATTERN, description="canonical message bytes as hex")


class SubmitResponse(_View):
    id: Hex
    status: Literal["stored", "held", "known"]


class OutputView(_View):
    address: Bech32
    amount: int


class DataPayloadView(_View):
    kind: Literal["data"] = "data"
    tag: Hex
    tag_text: str | None = Field(description="the tag decoded as UTF-8, if it decodes")
    data: Hex


class TransferPayloadView(_View):
    kind: Literal["transfer"] = "transfer"
    payer: Bech32
    outputs: list[OutputView]
    total: int
    tag: Hex
    tag_text: str | None
    data: Hex


class CoSignatureView(_View):
    public_key: Hex
    signature: Hex


class MilestonePayloadView(_View):
    kind: Literal["milestone"] = "milestone"
    index: int
    previous: Hex
    inclusion_root: Hex
    state_root: Hex
    signatures: list[CoSignatureView]


class HoldPayloadView(_View):
    kind: Literal["hold"] = "hold"
    hold_id: Hex = Field(description="the hold's id: H(essence), the same on every re-attachment")
    payer: Bech32
    payee: Bech32
    amount: int
    expires_at_ms: int
    hashlock: Hex = Field(description="BLAKE2b-256 of the secret that releases it; empty if none")
    arbiter: Bech32 | None
    tag: Hex
    tag_text: str | None
    data: Hex


class ReleasePayloadView(_View):
    kind: Literal["release"] = "release"
    hold_id: Hex
    secret: Hex
    tag: Hex
    tag_text: str | None


class SettlePayloadView(_View):
    kind: Literal["settle"] = "settle"
    hold_id: Hex
    to_payee: int = Field(description="paid to the payee; the rest goes back to the payer")
    tag: Hex
    tag_text: str | None
    data: Hex


class PayPayloadView(_View):
    kind: Literal["pay"] = "pay"
    hold_id: Hex
    amount: int = Field(description="paid to the payee now; the rest stays held")
    tag: Hex
    tag_text: str | None
    data: Hex


class CarriedMessageView(_View):
    """One message a carrier carries; GET /messages/{id} shows the whole of it."""

    id: Hex
    issuer: Hex
    issued_at_ms: int
    tag: Hex
    tag_text: str | None


class CarrierPayloadView(_View):
    kind: Literal["carrier"] = "carrier"
    messages: list[CarriedMessageView] = Field(
        description="the data messages it carries, each filed under its tag and served by its id"
    )


PayloadView = Annotated[
    DataPayloadView
    | TransferPayloadView
    | MilestonePayloadView
    | HoldPayloadView
    | ReleasePayloadView
    | SettlePayloadView
    | PayPayloadView
    | CarrierPayloadView,
    Field(discriminator="kind"),
]


class HoldView(_View):
    """A held payment and what became of it, as of the latest milestone."""

    id: Hex
    status: HoldStatusName
    payer: Bech32
    payee: Bech32
    amount: int
    expires_at_ms: int
    hashlock: Hex
    arbiter: Bech32 | None
    to_payee: int = Field(
        description="what the payee received so far: its part payments while open, all once closed"
    )
    remaining: int = Field(description="what is still held: amount less to_payee; 0 once closed")
    refunded: int = Field(description="what went back to the payer when it closed")
    opened_in: int = Field(description="the milestone that opened it")
    closed_in: int | None = Field(description="the milestone that closed it, if closed")
    closed_by: Hex | None = Field(
        description="the releasing or settling message (its release carries the secret)"
    )


class MetadataView(_View):
    id: Hex
    state: StateName
    solid: bool
    milestone_index: int | None
    conflict: ConflictName
    carrier: Hex | None = Field(
        default=None,
        description="for a carried message, the carrier whose solidity and confirmation it has",
    )


class MessageView(_View):
    id: Hex
    version: int
    network_id: int
    parents: list[Hex]
    issuer: Hex = Field(description="the issuer's Ed25519 public key")
    issuer_address: Bech32
    issued_at_ms: int
    nonce: int
    signature: Hex
    payload: PayloadView
    metadata: MetadataView


class IdPage(_View):
    ids: list[Hex] = Field(description="newest first")
    next_cursor: int | None = Field(description="pass as cursor for the next page; null at end")


class IdList(_View):
    ids: list[Hex]


class TipsView(_View):
    tips: list[Hex]


class MilestoneView(_View):
    index: int
    message_id: Hex
    timestamp_ms: int
    inclusion_root: Hex
    state_root: Hex
    confirmed_count: int


class BalanceView(_View):
    address: Bech32
    balance: int
    milestone_index: int = Field(description="the milestone this balance is confirmed at")


class HistoryEntryView(_View):
    message_id: Hex
    delta: int = Field(description="negative for the payer, positive for a payee")
    issued_at_ms: int
    milestone_index: int | None
    state: StateName
    conflict: ConflictName


class HistoryView(_View):
    address: Bech32
    entries: list[HistoryEntryView] = Field(description="newest first")


class InfoView(_View):
    network: str
    network_id: int
    genesis_id: Hex
    pow_difficulty: int
    milestone_interval_s: float
    coordinator: bool
    latest_milestone_index: int
    state_root: Hex
    supply: int
    statistics: dict[str, int]


class FaucetRequest(_View):
    """Ask a devnet node's faucet to fund an address."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    address: Bech32 = Field(max_length=100)


class FaucetGrantView(_View):
    message_id: Hex = Field(description="the faucet's transfer; poll its metadata to confirm")
    address: Bech32
    amount: int


class HealthView(_View):
    status: Literal["ok"] = "ok"
    latest_milestone_index: int


class MessageEventView(_View):
    """``event: message``: a message became solid."""

    id: Hex
    kind: KindName
    tag: Hex
    tag_text: str | None
    issuer: Hex
    parents: list[Hex]
    addresses: list[Bech32]


class ConfirmedEventView(_View):
    """``event: confirmed``: a milestone confirmed a message (``milestone`` uses MilestoneView)."""

    id: Hex
    milestone_index: int
    state: Literal["confirmed", "conflicting"]
    conflict: ConflictName
    tag: Hex
    tag_text: str | None
    addresses: list[Bech32]
