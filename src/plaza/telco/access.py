"""The orchestrator's access list: who may use which asset, from when until when.

For each product order it orchestrates, the orchestrator keeps one :class:`Access`:
*scheduled* while the window has not started, *active* from the window's start (it
configures the access then, not before, and reports it to the order, which starts
paying the asset provider), *removed* once the window has ended or the order failed, *cancelled* if
the order was cancelled before it became active. :func:`plan` decides the step for
one order as the marketplace shows it now; the list only records what was done, so a
step is never done twice however often an order is seen.
"""

from __future__ import annotations

import enum
import threading
from dataclasses import dataclass, replace

__all__ = ["Access", "AccessList", "AccessState", "Seen", "Step", "plan"]


class AccessState(enum.StrEnum):
    SCHEDULED = "scheduled"
    ACTIVE = "active"
    REMOVED = "removed"
    CANCELLED = "cancelled"


class Step(enum.StrEnum):
    """What the orchestrator does for an order now."""

    SCHEDULE = "schedule"  # note it, to configure at the window's start
    CONFIGURE = "configure"  # grant access until the window ends, and report it
    REMOVE = "remove"  # take the access back (the window ended, or the order failed)
    CANCEL = "cancel"  # the order was cancelled before its access was granted
    NOTHING = "nothing"


@dataclass(frozen=True, slots=True)
class Seen:
    """An order as the marketplace shows it: its state, parties and window."""

    order_id: str
    state: str  # TMF622: acknowledged, inProgress, completed, cancelled, failed, rejected
    asset_id: str
    customer: str
    start_ms: int
    end_ms: int


@dataclass(frozen=True, slots=True)
class Access:
    """One order's access to its asset, and when it was granted and taken back."""

    order_id: str
    asset_id: str
    customer: str
    start_ms: int
    end_ms: int
    state: AccessState
    configured_at_ms: int | None = None
    removed_at_ms: int | None = None
    reported: bool = False  # whether the order took the report of access configured

    def view(self) -> dict[str, object]:
        return {
            "order": self.order_id,
            "asset": self.asset_id,
            "customer": self.customer,
            "from": self.start_ms,
            "until": self.end_ms,
            "state": self.state.value,
            "configuredAt": self.configured_at_ms,
            "removedAt": self.removed_at_ms,
            "reported": self.reported,
        }


_OPEN = (AccessState.SCHEDULED, AccessState.ACTIVE)
_ENDED = ("completed", "cancelled", "failed", "rejected")


def plan(seen: Seen, known: Access | None, now_ms: int) -> Step:
    """The step ``seen`` needs now, given what was done for it (``known``)."""
    state = None if known is None else known.state
    if state in (AccessState.REMOVED, AccessState.CANCELLED):
        return Step.NOTHING
    if seen.state in _ENDED or now_ms >= seen.end_ms:
        if state is AccessState.ACTIVE:
            return Step.REMOVE
        return Step.CANCEL if state is AccessState.SCHEDULED else Step.NOTHING
    if seen.state == "acknowledged":
        return Step.NOTHING  # not confirmed yet by both sides: nothing to grant
    if now_ms >= seen.start_ms:
        return Step.CONFIGURE if state is not AccessState.ACTIVE else Step.NOTHING
    return Step.SCHEDULE if state is None else Step.NOTHING


class AccessList:
    """The access granted so far, by order; safe to read from the listener's threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[str, Access] = {}

    def get(self, order_id: str) -> Access | None:
        with self._lock:
            return self._entries.get(order_id)

    def entries(self) -> list[Access]:
        with self._lock:
            return sorted(self._entries.values(), key=lambda entry: entry.start_ms)

    def open_ids(self) -> list[str]:
        """Orders whose access is scheduled or active: the ones to follow to their end."""
        with self._lock:
            return [key for key, entry in self._entries.items() if entry.state in _OPEN]

    def allows(self, asset_id: str, customer: str, at_ms: int) -> bool:
        """Whether ``customer`` may use ``asset_id`` at ``at_ms``: what the access serves."""
        return any(
            entry.state is AccessState.ACTIVE
            and (entry.asset_id, entry.customer) == (asset_id, customer)
            and entry.start_ms <= at_ms < entry.end_ms
            for entry in self.entries()
        )

    def apply(self, step: Step, seen: Seen, now_ms: int) -> Access | None:
        """Record ``step`` done for ``seen``; the entry as it now is."""
        with self._lock:
            known = self._entries.get(seen.order_id)
            if step is Step.SCHEDULE:
                entry = Access(
                    seen.order_id,
                    seen.asset_id,
                    seen.customer,
                    seen.start_ms,
                    seen.end_ms,
                    AccessState.SCHEDULED,
                )
            elif step is Step.CONFIGURE:
                base = known or Access(
                    seen.order_id,
                    seen.asset_id,
                    seen.customer,
                    seen.start_ms,
                    seen.end_ms,
                    AccessState.SCHEDULED,
                )
                entry = replace(base, state=AccessState.ACTIVE, configured_at_ms=now_ms)
            elif step in (Step.REMOVE, Step.CANCEL) and known is not None:
                ended = AccessState.REMOVED if step is Step.REMOVE else AccessState.CANCELLED
                entry = replace(known, state=ended, removed_at_ms=now_ms)
            else:
                return known
            self._entries[seen.order_id] = entry
            return entry

    def reported(self, order_id: str) -> None:
        """The order took the report of its access configured."""
        with self._lock:
            known = self._entries.get(order_id)
            if known is not None:
                self._entries[order_id] = replace(known, reported=True)
