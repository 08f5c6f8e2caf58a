"""Building messages: sign the essence, then do the work.

Signing comes first because the proof of work covers the signature; that order is
what lets a node do the work for a light client that keeps its key to itself.
"""

from __future__ import annotations

from collections.abc import Sequence

from plaza.crypto import SigningKey
from plaza.ledger.codec import SIGNING_DOMAIN, assemble, decode_message, encode_essence
from plaza.ledger.model import (
    CARRIED_PARENT,
    MAX_PARENTS,
    NONCE_SIZE,
    DataPayload,
    Message,
    Payload,
)
from plaza.ledger.pow import ProofOfWork, pow_base

__all__ = ["attach_work", "choose_parents", "compose", "compose_carried"]


def compose(
    signer: SigningKey,
    *,
    network_id: int,
    parents: Sequence[bytes],
    payload: Payload,
    issued_at_ms: int,
    work: ProofOfWork,
) -> Message:
    essence = encode_essence(
        network_id=network_id,
        parents=parents,
        issuer=signer.public_key.raw,
        issued_at_ms=issued_at_ms,
        payload=payload,
    )
    signature = signer.sign(SIGNING_DOMAIN + essence)
    return assemble(essence, signature, work.solve(pow_base(essence + signature)))


def compose_carried(
    signer: SigningKey, *, network_id: int, payload: DataPayload, issued_at_ms: int
) -> Message:
    """A message to put in a carrier: signed, parent :data:`CARRIED_PARENT`, nonce 0.

    No work: the carrier's proof of work covers every message it carries, which is
    the point of carrying. Its ``issued_at_ms`` must not be after its carrier's.
    """
    essence = encode_essence(
        network_id=network_id,
        parents=[CARRIED_PARENT],
        issuer=signer.public_key.raw,
        issued_at_ms=issued_at_ms,
        payload=payload,
    )
    return assemble(essence, signer.sign(SIGNING_DOMAIN + essence), 0)


def attach_work(raw: bytes, work: ProofOfWork) -> Message:
    """Redo the proof of work of a signed message, whatever nonce it came with."""
    message = decode_message(raw)
    signed = message.raw[:-NONCE_SIZE]
    return assemble(message.essence, message.signature, work.solve(pow_base(signed)))


def choose_parents(first: Sequence[bytes], tips: Sequence[bytes]) -> list[bytes]:
    """``first`` then ``tips``, each id once, at most :data:`MAX_PARENTS`."""
    return list(dict.fromkeys([*first, *tips]))[:MAX_PARENTS]
