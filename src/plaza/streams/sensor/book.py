"""The sensor's own records on disk: payments it handled, subscriptions, and small facts.

A payment moves through states so a crash at any point neither loses it nor
serves it twice::

    accepted  -> delivered     the subscription was extended (same transaction) and
                               then the grant sealed to the buyer; a restart
                               re-delivers an ``accepted`` one, never re-extends it
    refunding -> refunded      a refund is owed; a restart looks for it on the ledger
                               before sending it again
    ignored                    not a stream payment (the faucet, a gift): nothing owed

The file is a private :class:`plaza.sqlite.SqliteFile` (0600, folder 0700).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from plaza.sqlite import SqliteFile
from plaza.streams.report import Subscriber
from plaza.streams.terms import Subscription

__all__ = ["HandledPayment", "SensorBook"]

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS payments (
        message_id BLOB PRIMARY KEY, payer TEXT NOT NULL, amount INTEGER NOT NULL,
        reader BLOB, state TEXT NOT NULL, detail TEXT NOT NULL, ends_at_ms INTEGER,
        refund_id BLOB, handled_at_ms INTEGER NOT NULL, contract TEXT)""",
    """CREATE TABLE IF NOT EXISTS subscriptions (
        reader BLOB PRIMARY KEY, ends_at_ms INTEGER NOT NULL, payments INTEGER NOT NULL,
        paid INTEGER NOT NULL)""",
    "CREATE TABLE IF NOT EXISTS facts (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
)
_SELECT = (
    "SELECT message_id, payer, amount, reader, state, detail, ends_at_ms, refund_id, "
    "handled_at_ms, contract FROM payments"
)
_INSERT = "INSERT INTO payments VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"


@dataclass(frozen=True, slots=True)
class HandledPayment:
    """A payment the sensor has seen, and where it stands."""

    message_id: bytes
    payer: str
    amount: int
    reader: bytes | None
    state: str
    detail: str
    ends_at_ms: int | None
    refund_id: bytes | None
    handled_at_ms: int
    #: The marketplace contract it pays, when it pays one.
    contract: str | None = None


class SensorBook:
    """Payments, subscriptions and facts of one sensor, in one SQLite file."""

    def __init__(self, path: Path) -> None:
        self._db = SqliteFile(path, list(_SCHEMA))
        #: Ids of every payment recorded, in memory: a scan asks about each movement it
        #: reads, many times a second for a busy sensor, and the answer only ever grows.
        self.handled: set[bytes] = {
            bytes(row[0]) for row in self._db.rows("SELECT message_id FROM payments")
        }

    def close(self) -> None:
        self._db.close()

    # -- facts -------------------------------------------------------------------------------

    def fact(self, name: str) -> str | None:
        row = self._db.row("SELECT value FROM facts WHERE name = ?", (name,))
        return None if row is None else str(row[0])

    def set_fact(self, name: str, value: str) -> None:
        with self._db.write() as conn:
            conn.execute("INSERT OR REPLACE INTO facts VALUES (?, ?)", (name, value))

    # -- payments ----------------------------------------------------------------------------

    def payment(self, message_id: bytes) -> HandledPayment | None:
        row = self._db.row(_SELECT + " WHERE message_id = ?", (message_id,))
        return None if row is None else _payment(row)

    def unfinished(self) -> list[HandledPayment]:
        """Payments a crash may have left half-served: ``accepted`` or ``refunding``."""
        rows = self._db.rows(
            _SELECT + " WHERE state IN ('accepted', 'refunding') ORDER BY handled_at_ms"
        )
        return [_payment(row) for row in rows]

    def payments(self) -> list[HandledPayment]:
        rows = self._db.rows(_SELECT + " ORDER BY handled_at_ms")
        return [_payment(row) for row in rows]

    def contract_paid(self, contract: str) -> bool:
        """Whether a payment of marketplace ``contract`` was accepted already."""
        found = self._db.row(
            "SELECT 1 FROM payments WHERE contract = ? AND state IN ('accepted', 'delivered')",
            (contract,),
        )
        return found is not None

    def accept(self, payment: HandledPayment, duration_ms: int) -> Subscription:
        """Record ``payment`` as accepted and extend its reader's subscription, atomically."""
        assert payment.reader is not None
        with self._db.write() as conn:
            row = conn.execute(
                "SELECT ends_at_ms FROM subscriptions WHERE reader = ?", (payment.reader,)
            ).fetchone()
            current = Subscription(payment.reader, int(row[0])) if row else None
            now = payment.handled_at_ms
            renewed = (current or Subscription(payment.reader, now)).renewed(now, duration_ms)
            conn.execute(
                "INSERT INTO subscriptions VALUES (?, ?, 1, ?) ON CONFLICT (reader) DO UPDATE "
                "SET ends_at_ms = excluded.ends_at_ms, payments = payments + 1, "
                "paid = paid + excluded.paid",
                (payment.reader, renewed.ends_at_ms, payment.amount),
            )
            accepted = _with(payment, state="accepted", ends_at_ms=renewed.ends_at_ms)
            conn.execute(_INSERT, accepted)
        self.handled.add(payment.message_id)
        return renewed

    def record(self, payment: HandledPayment) -> None:
        """Record a payment that extends nothing (``refunding`` or ``ignored``)."""
        with self._db.write() as conn:
            conn.execute(_INSERT, _row(payment))
        self.handled.add(payment.message_id)

    def finish(self, message_id: bytes, state: str, refund_id: bytes | None = None) -> None:
        with self._db.write() as conn:
            conn.execute(
                "UPDATE payments SET state = ?, refund_id = COALESCE(?, refund_id) "
                "WHERE message_id = ?",
                (state, refund_id, message_id),
            )

    # -- subscriptions -----------------------------------------------------------------------

    def subscriptions(self) -> list[Subscription]:
        rows = self._db.rows("SELECT reader, ends_at_ms FROM subscriptions ORDER BY reader")
        return [Subscription(bytes(row[0]), int(row[1])) for row in rows]

    def revenue(self) -> int:
        row = self._db.row("SELECT COALESCE(SUM(paid), 0) FROM subscriptions")
        return 0 if row is None else int(row[0])

    def subscribers(self) -> list[Subscriber]:
        """Every reader ever granted: its key, its end, how many payments, what it paid."""
        rows = self._db.rows("SELECT reader, ends_at_ms, payments, paid FROM subscriptions")
        return [Subscriber(bytes(r[0]), int(r[1]), int(r[2]), int(r[3])) for r in rows]

    def refunded(self) -> int:
        """The coins owed or sent back for payments that bought nothing."""
        row = self._db.row(
            "SELECT COALESCE(SUM(amount), 0) FROM payments WHERE state IN ('refunding', 'refunded')"
        )
        return 0 if row is None else int(row[0])


def _row(payment: HandledPayment) -> tuple[object, ...]:
    return (
        payment.message_id,
        payment.payer,
        payment.amount,
        payment.reader,
        payment.state,
        payment.detail,
        payment.ends_at_ms,
        payment.refund_id,
        payment.handled_at_ms,
        payment.contract,
    )


def _with(payment: HandledPayment, *, state: str, ends_at_ms: int) -> tuple[object, ...]:
    row = list(_row(payment))
    row[4], row[6] = state, ends_at_ms
    return tuple(row)


def _payment(row: tuple[Any, ...]) -> HandledPayment:
    message_id, payer, amount, reader, state, detail, ends, refund, handled, contract = row
    return HandledPayment(
        bytes(message_id),
        str(payer),
        int(amount),
        None if reader is None else bytes(reader),
        str(state),
        str(detail),
        None if ends is None else int(ends),
        None if refund is None else bytes(refund),
        int(handled),
        None if contract is None else str(contract),
    )
