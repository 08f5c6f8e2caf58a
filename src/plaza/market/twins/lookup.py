"""How a twin and its readers are found: its announcement's tag, the parties' keys.

A twin's channel is announced under ``"plaza-twin:" || channel_id``, so an
auditor holding only a reader key finds the announcement (and the marketplace's
signature binding the twin to it) with one tag lookup. The parties' X25519 keys,
which their key epochs are sealed to, come from the participant registry.
"""

from __future__ import annotations

from plaza.crypto import EncryptionPublicKey
from plaza.market.auth.ports import ParticipantStore

__all__ = ["ANNOUNCE_PREFIX", "ParticipantKeys", "announcement_tag"]

ANNOUNCE_PREFIX = b"plaza-twin:"


def announcement_tag(channel_id: bytes) -> bytes:
    """The tag a twin's announcement is filed under: one lookup finds it."""
    return ANNOUNCE_PREFIX + channel_id


class ParticipantKeys:
    """:class:`PartyKeys` over the marketplace's participant registry."""

    def __init__(self, participants: ParticipantStore) -> None:
        self._participants = participants

    def encryption_key(self, participant_id: str) -> EncryptionPublicKey | None:
        participant = self._participants.get(participant_id)
        return None if participant is None else participant.encryption_key
