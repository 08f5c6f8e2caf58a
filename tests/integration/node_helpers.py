"""Messages for the HTTP tests, valid and deliberately broken, built on the node's tips."""

from __future__ import annotations

import time
import uuid

from plaza.clients.node import NodeClient
from plaza.crypto import Address, SigningKey
from plaza.encoding import Writer
from plaza.ledger.codec import SIGNING_DOMAIN, assemble, encode_essence
from plaza.ledger.compose import compose
from plaza.ledger.model import NONCE_SIZE, DataPayload, Message, Payload
from plaza.ledger.pow import Blake2bWork, NoWork, pow_base, pow_score

#: Difficulty of the test nodes: real work, so pow=true means something, yet ~256 hashes.
DIFFICULTY = 8


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def unique_tag(prefix: str = "t") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def address_of(key: SigningKey) -> Address:
    return Address.from_public_key(key.public_key.raw)


def build(
    client: NodeClient,
    signer: SigningKey,
    payload: Payload,
    *,
    network_id: int | None = None,
    parents: list[bytes] | None = None,
) -> Message:
    """A message with enough work for the test node, on its tips unless ``parents`` given."""
    return compose(
        signer,
        network_id=client.info().network_id if network_id is None else network_id,
        parents=client.tips() if parents is None else parents,
        payload=payload,
        issued_at_ms=now_ms(),
        work=Blake2bWork(DIFFICULTY),
    )


def data_message(client: NodeClient, signer: SigningKey, tag: str, data: bytes = b"") -> Message:
    return build(client, signer, DataPayload(tag.encode(), data))


def with_nonce_failing_work(message: Message) -> Message:
    """The same signed message with a nonce whose work is below :data:`DIFFICULTY`."""
    signed = message.raw[:-NONCE_SIZE]
    base = pow_base(signed)
    nonce = next(n for n in range(1 << 20) if pow_score(base, n) < DIFFICULTY)
    return assemble(message.essence, message.signature, nonce)


def unsolved(client: NodeClient, signer: SigningKey, tag: str) -> Message:
    """A signed data message whose proof of work is not done (for ``pow=true``)."""
    message = compose(
        signer,
        network_id=client.info().network_id,
        parents=client.tips(),
        payload=DataPayload(tag.encode(), b""),
        issued_at_ms=now_ms(),
        work=NoWork(),
    )
    return with_nonce_failing_work(message)


def with_bad_signature(message: Message) -> Message:
    """Flip a signature bit, then redo the work, so only the signature check can fail."""
    signature = bytes([message.signature[0] ^ 1]) + message.signature[1:]
    nonce = Blake2bWork(DIFFICULTY).solve(pow_base(message.essence + signature))
    return assemble(message.essence, signature, nonce)


def signed_essence(signer: SigningKey, essence: bytes) -> bytes:
    signature = signer.sign(SIGNING_DOMAIN + essence)
    nonce = Blake2bWork(DIFFICULTY).solve(pow_base(essence + signature))
    return essence + signature + nonce.to_bytes(NONCE_SIZE, "little")


def raw_with_payload_kind(network_id: int, parent: bytes, signer: SigningKey, kind: int) -> bytes:
    """Canonical framing around a payload kind the protocol does not define."""
    essence = (
        Writer()
        .u8(1)
        .u32(network_id)
        .u8(1)
        .raw(parent)
        .raw(signer.public_key.raw)
        .u64(now_ms())
        .u8(kind)
        .bytes32(b"\x00")
        .getvalue()
    )
    return signed_essence(signer, essence)


def raw_with_parents(network_id: int, count: int, signer: SigningKey) -> bytes:
    """A data message claiming ``count`` parents (the protocol allows at most eight)."""
    parents = sorted(bytes([i]) * 32 for i in range(1, count + 1))
    essence = encode_essence(
        network_id=network_id,
        parents=parents,
        issuer=signer.public_key.raw,
        issued_at_ms=now_ms(),
        payload=DataPayload(b"too-many", b""),
    )
    return signed_essence(signer, essence)
