"""Carried messages in the SQL stores: rows of ``messages`` that name their carrier.

A carried message is filed in the same table as the tangle's messages so that one
``seq`` orders a tag's messages, carried or not, and a tag page's cursor means
the same whatever it points at. Its row names its ``carrier``; the row's own
``solid``, ``milestone_index`` and ``conflict`` stay unused (FALSE, NULL, 0):
:data:`METADATA` reads the carrier's, so confirming a carrier confirms what it
carries without touching those rows. Every tangle query filters on
``carrier IS NULL``; the partial index for unconfirmed messages does too, so
a node's restart never walks the carried rows.

Schema version 2 added the ``carrier`` column; :func:`migrations` brings a
version-1 database there on open.
"""

from __future__ import annotations

from collections.abc import Sequence

from plaza.ledger.model import Message

__all__ = [
    "CARRIERS_OF",
    "FILE_CARRIED",
    "METADATA",
    "UNCONFIRMED_INDEX",
    "carried_rows",
    "migrations",
]

FILE_CARRIED = """INSERT INTO messages (id, raw, tag, issued_at, kind, solid, carrier)
    VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING"""
CARRIERS_OF = "SELECT id, carrier FROM messages WHERE carrier IS NOT NULL AND id IN (?*)"
#: A carried row's own milestone and conflict are NULL and 0, so COALESCE picks the
#: carrier's; a tangle message has no carrier row to join.
METADATA = """SELECT COALESCE(c.solid, m.solid), COALESCE(c.milestone_index, m.milestone_index),
    COALESCE(c.conflict, m.conflict), m.carrier
    FROM messages m LEFT JOIN messages c ON c.id = m.carrier WHERE m.id = ?"""


def carried_rows(filings: Sequence[tuple[bytes, Message]]) -> list[tuple[object, ...]]:
    return [
        (m.id, m.raw, m.tag, m.issued_at_ms, int(m.payload.KIND), False, carrier)
        for carrier, m in filings
    ]


#: Unconfirmed tangle messages, for a restart; version 1's index also held carried rows.
UNCONFIRMED_INDEX = """CREATE INDEX IF NOT EXISTS messages_unconfirmed_tangle ON messages (seq)
    WHERE milestone_index IS NULL AND carrier IS NULL"""


def migrations(blob: str) -> dict[int, list[str]]:
    """Statements that bring a database of each older version to the current one, run
    before the schema's ``CREATE ... IF NOT EXISTS`` statements (which add the new index)."""
    return {
        1: [
            f"ALTER TABLE messages ADD COLUMN carrier {blob}",
            "DROP INDEX IF EXISTS messages_unconfirmed",
        ]
    }
