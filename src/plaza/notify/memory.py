"""The in-memory :class:`~plaza.notify.ports.SubscriptionStore`: tests and the embedded demo."""

from __future__ import annotations

import threading

from plaza.notify.model import Subscription

__all__ = ["MemorySubscriptionStore"]


class MemorySubscriptionStore:
    """A :class:`~plaza.notify.ports.SubscriptionStore` in a dict."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: dict[str, Subscription] = {}

    def add(self, subscription: Subscription) -> None:
        with self._lock:
            self._items[subscription.id] = subscription

    def remove(self, subscription_id: str) -> bool:
        with self._lock:
            return self._items.pop(subscription_id, None) is not None

    def get(self, subscription_id: str) -> Subscription | None:
        with self._lock:
            return self._items.get(subscription_id)

    def list_all(self) -> list[Subscription]:
        with self._lock:
            return list(self._items.values())  # dicts keep insertion order

    def close(self) -> None:
        with self._lock:
            self._items.clear()
