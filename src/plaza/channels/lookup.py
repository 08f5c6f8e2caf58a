"""Finding what the owner put at a chain position, for readers and for a reopening publisher.

Anyone can file a message under a tag once they have seen it, so a position
may hold several messages. Every one is checked in full and the first the
owner made wins; the others are counted as foreign and skipped, which is why
spam at a channel address cannot break the channel.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from plaza.channels.chain import ChainPoint
from plaza.channels.envelope import Attempt, Opened, RecordKind, Refused, open_message
from plaza.channels.model import ChannelMode
from plaza.crypto import PublicKey
from plaza.ledger.ports import LedgerReader

__all__ = ["MAX_CANDIDATES", "Found", "attempts_for", "find_at", "holds_candidate"]

#: Messages examined at one position; past this a position is flooded and reads as empty.
MAX_CANDIDATES = 256


@dataclass(frozen=True, slots=True)
class Found:
    """The owner's message at a position (if any) and why the others were refused."""

    opened: Opened | None
    refused: tuple[Refused, ...] = field(default=())

    @property
    def locked(self) -> bool:
        """Someone holding the chain made a message here that none of our keys opens."""
        return any(refusal.locked for refusal in self.refused)


def attempts_for(
    mode: ChannelMode, point: ChainPoint, epoch: int, epoch_key: bytes | None
) -> list[Attempt]:
    """The ways the message at ``point`` may open for a holder of ``epoch_key``.

    A restricted channel's position holds data under the epoch key, or a keys
    record under the chain key that starts the next epoch (or, at a reader's
    first position, the epoch it was just given).
    """
    if mode is ChannelMode.PUBLIC:
        return [Attempt(None, 0, RecordKind.DATA)]
    if mode is ChannelMode.PRIVATE:
        return [Attempt(point.chain_key, 0, RecordKind.DATA)]
    attempts = [Attempt(epoch_key, epoch, RecordKind.DATA)] if epoch_key is not None else []
    attempts.append(Attempt(point.chain_key, epoch + 1, RecordKind.KEYS))
    attempts.append(Attempt(point.chain_key, epoch, RecordKind.KEYS))
    return attempts


def find_at(
    gateway: LedgerReader,
    point: ChainPoint,
    channel: PublicKey,
    mode: ChannelMode,
    attempts: Sequence[Attempt],
) -> Found:
    """The owner's message at ``point``, examining candidates oldest first.

    Oldest first because the owner's message usually came first and copies or
    spam after it, so in the common case nothing else is even fetched.
    """
    refused: list[Refused] = []
    for message_id in reversed(gateway.find_by_tag(point.tag, limit=MAX_CANDIDATES)):
        message = gateway.message(message_id)
        if message is None:
            continue
        outcome = open_message(message, point, channel, mode, attempts)
        if isinstance(outcome, Opened):
            return Found(outcome, tuple(refused))
        refused.append(outcome)
    return Found(None, tuple(refused))


def holds_candidate(gateway: LedgerReader, point: ChainPoint, issuer: bytes) -> bool:
    """Whether a message by the position's expected issuer is there (gap detection).

    Only the issuer is checked: it is cheap, and an outsider who merely saw the
    tag cannot forge it, so it is evidence the channel went on past a gap.
    """
    for message_id in gateway.find_by_tag(point.tag, limit=MAX_CANDIDATES):
        message = gateway.message(message_id)
        if message is not None and message.issuer == issuer:
            return True
    return False
