"""What every step of the marketplace writes besides its records: events, letters, the log.

A step stores its events (every state received, sent or made, per record) in the
store transaction that changes its records; the letters leave through the outbox
afterwards, keyed by the stored event, so a sender retrying a letter it got no
answer to gets the same letters sent again (:meth:`Journal.resend`), not new ones.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from plaza.energy.backend.keeper import TwinKeeper
from plaza.energy.backend.model import RecordEvent
from plaza.energy.backend.ports import Clock, MarketplaceStore
from plaza.energy.link import LetterSender
from plaza.energy.peers import BIDMANAGER, MARKETPLACE, Peer

__all__ = ["Journal"]


class Journal:
    """Events in the store, letters through the outbox, lines in the log."""

    def __init__(
        self,
        *,
        store: MarketplaceStore,
        outbox: LetterSender,
        twins: TwinKeeper,
        bidmanager: Peer,
        clock: Clock,
    ) -> None:
        self._store = store
        self._outbox = outbox
        self._twins = twins
        self._bidmanager = bidmanager
        self._clock = clock

    def now(self) -> int:
        return self._clock.now_ms()

    def event(
        self,
        record_id: str,
        direction: str,
        party: str,
        path: str,
        state: Mapping[str, Any],
        *,
        on_twin: bool = False,
        cause: int | None = None,
    ) -> RecordEvent:
        """Store one event (inside the step's transaction); the copy returned has its id."""
        event = RecordEvent(record_id, direction, party, path, dict(state), on_twin, cause)
        return self._store.add_event(event, now_ms=self.now())

    def resend(
        self, record_id: str, party: str, path: str, state: Mapping[str, Any] | None
    ) -> bool:
        """If this step was taken before, send its letters again (the outbox sends each once).

        ``state`` None looks for the record's own event (a contract made by a match).
        """
        if state is None:
            found = next((e for e in self._store.events(record_id) if e.direction == "own"), None)
        else:
            found = self._store.find_event(record_id, party, path, state)
        if found is None:
            return False
        for event in self._store.caused_by(found.id):
            self.send(event)
        return True

    def send(self, event: RecordEvent) -> None:
        """Queue the letter of an ``out`` event, after its transaction committed."""
        if event.party == BIDMANAGER:
            recipient, body = self._bidmanager.key, event.state
        else:
            asset = self._store.asset(event.party)
            assert asset is not None
            recipient = asset.key
            body = (
                {"contract": event.state, "twin": self._twins.reader_key(event.record_id)}
                if event.path == "/contract"
                else {"transaction": event.state}
            )
        self._outbox.send(
            path=event.path,
            recipient=recipient,
            audience=event.party,
            body=body,
            key=f"{MARKETPLACE}:event:{event.id}",
        )

    def log(self, operation: str, record_id: str, outcome: str, detail: str) -> None:
        self._store.log(
            now_ms=self.now(),
            operation=operation,
            record_id=record_id,
            outcome=outcome,
            detail=detail,
        )
