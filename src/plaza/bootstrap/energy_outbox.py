"""How an energy module's letters leave, and what becomes of one a peer refuses.

Every module sends through an :class:`~plaza.energy.link.EnergyOutbox` on its job
queue. A refusal is final (the peer would refuse the same letter again), so it is
logged in the module's ``log`` table; a refused ``/match`` also goes back to the bid
manager (:class:`MatchRefusals`), which puts the pair's live bid back on the book.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from plaza.clock import Clock
from plaza.crypto import Identity
from plaza.energy.asset.ports import AssetStore
from plaza.energy.bidmanager.service import EnergyBidManager
from plaza.energy.link import EnergyOutbox
from plaza.energy.owner.ports import OwnerStore
from plaza.jobs import JobQueue
from plaza.market.auth.outbox import AddressOf, Link, OnRefused, Refusal

__all__ = [
    "MatchRefusals",
    "asset_refusals",
    "logged_refusals",
    "module_outbox",
    "owner_refusals",
]


class OperationLog(Protocol):
    """The ``log`` table of the marketplace and the bid manager."""

    def log(
        self, *, now_ms: int, operation: str, record_id: str, outcome: str, detail: str
    ) -> None: ...


def module_outbox(
    queue: JobQueue,
    link: Link,
    identity: Identity,
    clock: Clock,
    *,
    sender: str | Callable[[], str],
    address: AddressOf,
    on_refused: OnRefused,
) -> EnergyOutbox:
    """A module's outbox: its letters signed by ``identity`` as ``sender`` (or ``sender()``),
    each sent to where ``address`` says its recipient is when it leaves."""
    named = (lambda: sender) if isinstance(sender, str) else sender
    return EnergyOutbox(
        queue,
        link,
        sender=named,
        identity=lambda: identity,
        clock=clock,
        address=address,
        on_refused=on_refused,
    )


def logged_refusals(store: OperationLog, clock: Clock) -> OnRefused:
    """A peer refused a letter: it would refuse it again, so the log is where it ends."""

    def log(refusal: Refusal) -> None:
        store.log(
            now_ms=clock.now_ms(),
            operation="deliver",
            record_id=refusal.url + refusal.path,
            outcome="refused",
            detail=refusal.reason,
        )

    return log


def asset_refusals(store: AssetStore, clock: Clock) -> OnRefused:
    """A peer refused one of the device's letters: logged, as it would refuse it again."""

    def refused(refusal: Refusal) -> None:
        reason = f"{refusal.url}{refusal.path}: {refusal.reason}"
        store.log("letter_refused", reason, now_ms=clock.now_ms(), ok=False)

    return refused


def owner_refusals(store: OwnerStore, clock: Clock) -> OnRefused:
    """The marketplace refused one of the user module's letters: logged, as it would
    refuse it again."""

    def refused(refusal: Refusal) -> None:
        store.log(clock.now_ms(), "deliver", refusal.url + refusal.path, "refused", refusal.reason)

    return refused


class MatchRefusals:
    """The bid manager's ``on_refused``: the marketplace refused a letter, and would again.

    The refusal is logged; a refused ``/match`` goes to the bid manager with the
    marketplace's details (:meth:`~plaza.energy.bidmanager.service.EnergyBidManager.match_refused`),
    and the bid manager puts the pair's live bid back on the book. Until the bid
    manager is open, a refusal raises, so its delivery is retried rather than lost.
    """

    def __init__(self, store: OperationLog, clock: Clock) -> None:
        self._log = logged_refusals(store, clock)
        self.bidmanager: EnergyBidManager | None = None

    def __call__(self, refusal: Refusal) -> None:
        if refusal.path == "/match" and self.bidmanager is None:
            raise RuntimeError("a /match was refused before the bid manager was open")
        self._log(refusal)
        if refusal.path == "/match" and self.bidmanager is not None:
            self.bidmanager.match_refused(refusal.body, refusal.reason, details=refusal.details)
