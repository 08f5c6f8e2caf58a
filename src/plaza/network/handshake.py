"""Mutual authentication of two nodes with their identity keys.

::

    accepter -> dialer   Challenge(network_id, accepter_key, nonce_a)
    dialer   -> accepter Response(dialer_key, nonce_d, sign_d("dialer" || net || nonce_a || keys))
    accepter -> dialer   Accept(sign_a("accepter" || net || nonce_d || keys))

Each side signs the other's fresh nonce, so a recorded handshake cannot be
replayed, and both keys, so it cannot be relayed to a third node. A key that is
not on the allowlist, or is banned, is refused before any message flows.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable

from plaza.crypto import SigningKey, verify_signature
from plaza.encoding import Writer
from plaza.network.errors import BadFrame, HandshakeFailed
from plaza.network.frames import (
    NONCE_SIZE,
    Accept,
    Challenge,
    Frame,
    Response,
    decode_frame,
    encode_frame,
)
from plaza.network.transport import Connection, ConnectionClosed

__all__ = ["accept_handshake", "dial_handshake"]

DOMAIN = b"plaza-peering-v1"
TIMEOUT_S = 5.0

KeyCheck = Callable[[bytes], str | None]  # None if the key may peer, else why not


def _transcript(
    role: bytes, network_id: int, nonce: bytes, dialer: bytes, accepter: bytes
) -> bytes:
    writer = Writer().raw(DOMAIN).bytes8(role).u32(network_id).raw(nonce)
    return writer.raw(dialer).raw(accepter).getvalue()


async def _receive(connection: Connection, expected: type[Frame]) -> Frame:
    try:
        frame = decode_frame(await asyncio.wait_for(connection.recv(), TIMEOUT_S))
    except TimeoutError:
        raise HandshakeFailed("peer did not answer in time") from None
    except (BadFrame, ConnectionClosed) as error:
        raise HandshakeFailed(str(error)) from None
    if not isinstance(frame, expected):
        raise HandshakeFailed(f"expected {expected.__name__}, got {type(frame).__name__}")
    return frame


async def accept_handshake(
    connection: Connection, identity: SigningKey, network_id: int, check: KeyCheck
) -> bytes:
    """Authenticate a dialing node; returns its public key."""
    own_key = identity.public_key.raw
    nonce = secrets.token_bytes(NONCE_SIZE)
    await connection.send(encode_frame(Challenge(network_id, own_key, nonce)))
    response = await _receive(connection, Response)
    assert isinstance(response, Response)
    refusal = check(response.public_key)
    if refusal is not None:
        raise HandshakeFailed(refusal)
    signed = _transcript(b"dialer", network_id, nonce, response.public_key, own_key)
    if not verify_signature(response.public_key, signed, response.signature):
        raise HandshakeFailed("the dialer's signature does not verify")
    answer = _transcript(b"accepter", network_id, response.nonce, response.public_key, own_key)
    await connection.send(encode_frame(Accept(identity.sign(answer))))
    return response.public_key


async def dial_handshake(
    connection: Connection,
    identity: SigningKey,
    network_id: int,
    check: KeyCheck,
    expected_key: bytes | None = None,
) -> bytes:
    """Authenticate to an accepting node; returns its public key."""
    challenge = await _receive(connection, Challenge)
    assert isinstance(challenge, Challenge)
    if challenge.network_id != network_id:
        raise HandshakeFailed(f"peer runs network {challenge.network_id:#010x}")
    if expected_key is not None and challenge.public_key != expected_key:
        raise HandshakeFailed("peer's key is not the one configured for its address")
    refusal = check(challenge.public_key)
    if refusal is not None:
        raise HandshakeFailed(refusal)
    own_key = identity.public_key.raw
    nonce = secrets.token_bytes(NONCE_SIZE)
    signed = _transcript(b"dialer", network_id, challenge.nonce, own_key, challenge.public_key)
    await connection.send(encode_frame(Response(own_key, nonce, identity.sign(signed))))
    accept = await _receive(connection, Accept)
    assert isinstance(accept, Accept)
    answer = _transcript(b"accepter", network_id, nonce, own_key, challenge.public_key)
    if not verify_signature(challenge.public_key, answer, accept.signature):
        raise HandshakeFailed("the accepting node's signature does not verify")
    return challenge.public_key
