"""Publishing on a channel: one writer at a time, the cursor saved before every submit.

Each publish builds the exact message bytes for the next position, saves them
with the advanced cursor in one store transaction, and only then submits them.
So a crash at any point neither reuses a position (the cursor moved with the
bytes) nor skips one (on open the saved bytes are submitted again; the same
bytes have the same id, so the node just answers "known"). Publishes on one
publisher are serialised by a lock; two processes writing the same channel
are caught by the store's compare-and-swap (:class:`CursorConflict`).

On a restricted channel the publisher also keeps the grants: before each
publish it drops every grant whose time or message allowance ran out and, if
any did, starts a new key epoch (a keys record) wrapped only for the rest. A
grant or a revocation starts one too.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from plaza.channels.backup import export_backup
from plaza.channels.chain import ChainPoint, hint_key
from plaza.channels.envelope import RecordKind, Slot, associated_data, seal_record, sign_record
from plaza.channels.epochs import build_keys_content
from plaza.channels.errors import (
    ChannelNotFound,
    ModeMismatch,
    UnknownReader,
)
from plaza.channels.model import (
    Channel,
    ChannelMode,
    Grant,
    InFlight,
    Published,
    PublisherState,
    ReaderKey,
)
from plaza.channels.ports import ChannelLedger, Clock, CursorStore
from plaza.channels.recovery import probe
from plaza.crypto import EncryptionPublicKey, SigningKey
from plaza.ledger.codec import decode_message
from plaza.ledger.errors import MessageRefused
from plaza.ledger.model import DataPayload

__all__ = ["Publisher"]


class Publisher:
    """The one writer of a channel. Build it with :meth:`create` or :meth:`open`."""

    def __init__(
        self, gateway: ChannelLedger, store: CursorStore, state: PublisherState, *, clock: Clock
    ) -> None:
        self._gateway = gateway
        self._store = store
        self._state = state
        self._clock = clock
        self._lock = threading.RLock()
        self._acked = state.in_flight is None
        self._counts = {"published": 0, "rotations": 0, "resubmitted": 0, "recomposed": 0}

    @classmethod
    def create(
        cls, gateway: ChannelLedger, store: CursorStore, channel: Channel, *, clock: Clock
    ) -> Publisher:
        """Start publishing a new channel: its cursor is saved at position 0."""
        return cls(gateway, store, store.save(PublisherState.initial(channel)), clock=clock)

    @classmethod
    def open(
        cls,
        gateway: ChannelLedger,
        store: CursorStore,
        channel_id: bytes,
        *,
        clock: Clock,
        probe_window: int = 8,
    ) -> Publisher:
        """Reopen a stored channel, finish its last submit and catch up with the ledger."""
        state = store.load(channel_id)
        if state is None:
            raise ChannelNotFound(channel_id)
        publisher = cls(gateway, store, state, clock=clock)
        publisher.recover(probe_window=probe_window)
        return publisher

    # -- reading the cursor ----------------------------------------------------------------

    @property
    def channel(self) -> Channel:
        return self._state.channel

    @property
    def state(self) -> PublisherState:
        return self._state

    @property
    def position(self) -> int:
        """The position the next publish takes."""
        return self._state.position

    @property
    def epoch(self) -> int:
        return self._state.epoch

    def statistics(self) -> dict[str, int]:
        state = self._state
        return {
            "position": state.position,
            "epoch": state.epoch,
            "readers": len(state.grants),
            **self._counts,
        }

    # -- publishing ------------------------------------------------------------------------

    def recover(self, *, probe_window: int = 8) -> None:
        """Submit the last saved message again if unacknowledged, then skip taken positions."""
        with self._lock:
            self._settle()
            probed = probe(self._gateway, self._state, window=probe_window)
            if probed.position != self._state.position:
                self._state = self._store.save(probed)

    def publish(self, content: bytes) -> Published:
        """Append ``content`` at the next position (after any rotation that is due)."""
        with self._lock:
            self._settle()
            self._end_lapsed_grants()
            return self._append(RecordKind.DATA, content, self._state.epoch)

    def _append(self, kind: RecordKind, content: bytes, epoch: int, **changes: Any) -> Published:
        state = self._state
        channel, point = state.channel, state.point
        slot = Slot(channel.id, point.position, epoch)
        record = sign_record(channel.signing, slot, kind, self._clock.now_ms(), content)
        envelope = seal_record(record, self._content_key(point, epoch, kind), associated_data(slot))
        raw = self._gateway.compose(self._issuer(point), DataPayload(point.tag, envelope)).raw
        following = point.next()
        self._state = self._store.save(
            replace(
                state,
                position=following.position,
                chain=following.state,
                data_count=state.data_count + (kind is RecordKind.DATA),
                in_flight=InFlight(point.state, raw),
                **changes,
            )
        )
        self._acked = False
        message_id = self._deliver()
        self._counts["published"] += 1
        return Published(point.position, epoch, message_id)

    def _content_key(self, point: ChainPoint, epoch: int, kind: RecordKind) -> bytes | None:
        mode = self._state.channel.mode
        if mode is ChannelMode.PUBLIC:
            return None
        if mode is ChannelMode.PRIVATE or kind is RecordKind.KEYS:
            return point.chain_key
        return self._state.channel.epoch_key(epoch)

    def _issuer(self, point: ChainPoint) -> SigningKey:
        """The channel key on public channels; elsewhere a one-time key, so nothing links."""
        channel = self._state.channel
        return channel.signing if channel.mode is ChannelMode.PUBLIC else point.issuer()

    def _deliver(self) -> bytes:
        in_flight = self._state.in_flight
        assert in_flight is not None
        try:
            message_id = self._gateway.submit(in_flight.raw)
        except MessageRefused:
            message_id = self._recompose(in_flight)
        self._acked = True
        return message_id

    def _recompose(self, in_flight: InFlight) -> bytes:
        """The node refuses the saved bytes for good: sign the same payload again, newly."""
        payload = decode_message(in_flight.raw).payload
        assert isinstance(payload, DataPayload)
        point = ChainPoint(self._state.position - 1, in_flight.chain)
        raw = self._gateway.compose(self._issuer(point), payload).raw
        self._state = self._store.save(replace(self._state, in_flight=InFlight(point.state, raw)))
        self._counts["recomposed"] += 1
        return self._gateway.submit(raw)  # a second refusal is the caller's to see

    def _settle(self) -> None:
        if not self._acked and self._state.in_flight is not None:
            self._deliver()
            self._counts["resubmitted"] += 1
        self._acked = True

    # -- key epochs ------------------------------------------------------------------------

    def _require_restricted(self, operation: str) -> None:
        mode = self._state.channel.mode
        if mode is not ChannelMode.RESTRICTED:
            raise ModeMismatch(mode.label, operation)

    def _live_grants(self) -> list[Grant]:
        state, now = self._state, self._clock.now_ms()
        return [g for g in state.grants if not g.has_ended(now, state.data_count)]

    def _end_lapsed_grants(self) -> None:
        if self._state.channel.mode is ChannelMode.RESTRICTED:
            live = self._live_grants()
            if len(live) != len(self._state.grants):
                self._rotate(live)

    def _rotate(self, grants: list[Grant]) -> Published:
        state = self._state
        epoch = state.epoch + 1
        content = build_keys_content(state.channel, state.position, epoch, grants, state.data_count)
        starts = (*state.epoch_starts, state.position)
        published = self._append(
            RecordKind.KEYS, content, epoch, grants=tuple(grants), epoch_starts=starts
        )
        self._counts["rotations"] += 1
        return published

    def rotate(self) -> Published:
        """Start a new key epoch for the readers whose grants still run."""
        with self._lock:
            self._require_restricted("rotating keys")
            self._settle()
            return self._rotate(self._live_grants())

    def revoke(self, reader: EncryptionPublicKey) -> Published:
        """Drop ``reader``'s grant and start an epoch it cannot read."""
        with self._lock:
            self._require_restricted("revoking access")
            if all(grant.reader != reader for grant in self._state.grants):
                raise UnknownReader(reader.raw.hex())
            self._settle()
            return self._rotate([g for g in self._live_grants() if g.reader != reader])

    def grant(
        self,
        reader: EncryptionPublicKey,
        *,
        expires_at_ms: int | None = None,
        max_messages: int | None = None,
    ) -> ReaderKey:
        """Entitle ``reader`` from the next position on; return the key to deliver to it.

        On a restricted channel this starts a new epoch wrapped for the reader,
        optionally until ``expires_at_ms`` or for ``max_messages`` data messages.
        A private channel has no epochs: its grant is the chain state, for good.
        """
        with self._lock:
            channel = self._state.channel
            if channel.mode is ChannelMode.PUBLIC:
                raise ModeMismatch("public", "granting access")
            if channel.mode is ChannelMode.PRIVATE:
                if expires_at_ms is not None or max_messages is not None:
                    raise ModeMismatch("private", "a time- or count-bounded grant")
                return self._key_at(self._state.point, owner_view=False)
            return self._grant_epoch(reader, expires_at_ms, max_messages)

    def grant_all(self, readers: Sequence[EncryptionPublicKey]) -> list[ReaderKey]:
        """Entitle every one of ``readers``, for good, from the next position on: on a
        restricted channel one new epoch (one keys record) wraps for them all, where a
        :meth:`grant` each would write a keys record each."""
        with self._lock:
            if self._state.channel.mode is not ChannelMode.RESTRICTED:
                return [self.grant(reader) for reader in readers]
            self._settle()
            new = list(dict.fromkeys(readers))
            others = [g for g in self._live_grants() if g.reader not in new]
            point = self._state.point
            published = self._rotate([*others, *(Grant(r, None, None) for r in new)])
            return [self._entitled(reader, point, published.epoch) for reader in readers]

    def _grant_epoch(
        self, reader: EncryptionPublicKey, expires_at_ms: int | None, max_messages: int | None
    ) -> ReaderKey:
        if max_messages is not None and max_messages < 1:
            raise ValueError("max_messages must be at least 1")
        self._settle()
        until = None if max_messages is None else self._state.data_count + max_messages
        others = [g for g in self._live_grants() if g.reader != reader]
        point = self._state.point
        published = self._rotate([*others, Grant(reader, expires_at_ms, until)])
        return self._entitled(reader, point, published.epoch, expires_at_ms, max_messages)

    def _entitled(
        self,
        reader: EncryptionPublicKey,
        point: ChainPoint,
        epoch: int,
        expires_at_ms: int | None = None,
        max_messages: int | None = None,
    ) -> ReaderKey:
        """The key a reader granted at ``point`` (whose keys record starts ``epoch``) holds."""
        channel = self._state.channel
        return ReaderKey(
            channel.public_key,
            channel.mode,
            point.position,
            point.state,
            epoch,
            epoch_key=channel.epoch_key(epoch),
            hint_key=hint_key(channel.hint_master, reader),
            owner=channel.owner,
            expires_at_ms=expires_at_ms,
            max_messages=max_messages,
        )

    def reader_key(self, position: int = 0) -> ReaderKey:
        """An auditor's key: reads every epoch from ``position`` on, and cannot sign."""
        with self._lock:
            point = self._state.channel.start().advance(position)
            return self._key_at(point, owner_view=True)

    def _key_at(self, point: ChainPoint, *, owner_view: bool) -> ReaderKey:
        state = self._state
        channel = state.channel
        key = ReaderKey(
            channel.public_key, channel.mode, point.position, point.state, owner=channel.owner
        )
        if channel.mode is not ChannelMode.RESTRICTED or not owner_view:
            return key
        epoch = state.epoch_at(point.position)
        return replace(
            key,
            epoch=epoch,
            epoch_key=channel.epoch_key(epoch),
            epoch_master=channel.epoch_master,
        )

    def backup(self, password: str) -> bytes:
        """The cursor, encrypted under ``password`` (it holds the channel secret)."""
        with self._lock:
            return export_backup(self._state, password)
