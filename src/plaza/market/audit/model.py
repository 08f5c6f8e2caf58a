"""The values of an audit: what was read from a twin, and what the auditor concluded."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from plaza.ledger.model import MessageMetadata
from plaza.market.twins.documents import TwinKind

__all__ = [
    "AuditReport",
    "AuditedEntry",
    "Confirmation",
    "Difference",
    "TrailEntry",
    "TwinTrail",
]


@dataclass(frozen=True, slots=True)
class TrailEntry:
    """One data message read from a twin. ``signature_verified``: the reader checked the
    ledger signature of its one-time issuer and the channel key's signature of the record
    at this position (a message failing either is skipped, never returned)."""

    position: int
    message_id: bytes
    published_at_ms: int
    content: bytes
    signature_verified: bool = True


@dataclass(frozen=True, slots=True)
class TwinTrail:
    """Everything read from one twin: its channel, who announced it, its entries.

    ``owner`` is the identity key a valid announcement of the channel binds it to
    (None: no valid announcement). ``problems`` says why reading stopped early (a gap,
    a message the key does not open) and ``foreign_skipped`` counts messages at the
    twin's addresses that its owner did not make (spam: ignored, never trusted).
    """

    kind: TwinKind
    record_id: str
    channel_id: bytes | None
    owner: bytes | None
    entries: tuple[TrailEntry, ...] = ()
    problems: tuple[str, ...] = ()
    foreign_skipped: int = 0


@dataclass(frozen=True, slots=True)
class Confirmation:
    """What the node says of a message: ``confirmed`` at a milestone, ``pending``,
    ``held``, ``conflicting`` or ``unknown`` (the node does not have it)."""

    state: str
    milestone_index: int | None = None

    @classmethod
    def of(cls, metadata: MessageMetadata | None) -> Confirmation:
        if metadata is None:
            return cls("unknown")
        return cls(metadata.state.value, metadata.milestone_index)

    @property
    def confirmed(self) -> bool:
        return self.state == "confirmed"


@dataclass(frozen=True, slots=True)
class Difference:
    """A field whose value in the marketplace database is not the twin's latest one."""

    field: str
    database_value: Any
    ledger_value: Any


@dataclass(frozen=True, slots=True)
class AuditedEntry:
    """One twin entry as audited: where it is, what it says, whether it is signed and confirmed."""

    position: int
    message_id: bytes
    type: str | None
    record: str | None
    step: int | None
    event: str | None  # what happened: "accepted", "matched"..., "signed", "open", "deliver"...
    signature_verified: bool
    confirmation: Confirmation


@dataclass(frozen=True, slots=True)
class AuditReport:
    """The audit of one order or contract against its twin on the ledger.

    For contracts, ``contract_signature_valid`` is the marketplace signature check
    of the contract on the twin, ``contract_matches_database`` whether its terms
    equal the database's contract, ``on_party_twins`` whether each party's twin
    holds the same signed contract, and ``payment`` the confirmation of the
    settlement's payment transfer (None: no payment yet).
    """

    kind: TwinKind
    record_id: str
    channel_id: bytes | None
    bound_to_marketplace: bool
    entries: tuple[AuditedEntry, ...]
    differences: tuple[Difference, ...] = ()
    problems: tuple[str, ...] = ()
    foreign_skipped: int = 0
    contract_signature_valid: bool | None = None
    contract_matches_database: bool | None = None
    on_party_twins: tuple[tuple[str, bool], ...] = ()
    payment: Confirmation | None = None

    @property
    def signatures_verified(self) -> bool:
        """Every entry signed by the twin's channel, the channel bound to the marketplace,
        and (for a contract) the contract signed by the marketplace."""
        return (
            self.bound_to_marketplace
            and bool(self.entries)
            and all(entry.signature_verified for entry in self.entries)
            and self.contract_signature_valid is not False
        )

    @property
    def confirmed(self) -> bool:
        """Every entry confirmed by a milestone."""
        return all(entry.confirmation.confirmed for entry in self.entries)

    @property
    def clean(self) -> bool:
        """Nothing to report: signed, bound, no difference, no problem, on both party twins."""
        return (
            self.signatures_verified
            and not self.differences
            and not self.problems
            and self.contract_matches_database is not False
            and all(found for _, found in self.on_party_twins)
        )
