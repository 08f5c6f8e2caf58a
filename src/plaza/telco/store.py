"""Where the telco desk keeps its product orders: by id, by the hold paying each.

:class:`MemoryOrderStore` keeps them in the process (a marketplace restart
forgets them; the holds stay on the ledger, and their deadline refunds any
left open). A durable store implements the same :class:`OrderStore`.
"""

from __future__ import annotations

import threading
from typing import Protocol

from plaza.telco.orders import ProductOrder

__all__ = ["MemoryOrderStore", "OrderStore"]


class OrderStore(Protocol):
    def add(self, order: ProductOrder) -> ProductOrder:
        """Keep a new order; the one already paid by its hold if there is one."""
        ...

    def save(self, order: ProductOrder) -> None:
        """Keep an order's new state, and its hold once it has one (a confirmation's)."""
        ...

    def get(self, order_id: str) -> ProductOrder | None: ...

    def by_hold(self, hold_id: str) -> ProductOrder | None: ...

    def all(self) -> list[ProductOrder]: ...


class MemoryOrderStore:
    def __init__(self) -> None:
        self._orders: dict[str, ProductOrder] = {}
        self._holds: dict[str, str] = {}
        self._lock = threading.RLock()

    def add(self, order: ProductOrder) -> ProductOrder:
        with self._lock:
            known = self._holds.get(order.hold_id) if order.hold_id else None
            if known is not None:
                return self._orders[known]
            self.save(order)
            return order

    def save(self, order: ProductOrder) -> None:
        with self._lock:
            self._orders[order.id] = order
            if order.hold_id:
                self._holds.setdefault(order.hold_id, order.id)

    def get(self, order_id: str) -> ProductOrder | None:
        return self._orders.get(order_id)

    def by_hold(self, hold_id: str) -> ProductOrder | None:
        known = self._holds.get(hold_id)
        return None if known is None else self._orders.get(known)

    def all(self) -> list[ProductOrder]:
        with self._lock:
            return list(self._orders.values())
