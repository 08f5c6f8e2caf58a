"""Messages held until all their parents are known ("solid"), within fair bounds.

A node may hear of a message before its parents (gossip reorders). Such a message
is held rather than rejected; when the last missing parent arrives, it is
released. Anyone can send orphans, so the held set is shared fairly rather than
first come, first served (:class:`HeldPolicy`):

* every submitter (one client address, one peer) holds at most its quota;
* when the whole set is full, a submitter holding fewer than the largest holder
  still gets in: the largest holder's oldest message makes room;
* a message held longer than the policy's time to live is dropped; its
  submitter may send it again once its parents are known.

So a flood of orphans fills its sender's own share and then ages out, and never
blocks another client's out-of-order message or a peer's catch-up.
"""

from __future__ import annotations

from collections import OrderedDict, defaultdict
from dataclasses import dataclass
from typing import Literal

from plaza.ledger.errors import HeldLimitReached
from plaza.ledger.model import Message

__all__ = ["LOCAL", "RESTORED", "HeldPolicy", "Solidifier", "Submitter"]

UNBOUNDED = 2**62


@dataclass(frozen=True, slots=True)
class Submitter:
    """Who handed the node a message: its held messages count against this one's share."""

    kind: Literal["local", "client", "peer", "restored"]
    key: str = ""

    @classmethod
    def client(cls, host: str) -> Submitter:
        return cls("client", host)

    @classmethod
    def peer(cls, public_key: bytes) -> Submitter:
        return cls("peer", public_key.hex())

    def __str__(self) -> str:
        return f"{self.kind}:{self.key}" if self.key else self.kind


#: The node itself (its coordinator, an in-process wallet): the whole limit is its share.
LOCAL = Submitter("local")
#: Held messages found in the store at start: their submitters are not recorded.
RESTORED = Submitter("restored")


@dataclass(frozen=True, slots=True)
class HeldPolicy:
    """How many messages may wait for parents, per submitter and in all, and for how long."""

    limit: int = 10_000
    per_client: int = 1_000
    per_peer: int = 5_000
    ttl_ms: int = 120_000

    def __post_init__(self) -> None:
        if min(self.limit, self.per_client, self.per_peer, self.ttl_ms) < 1:
            raise ValueError(f"every bound of the held set must be positive: {self}")

    def quota(self, submitter: Submitter) -> int:
        """A client's or peer's share; the node's own and restored messages share the limit
        (restored ones are trimmed to a client's share on start)."""
        match submitter.kind:
            case "client" | "restored":
                return min(self.per_client, self.limit)
            case "peer":
                return min(self.per_peer, self.limit)
            case "local":
                return self.limit


@dataclass(slots=True)
class _Held:
    message: Message
    missing: set[bytes]
    submitter: Submitter
    held_at_ms: int


class Solidifier:
    """Held messages, indexed by the parents they still miss, by submitter and by age."""

    def __init__(self, policy: HeldPolicy | None = None) -> None:
        self._policy = policy or HeldPolicy()
        self._held: OrderedDict[bytes, _Held] = OrderedDict()  # oldest first
        self._waiting_on: defaultdict[bytes, set[bytes]] = defaultdict(set)
        self._by_submitter: defaultdict[Submitter, OrderedDict[bytes, None]] = defaultdict(
            OrderedDict
        )

    @classmethod
    def unbounded(cls) -> Solidifier:
        return cls(HeldPolicy(UNBOUNDED, UNBOUNDED, UNBOUNDED, UNBOUNDED))

    def __len__(self) -> int:
        return len(self._held)

    @property
    def policy(self) -> HeldPolicy:
        return self._policy

    @property
    def limit(self) -> int:
        return self._policy.limit

    def __contains__(self, message_id: object) -> bool:
        return message_id in self._held

    def held_by(self, submitter: Submitter) -> int:
        return len(self._by_submitter.get(submitter, ()))

    def check_room(self, submitter: Submitter, own_extra: int = 0, extra: int = 0) -> None:
        """Raise :class:`HeldLimitReached` unless ``submitter`` may hold one more message,
        counting ``own_extra`` of its own and ``extra`` in all about to be held."""
        own = self.held_by(submitter) + own_extra
        if own >= self._policy.quota(submitter):
            raise HeldLimitReached(self._policy.quota(submitter), str(submitter))
        if len(self._held) + extra < self._policy.limit:
            return
        if self._largest_share(excluding=submitter) > own + 1:
            return  # hold() takes room from the largest holder
        raise HeldLimitReached(self._policy.limit)

    def _largest_share(self, excluding: Submitter) -> int:
        return max(
            (len(ids) for who, ids in self._by_submitter.items() if who != excluding), default=0
        )

    def hold(
        self, message: Message, missing: set[bytes], submitter: Submitter = LOCAL, now_ms: int = 0
    ) -> list[Message]:
        """Hold ``message`` (admission checked its room); return what was evicted for it."""
        evicted = self._make_room(submitter) if len(self._held) >= self._policy.limit else []
        self._held[message.id] = _Held(message, set(missing), submitter, now_ms)
        self._by_submitter[submitter][message.id] = None
        for parent in missing:
            self._waiting_on[parent].add(message.id)
        return evicted

    def _make_room(self, submitter: Submitter) -> list[Message]:
        largest = max(
            (who for who in self._by_submitter if who != submitter),
            key=lambda who: len(self._by_submitter[who]),
            default=submitter,
        )
        oldest = next(iter(self._by_submitter[largest]))
        return self.drop(oldest)

    def expire(self, now_ms: int) -> list[Message]:
        """Drop the messages held longer than the time to live (and what waits on them)."""
        expired: list[Message] = []
        deadline = now_ms - self._policy.ttl_ms
        while self._held:
            oldest_id, oldest = next(iter(self._held.items()))
            if oldest.held_at_ms > deadline:
                break
            expired.extend(self.drop(oldest_id))
        return expired

    def release(self, parent_id: bytes) -> list[Message]:
        """``parent_id`` became solid: return the held messages that now miss nothing."""
        released: list[Message] = []
        for child_id in sorted(self._waiting_on.pop(parent_id, ())):
            entry = self._held.get(child_id)
            if entry is None:
                continue
            entry.missing.discard(parent_id)
            if not entry.missing:
                self._forget(child_id)
                released.append(entry.message)
        return released

    def drop(self, message_id: bytes) -> list[Message]:
        """Forget a message and, recursively, the held messages that approve it."""
        dropped: list[Message] = []
        queue = [message_id]
        while queue:
            current = queue.pop()
            entry = self._forget(current)
            if entry is not None:
                dropped.append(entry.message)
                self._stop_waiting(current, entry.missing)
            queue.extend(self._waiting_on.pop(current, ()))
        return dropped

    def _forget(self, message_id: bytes) -> _Held | None:
        entry = self._held.pop(message_id, None)
        if entry is not None:
            share = self._by_submitter[entry.submitter]
            share.pop(message_id, None)
            if not share:
                del self._by_submitter[entry.submitter]
        return entry

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
