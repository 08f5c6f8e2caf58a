"""Product orders in a SQLite file of the marketplace's data directory, so a restart keeps
every order and its trail (and the marketplace still settles the holds it arbitrates).

An order without a hold yet (the asset provider's, until the service provider confirms
it) keeps ``none:<order id>`` in the unique ``hold_id`` column, which no hold id (hex)
can equal."""

from __future__ import annotations

from pathlib import Path

from plaza.sqlite import SqliteFile
from plaza.telco.codec import decode_order, encode_order
from plaza.telco.orders import ProductOrder

__all__ = ["SqliteOrderStore"]

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS product_orders (
        id TEXT PRIMARY KEY,
        hold_id TEXT NOT NULL UNIQUE,
        placed_ms INTEGER NOT NULL,
        body TEXT NOT NULL
    )""",
)


def _hold_key(order: ProductOrder) -> str:
    return order.hold_id or f"none:{order.id}"


class SqliteOrderStore:
    def __init__(self, path: str | Path) -> None:
        self._db = SqliteFile(path, _SCHEMA, label="telco order store")

    def close(self) -> None:
        self._db.close()

    def add(self, order: ProductOrder) -> ProductOrder:
        with self._db.write() as conn:
            conn.execute(
                "INSERT OR IGNORE INTO product_orders (id, hold_id, placed_ms, body)"
                " VALUES (?, ?, ?, ?)",
                (
                    order.id,
                    _hold_key(order),
                    order.steps[0].at_ms if order.steps else 0,
                    encode_order(order),
                ),
            )
            row = conn.execute(
                "SELECT body FROM product_orders WHERE hold_id = ?", (_hold_key(order),)
            ).fetchone()
        return decode_order(row[0])

    def save(self, order: ProductOrder) -> None:
        self._db.execute(
            "UPDATE product_orders SET body = ?, hold_id = ? WHERE id = ?",
            (encode_order(order), _hold_key(order), order.id),
        )

    def get(self, order_id: str) -> ProductOrder | None:
        row = self._db.row("SELECT body FROM product_orders WHERE id = ?", (order_id,))
        return None if row is None else decode_order(row[0])

    def by_hold(self, hold_id: str) -> ProductOrder | None:
        row = self._db.row("SELECT body FROM product_orders WHERE hold_id = ?", (hold_id,))
        return None if row is None else decode_order(row[0])

    def all(self) -> list[ProductOrder]:
        rows = self._db.rows("SELECT body FROM product_orders ORDER BY placed_ms, id")
        return [decode_order(body) for (body,) in rows]
