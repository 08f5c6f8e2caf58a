"""Messages held until all their parents are known ("solid"), within a bound.

A node may hear of a message before its parents (gossip reorders). Such a message
is held rather than rejected; when the last missing parent arrives, it is
released. The bound keeps one flood of orphans from exhausting memory.
"""

from __future__ import annotations

from collections import defaultdict

from plaza.ledger.errors import HeldLimitReached
from plaza.ledger.model import Message

__all__ = ["Solidifier"]


class Solidifier:
    """Held messages, indexed by the parents they still miss."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._held: dict[bytes, tuple[Message, set[bytes]]] = {}
        self._waiting_on: defaultdict[bytes, set[bytes]] = defaultdict(set)

    def __len__(self) -> int:
        return len(self._held)

    @property
    def limit(self) -> int:
        return self._limit

    def __contains__(self, message_id: object) -> bool:
        return message_id in self._held

    def check_room(self) -> None:
        if len(self._held) >= self._limit:
            raise HeldLimitReached(self._limit)

    def hold(self, message: Message, missing: set[bytes]) -> None:
        self.check_room()
        self._held[message.id] = (message, set(missing))
        for parent in missing:
            self._waiting_on[parent].add(message.id)

    def release(self, parent_id: bytes) -> list[Message]:
        """``parent_id`` became solid: return the held messages that now miss nothing."""
        released: list[Message] = []
        for child_id in sorted(self._waiting_on.pop(parent_id, ())):
            entry = self._held.get(child_id)
            if entry is None:
                continue
            message, missing = entry
            missing.discard(parent_id)
            if not missing:
                del self._held[child_id]
                released.append(message)
        return released

    def drop(self, message_id: bytes) -> list[Message]:
        """Forget an invalid message and, recursively, the held messages that approve it."""
        dropped: list[Message] = []
        queue = [message_id]
        while queue:
            current = queue.pop()
            entry = self._held.pop(current, None)
            if entry is not None:
                message, missing = entry
                dropped.append(message)
                self._stop_waiting(current, missing)
            queue.extend(self._waiting_on.pop(current, ()))
        return dropped

    def _stop_waiting(self, message_id: bytes, parents: set[bytes]) -> None:
        """A dropped message no longer waits on its other missing parents."""
        for parent in parents:
            waiting = self._waiting_on.get(parent)
            if waiting is not None:
                waiting.discard(message_id)
                if not waiting:
                    del self._waiting_on[parent]

    def missing(self) -> set[bytes]:
        """Parents someone is waiting for that are not held themselves (ask peers for these)."""
        return {parent for parent in self._waiting_on if parent not in self._held}

    def statistics(self) -> dict[str, int]:
        return {"held": len(self._held), "missing_parents": len(self.missing())}
