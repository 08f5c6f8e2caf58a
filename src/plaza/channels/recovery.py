"""Bringing a publisher's cursor up to date with the ledger when it opens.

The cursor can only lag the ledger, never lead it by a position the ledger
lacks, because every message is persisted before it is submitted. It lags
after a restore from an older backup, or after a power cut that lost SQLite's
last commits. Either way the ledger knows better: the probe walks forward
from the cursor over every position that holds a message the owner made
(looking ``window`` positions ahead, so a gap does not stop it), replaying
what each one changed (data count; for a keys record, the epoch and the
grants from the owner's own blob), so the next publish takes a fresh position.
"""

from __future__ import annotations

from dataclasses import replace

from plaza.channels.chain import ChainPoint
from plaza.channels.envelope import Opened, RecordKind
from plaza.channels.epochs import decode_keys_content, open_owner_state
from plaza.channels.lookup import attempts_for, find_at
from plaza.channels.model import ChannelMode, PublisherState
from plaza.ledger.ports import LedgerReader

__all__ = ["probe"]


def probe(gateway: LedgerReader, state: PublisherState, *, window: int = 8) -> PublisherState:
    """``state`` moved past every owner-made position at or after its cursor."""
    while True:
        hit = _next_owned(gateway, state, window)
        if hit is None:
            return state
        state = _replay(state, *hit)


def _next_owned(
    gateway: LedgerReader, state: PublisherState, window: int
) -> tuple[ChainPoint, Opened] | None:
    channel = state.channel
    restricted = channel.mode is ChannelMode.RESTRICTED
    key = channel.epoch_key(state.epoch) if restricted else None
    for point in state.point.window(window):
        attempts = attempts_for(channel.mode, point, state.epoch, key)
        found = find_at(gateway, point, channel.public_key, channel.mode, attempts)
        if found.opened is not None:
            return point, found.opened
    return None


def _replay(state: PublisherState, point: ChainPoint, opened: Opened) -> PublisherState:
    following = point.next()
    moved = replace(state, position=following.position, chain=following.state, in_flight=None)
    if opened.record.kind is RecordKind.DATA:
        return replace(moved, data_count=state.data_count + 1)
    keys = decode_keys_content(opened.record.content)
    data_count, grants = open_owner_state(state.channel, point.position, keys)
    starts = (*state.epoch_starts, point.position)
    return replace(moved, data_count=data_count, grants=grants, epoch_starts=starts)
