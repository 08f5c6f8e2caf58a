"""Reading a channel: walk forward from a reader key, verifying every message.

:meth:`Reader.read` fetches what is on the ledger now; :meth:`Reader.follow`
catches up the same way, then follows the node's live events for the next
``window`` tags, so a new message reaches the reader as soon as its node
attaches it, with no polling. Both stop with a specific error rather than
quietly: :class:`WrongKey` (an owner-made message our key does not open),
:class:`MessageMissing` (a gap: a later position exists), :class:`AccessExpired`
or :class:`AccessRevoked` (a new epoch left us out). Messages at a channel
address that the owner did not make are skipped and counted.
"""

from __future__ import annotations

from collections.abc import Iterator

from plaza.channels.chain import ChainPoint, epoch_key
from plaza.channels.envelope import Opened, RecordKind, expected_issuer, open_message
from plaza.channels.epochs import KeysContent, decode_keys_content, open_wrap
from plaza.channels.errors import (
    AccessEnded,
    AccessExpired,
    AccessRevoked,
    ForeignMessage,
    InvalidChannelData,
    MessageMissing,
    PositionUnavailable,
    WrongKey,
)
from plaza.channels.lookup import Found, attempts_for, find_at, holds_candidate
from plaza.channels.model import ChannelEntry, ChannelMode, ReaderKey
from plaza.channels.ports import ChannelLedger
from plaza.crypto import EncryptionKey
from plaza.ledger.model import Message

__all__ = ["FOLLOW_WINDOW", "GAP_WINDOW", "Reader"]

GAP_WINDOW = 8
FOLLOW_WINDOW = 64


class _End:
    """Nothing at the position, and nothing after it: the channel's end, for now."""


_END = _End()


class Reader:
    """A verifying cursor over one channel; not shared between threads."""

    def __init__(
        self,
        gateway: ChannelLedger,
        key: ReaderKey,
        *,
        encryption_key: EncryptionKey | None = None,
        gap_window: int = GAP_WINDOW,
    ) -> None:
        self._gateway = gateway
        self._key = key
        self._encryption_key = encryption_key
        self._gap_window = gap_window
        self._point = key.point
        self._epoch = key.epoch
        self._epoch_key = key.epoch_key
        self._counts = {"read": 0, "foreign_skipped": 0, "epochs": 0}

    @property
    def position(self) -> int:
        """The next position this reader will read."""
        return self._point.position

    def checkpoint(self) -> ReaderKey:
        """A key that resumes reading where this reader stands (store it to continue later)."""
        return self._key.at(self._point, self._epoch, self._epoch_key)

    def statistics(self) -> dict[str, int]:
        return {"position": self._point.position, "epoch": self._epoch, **self._counts}

    # -- reading what is there -------------------------------------------------------------

    def read(
        self, *, from_position: int | None = None, limit: int | None = None
    ) -> Iterator[ChannelEntry]:
        """Verified data entries from ``from_position`` (default: where the reader stands)."""
        if from_position is not None:
            self._seek(from_position)
        count = 0
        while limit is None or count < limit:
            outcome = self._step()
            if outcome is _END:
                return
            if isinstance(outcome, ChannelEntry):
                count += 1
                yield outcome

    def _seek(self, position: int) -> None:
        if position < self._point.position:
            raise PositionUnavailable(position, self._point.position)
        if self._key.mode is not ChannelMode.RESTRICTED:
            self._point = self._point.advance(position - self._point.position)
            return
        while self._point.position < position:  # keys records on the way change the epoch
            if self._step() is _END:
                raise MessageMissing(self._point.position)

    def _attempts_at(self, point: ChainPoint) -> Found:
        attempts = attempts_for(self._key.mode, point, self._epoch, self._epoch_key)
        return find_at(self._gateway, point, self._key.channel, self._key.mode, attempts)

    def _step(self) -> ChannelEntry | _End | None:
        point = self._point
        found = self._attempts_at(point)
        if _empty(found) and self._continues_after(point):
            # The publisher may have sent this position, and later ones, while we looked
            # further: only if it is still empty now is it missing.
            found = self._attempts_at(point)
            if _empty(found):
                raise MessageMissing(point.position)
        self._counts["foreign_skipped"] += len(found.refused)
        if found.opened is not None:
            return self._accept(point, found.opened)
        if found.locked:
            raise WrongKey(point.position)
        return _END

    def _continues_after(self, point: ChainPoint) -> bool:
        for later in point.next().window(self._gap_window):
            issuer = expected_issuer(self._key.mode, self._key.channel, later)
            if holds_candidate(self._gateway, later, issuer):
                return True
        return False

    def _accept(self, point: ChainPoint, opened: Opened) -> ChannelEntry | None:
        record = opened.record
        if record.kind is RecordKind.KEYS:
            self._enter_epoch(point, opened)
            self._point = point.next()
            return None
        self._point = point.next()
        self._counts["read"] += 1
        return ChannelEntry(
            point.position, opened.epoch, record.content, record.published_at_ms, opened.message.id
        )

    def _enter_epoch(self, point: ChainPoint, opened: Opened) -> None:
        keys = decode_keys_content(opened.record.content)
        if keys.epoch != opened.epoch:
            raise InvalidChannelData("keys record", "its epoch differs from the one it is under")
        if keys.epoch == self._epoch and self._epoch_key is not None:
            return  # the epoch this reader was handed, starting here
        new_key = self._epoch_key_from(keys)
        if new_key is None:
            raise self._ended(point.position, keys.epoch, opened.record.published_at_ms)
        self._epoch, self._epoch_key = keys.epoch, new_key
        self._counts["epochs"] += 1

    def _epoch_key_from(self, keys: KeysContent) -> bytes | None:
        if self._key.epoch_master is not None:
            return epoch_key(self._key.epoch_master, keys.epoch)
        if self._key.hint_key is None or self._encryption_key is None:
            return None
        return open_wrap(keys, self._key.hint_key, self._encryption_key)

    def _ended(self, position: int, epoch: int, published_at_ms: int) -> AccessEnded:
        key = self._key
        timed_out = key.expires_at_ms is not None and published_at_ms >= key.expires_at_ms
        used_up = key.max_messages is not None and self._counts["read"] >= key.max_messages
        if timed_out or used_up:
            return AccessExpired(position, epoch)
        return AccessRevoked(position, epoch)

    def accept(self, message: Message) -> ChannelEntry | None:
        """Check one message fetched elsewhere as the reader's next position, and move on.

        Returns the entry (None for a keys record, which only changes the epoch);
        raises :class:`WrongKey` or :class:`ForeignMessage` and stays put otherwise.
        """
        point = self._point
        attempts = attempts_for(self._key.mode, point, self._epoch, self._epoch_key)
        outcome = open_message(message, point, self._key.channel, self._key.mode, attempts)
        if isinstance(outcome, Opened):
            return self._accept(point, outcome)
        if outcome.locked:
            raise WrongKey(point.position)
        raise ForeignMessage(point.position, outcome.reason)

    # -- following live --------------------------------------------------------------------

    def follow(self, *, window: int = FOLLOW_WINDOW) -> Iterator[ChannelEntry]:
        """Entries as they are published, forever; stop by leaving the loop.

        Each round subscribes to the next ``window`` tags first, then catches up
        with lookups, then takes live events until it has moved half a window on,
        so nothing published between two subscriptions is missed.
        """
        while True:
            points = self._point.window(window)
            until = points[0].position + window // 2
            feed = self._gateway.follow([point.tag for point in points])
            try:
                yield from self.read()
                if self._point.position < until:  # else the catch-up outran this window
                    yield from self._live(feed, points, until)
            finally:
                feed.close()

    def _live(
        self, feed: Iterator[bytes], points: list[ChainPoint], until: int
    ) -> Iterator[ChannelEntry]:
        by_tag = {point.tag: point for point in points}
        arrived: dict[int, list[Message]] = {}
        for message_id in feed:
            if self._point.position >= until:
                return
            message = self._gateway.message(message_id)
            point = by_tag.get(message.tag) if message is not None else None
            if message is None or point is None or point.position < self._point.position:
                continue
            arrived.setdefault(point.position, []).append(message)
            yield from self._advance(arrived)
            if self._point.position >= until:
                return
            if any(position > self._point.position for position in arrived):
                yield from self._resolve_gap(arrived)

    def _advance(self, arrived: dict[int, list[Message]]) -> Iterator[ChannelEntry]:
        """Accept arrived messages at the reader's position, as long as they chain on."""
        while self._point.position in arrived:
            point = self._point
            opened = self._open_any(point, arrived[point.position])
            if opened is None:
                return
            del arrived[point.position]
            entry = self._accept(point, opened)
            if entry is not None:
                yield entry

    def _open_any(self, point: ChainPoint, messages: list[Message]) -> Opened | None:
        attempts = attempts_for(self._key.mode, point, self._epoch, self._epoch_key)
        for message in messages:
            outcome = open_message(message, point, self._key.channel, self._key.mode, attempts)
            if isinstance(outcome, Opened):
                return outcome
        return None

    def _resolve_gap(self, arrived: dict[int, list[Message]]) -> Iterator[ChannelEntry]:
        """A later position arrived first: look the current one up, or report the gap."""
        point = self._point
        found = self._attempts_at(point)
        if found.opened is None:
            raise WrongKey(point.position) if found.locked else MessageMissing(point.position)
        arrived.pop(point.position, None)
        entry = self._accept(point, found.opened)
        if entry is not None:
            yield entry
        yield from self._advance(arrived)


def _empty(found: Found) -> bool:
    """Nothing of the owner's at a position: no message opens, none is locked to us."""
    return found.opened is None and not found.locked
