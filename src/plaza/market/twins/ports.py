"""What the digital-twin recorder needs besides channels: a directory of twins, parties' keys.

Adapters: :class:`~plaza.market.twins.memory.MemoryTwinDirectory` (tests, the embedded
demo) and :class:`~plaza.market.sql.twin_store.SqlTwinDirectory` (SQLite, PostgreSQL);
``tests/contract/test_market_sql_twins.py`` runs one suite against each.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from plaza.channels import ReaderKey
from plaza.crypto import EncryptionPublicKey
from plaza.market.twins.documents import TwinKind

__all__ = ["PartyKeys", "TwinDirectory", "TwinKeys", "TwinRecord"]


@dataclass(frozen=True, slots=True)
class TwinRecord:
    """Where one record's twin lives and how far it is written.

    ``cursor_store`` names the cursor store holding the channel's secret and cursor
    (the recorder's configured name: a path or a label), never the secret itself.
    ``last_step`` is the highest document step on the twin (0: none), ``position``
    the channel position after it, and ``ready`` says the channel was announced
    and its readers were sent their keys.
    """

    kind: TwinKind
    record_id: str
    channel_id: bytes
    cursor_store: str
    created_at_ms: int
    last_step: int = 0
    position: int = 0
    ready: bool = False


class TwinDirectory(Protocol):
    """Record id to twin channel, with each twin's progress; every write is atomic."""

    def get(self, kind: TwinKind, record_id: str) -> TwinRecord | None:
        """The twin of one record, or None if it has none yet."""
        ...

    def add(self, record: TwinRecord) -> TwinRecord:
        """Store a new twin; if the record already has one, return that one unchanged."""
        ...

    def advance(
        self, kind: TwinKind, record_id: str, *, step: int, position: int, ready: bool = False
    ) -> TwinRecord:
        """Move a twin's progress forward: ``last_step`` and ``position`` only ever grow and
        ``ready`` never goes back to false. Raises ``KeyError`` for an unknown twin."""
        ...

    def recorded_through(self) -> int:
        """The last journal step whose order changes are all on their twins (0: none)."""
        ...

    def set_recorded_through(self, step: int) -> None:
        """Remember that every order change up to ``step`` is recorded; never moves back."""
        ...

    def statistics(self) -> dict[str, int]:
        """Twins per kind and the journal step recorded through."""
        ...


class PartyKeys(Protocol):
    """The X25519 keys twin reader keys are sealed to, by participant id."""

    def encryption_key(self, participant_id: str) -> EncryptionPublicKey | None:
        """The participant's encryption key, or None (no grant is sent then)."""
        ...


class TwinKeys(Protocol):
    """Reader keys an auditor holds: they open every state of a twin and sign nothing."""

    def reader_key(self, kind: TwinKind, record_id: str) -> ReaderKey | None:
        """A key reading the record's twin from its first position, or None."""
        ...
