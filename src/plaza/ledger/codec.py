"""The canonical binary layout of messages (specified in ``docs/protocol.md``).

::

    essence    version u8 | network_id u32 | parent_count u8 | parents 32*n
               | issuer 32 | issued_at_ms u64 | payload_kind u8 | payload_len u32 | payload
    message    essence | signature 64 | nonce u64

All integers are little-endian. Parents are strictly ascending. The id is
BLAKE2b-256 of the whole message; the issuer signs ``SIGNING_DOMAIN || essence``,
so a node can do the proof of work for a light client without its key.
"""

from __future__ import annotations

import hashlib
import itertools
import struct
from collections.abc import Callable, Sequence

from plaza.encoding import ByteReader, EncodingError, Writer
from plaza.ledger.errors import (
    DuplicateParents,
    InvalidCarrier,
    InvalidHold,
    InvalidParentCount,
    InvalidTransfer,
    MalformedMessage,
    MessageRejected,
    PayloadTooLarge,
    UnknownPayloadKind,
    UnsupportedVersion,
)
from plaza.ledger.model import (
    CARRIED_PARENT,
    ID_SIZE,
    KEY_SIZE,
    MAX_AMOUNT,
    MAX_CARRIED,
    MAX_HOLD_MS,
    MAX_OUTPUTS,
    MAX_PARENTS,
    MAX_PAYLOAD_SIZE,
    MAX_TAG_SIZE,
    NONCE_SIZE,
    PROTOCOL_VERSION,
    SECRET_SIZE,
    SIGNATURE_SIZE,
    CarrierPayload,
    CoSignature,
    DataPayload,
    HoldPayload,
    Message,
    MilestonePayload,
    Output,
    Payload,
    PayloadKind,
    PayPayload,
    ReleasePayload,
    SettlePayload,
    TransferPayload,
)

__all__ = [
    "MILESTONE_DOMAIN",
    "SIGNING_DOMAIN",
    "assemble",
    "carrier_room",
    "decode_message",
    "encode_essence",
    "encode_payload",
    "message_id",
    "milestone_signing_bytes",
]

SIGNING_DOMAIN = b"plaza-message-v1"
MILESTONE_DOMAIN = b"plaza-milestone-v1"
MAX_MILESTONE_SIGNATURES = 16


def message_id(raw: bytes) -> bytes:
    return hashlib.blake2b(raw, digest_size=ID_SIZE).digest()


def encode_payload(payload: Payload) -> bytes:
    writer = Writer()
    match payload:
        case DataPayload(tag=tag, data=data):
            writer.bytes8(tag).raw(data)
        case TransferPayload(outputs=outputs, tag=tag, data=data):
            writer.u8(len(outputs))
            for output in outputs:
                writer.raw(output.address).u64(output.amount)
            writer.bytes8(tag).raw(data)
        case MilestonePayload():
            writer.raw(_milestone_body(payload)).u8(len(payload.signatures))
            for cosignature in payload.signatures:
                writer.raw(cosignature.public_key).raw(cosignature.signature)
        case HoldPayload():
            writer.raw(payload.payee).u64(payload.amount).u64(payload.expires_at_ms)
            writer.bytes8(payload.hashlock).bytes8(payload.arbiter)
            writer.bytes8(payload.tag).raw(payload.data)
        case ReleasePayload(hold_id=hold_id, secret=secret, tag=tag):
            writer.raw(hold_id).raw(secret).bytes8(tag)
        case SettlePayload(hold_id=hold_id, to_payee=to_payee, tag=tag, data=data):
            writer.raw(hold_id).u64(to_payee).bytes8(tag).raw(data)
        case PayPayload(hold_id=hold_id, amount=amount, tag=tag, data=data):
            writer.raw(hold_id).u64(amount).bytes8(tag).raw(data)
        case CarrierPayload(messages=messages):
            writer.u8(len(messages))
            for message in messages:
                writer.u16(len(message.raw)).raw(message.raw)
    return writer.getvalue()


def carrier_room(messages: Sequence[bytes]) -> int:
    """Payload bytes a carrier of ``messages`` has left (0 when full): n more bytes fit if n + 2."""
    if len(messages) >= MAX_CARRIED:
        return 0
    return max(0, MAX_PAYLOAD_SIZE - 1 - sum(_CARRIED_LENGTH + len(raw) for raw in messages))


def _milestone_body(payload: MilestonePayload) -> bytes:
    return (
        Writer()
        .u32(payload.index)
        .raw(payload.previous)
        .raw(payload.inclusion_root)
        .raw(payload.state_root)
        .getvalue()
    )


def milestone_signing_bytes(
    network_id: int, parents: Sequence[bytes], issued_at_ms: int, payload: MilestonePayload
) -> bytes:
    """What each coordinator key signs: the milestone body bound to its parents and time."""
    writer = Writer().raw(MILESTONE_DOMAIN).u32(network_id).u64(issued_at_ms)
    writer.raw(_milestone_body(payload)).u8(len(parents))
    for parent in parents:
        writer.raw(parent)
    return writer.getvalue()


def encode_essence(
    *,
    network_id: int,
    parents: Sequence[bytes],
    issuer: bytes,
    issued_at_ms: int,
    payload: Payload,
    version: int = PROTOCOL_VERSION,
) -> bytes:
    """Encode the signed part of a message; ``parents`` are sorted here, once."""
    body = encode_payload(payload)
    writer = Writer().u8(version).u32(network_id).u8(len(parents))
    for parent in sorted(parents):
        writer.raw(parent)
    writer.raw(issuer).u64(issued_at_ms).u8(payload.KIND).bytes32(body)
    return writer.getvalue()


def assemble(essence: bytes, signature: bytes, nonce: int) -> Message:
    """Join a signed essence and its nonce into a message (decoding it back, to be sure)."""
    return decode_message(essence + signature + nonce.to_bytes(NONCE_SIZE, "little"))


def decode_message(raw: bytes) -> Message:
    """Decode canonical bytes, raising the specific :class:`MessageRejected` on any flaw."""
    try:
        return _decode(raw)
    except EncodingError as error:
        raise MalformedMessage(str(error)) from None


_HEAD = struct.Struct("<BIB")  # version, network id, parent count
_MIDDLE = struct.Struct("<QBI")  # issue time, payload kind, payload length
_TAIL_SIZE = SIGNATURE_SIZE + NONCE_SIZE


def _decode(raw: bytes) -> Message:
    # The hot path of ingest: fixed fields are unpacked with struct, not field by field.
    if len(raw) < _HEAD.size:
        raise MalformedMessage("truncated header")
    version, network_id, count = _HEAD.unpack_from(raw)
    if version != PROTOCOL_VERSION:
        raise UnsupportedVersion(version, PROTOCOL_VERSION)
    if not 1 <= count <= MAX_PARENTS:
        raise InvalidParentCount(count, MAX_PARENTS)
    offset = _HEAD.size + count * ID_SIZE
    parents = _split_parents(raw[_HEAD.size : offset], count)
    issuer = raw[offset : offset + KEY_SIZE]
    offset += KEY_SIZE
    if len(raw) < offset + _MIDDLE.size:
        raise MalformedMessage("truncated essence")
    issued_at_ms, kind, size = _MIDDLE.unpack_from(raw, offset)
    if size > MAX_PAYLOAD_SIZE:
        raise PayloadTooLarge(size, MAX_PAYLOAD_SIZE)
    offset += _MIDDLE.size
    if len(raw) != offset + size + _TAIL_SIZE:
        expected = offset + size + _TAIL_SIZE
        raise MalformedMessage(f"{len(raw)} bytes, the header announces {expected}")
    payload = _decode_payload(kind, raw[offset : offset + size])
    if isinstance(payload, HoldPayload):
        _check_deadline(payload, issued_at_ms)
    elif isinstance(payload, CarrierPayload):
        _check_carried_context(payload, network_id, issued_at_ms)
    offset += size
    return Message(
        version=version,
        network_id=network_id,
        parents=parents,
        issuer=issuer,
        issued_at_ms=issued_at_ms,
        payload=payload,
        signature=raw[offset : offset + SIGNATURE_SIZE],
        nonce=int.from_bytes(raw[offset + SIGNATURE_SIZE :], "little"),
        id=message_id(raw),
        raw=raw,
    )


def _split_parents(block: bytes, count: int) -> tuple[bytes, ...]:
    if len(block) != count * ID_SIZE:
        raise MalformedMessage("truncated parent ids")
    parents = tuple(block[i : i + ID_SIZE] for i in range(0, len(block), ID_SIZE))
    for before, after in itertools.pairwise(parents):
        if before == after:
            raise DuplicateParents(after)
        if before > after:
            raise MalformedMessage("parents are not in ascending order")
    return parents


def _decode_payload(kind: int, body: bytes) -> Payload:
    decoder = _PAYLOAD_DECODERS.get(kind)
    if decoder is None:
        raise UnknownPayloadKind(kind)
    reader = ByteReader(body)
    payload = decoder(reader)
    reader.expect_end("payload")
    return payload


def _decode_data(reader: ByteReader) -> DataPayload:
    tag = reader.bytes8("tag", limit=MAX_TAG_SIZE)
    return DataPayload(tag=tag, data=reader.rest())


def _decode_transfer(reader: ByteReader) -> TransferPayload:
    count = reader.u8("output count")
    if not 1 <= count <= MAX_OUTPUTS:
        raise InvalidTransfer(f"{count} outputs given, 1 to {MAX_OUTPUTS} allowed")
    outputs = tuple(
        Output(reader.raw(ID_SIZE, "output address"), reader.u64("output amount"))
        for _ in range(count)
    )
    _check_outputs(outputs)
    tag = reader.bytes8("tag", limit=MAX_TAG_SIZE)
    return TransferPayload(outputs=outputs, tag=tag, data=reader.rest())


def _check_outputs(outputs: tuple[Output, ...]) -> None:
    for output in outputs:
        if output.amount == 0:
            raise InvalidTransfer(f"zero amount to {output.address.hex()}")
    for before, after in itertools.pairwise(outputs):
        if before.address >= after.address:
            raise InvalidTransfer("output addresses must be unique and ascending")
    if sum(output.amount for output in outputs) > MAX_AMOUNT:
        raise InvalidTransfer("total amount overflows")


def _decode_milestone(reader: ByteReader) -> MilestonePayload:
    index = reader.u32("milestone index")
    previous = reader.raw(ID_SIZE, "previous milestone")
    inclusion_root = reader.raw(ID_SIZE, "inclusion root")
    state_root = reader.raw(ID_SIZE, "state root")
    count = reader.u8("signature count")
    if count > MAX_MILESTONE_SIGNATURES:
        raise MalformedMessage(f"{count} milestone signatures, at most {MAX_MILESTONE_SIGNATURES}")
    signatures = tuple(
        CoSignature(reader.raw(KEY_SIZE, "signer key"), reader.raw(SIGNATURE_SIZE, "signature"))
        for _ in range(count)
    )
    return MilestonePayload(index, previous, inclusion_root, state_root, signatures)


def _optional_key(reader: ByteReader, what: str) -> bytes:
    """A 32-byte field that may be absent: length 0 or 32, nothing else."""
    value = reader.bytes8(what)
    if len(value) not in (0, ID_SIZE):
        raise InvalidHold(f"{what} is {len(value)} bytes, 0 or {ID_SIZE} allowed")
    return value


def _amount(reader: ByteReader, what: str, *, minimum: int) -> int:
    value = reader.u64(what)
    if not minimum <= value <= MAX_AMOUNT:
        raise InvalidHold(f"{what} {value} is outside {minimum} to {MAX_AMOUNT}")
    return value


def _decode_hold(reader: ByteReader) -> HoldPayload:
    payee = reader.raw(ID_SIZE, "payee")
    amount = _amount(reader, "amount", minimum=1)
    expires_at_ms = reader.u64("deadline")
    hashlock = _optional_key(reader, "hashlock")
    arbiter = _optional_key(reader, "arbiter")
    tag = reader.bytes8("tag", limit=MAX_TAG_SIZE)
    return HoldPayload(payee, amount, expires_at_ms, hashlock, arbiter, tag, reader.rest())


def _check_deadline(payload: HoldPayload, issued_at_ms: int) -> None:
    """A hold runs out after it is issued, and within :data:`MAX_HOLD_MS`."""
    if not issued_at_ms < payload.expires_at_ms <= issued_at_ms + MAX_HOLD_MS:
        raise InvalidHold(
            f"deadline {payload.expires_at_ms} is not after the issue time {issued_at_ms}"
            f" and within {MAX_HOLD_MS} ms of it"
        )


def _decode_release(reader: ByteReader) -> ReleasePayload:
    hold_id = reader.raw(ID_SIZE, "hold id")
    secret = reader.raw(SECRET_SIZE, "secret")
    return ReleasePayload(hold_id, secret, reader.bytes8("tag", limit=MAX_TAG_SIZE))


def _decode_settle(reader: ByteReader) -> SettlePayload:
    hold_id = reader.raw(ID_SIZE, "hold id")
    to_payee = _amount(reader, "amount to the payee", minimum=0)
    tag = reader.bytes8("tag", limit=MAX_TAG_SIZE)
    return SettlePayload(hold_id, to_payee, tag, reader.rest())


def _decode_pay(reader: ByteReader) -> PayPayload:
    hold_id = reader.raw(ID_SIZE, "hold id")
    amount = _amount(reader, "amount", minimum=1)
    tag = reader.bytes8("tag", limit=MAX_TAG_SIZE)
    return PayPayload(hold_id, amount, tag, reader.rest())


_CARRIED_LENGTH = 2  # each carried message's u16 length prefix


def _decode_carrier(reader: ByteReader) -> CarrierPayload:
    count = reader.u8("carried message count")
    if not 1 <= count <= MAX_CARRIED:
        raise InvalidCarrier(f"{count} carried messages, 1 to {MAX_CARRIED} allowed")
    messages: list[Message] = []
    seen: set[bytes] = set()
    for index in range(count):
        message = _decode_carried(reader.raw(reader.u16("carried length"), "carried"), index)
        if message.id in seen:
            raise InvalidCarrier(f"carried message {index} repeats {message.id.hex()}")
        seen.add(message.id)
        messages.append(message)
    return CarrierPayload(tuple(messages))


def _decode_carried(raw: bytes, index: int) -> Message:
    """One carried message: an ordinary message that does no work and joins no tangle."""
    try:
        message = decode_message(raw)
    except MessageRejected as error:
        raise InvalidCarrier(f"carried message {index}: {error}") from None
    if message.parents != (CARRIED_PARENT,):
        raise InvalidCarrier(f"carried message {index} must have the one parent 32 zero bytes")
    if not isinstance(message.payload, DataPayload):
        kind = int(message.payload.KIND)
        raise InvalidCarrier(f"carried message {index} has payload kind {kind}, only data (1)")
    if not message.payload.tag:
        raise InvalidCarrier(f"carried message {index} has no tag (1 to {MAX_TAG_SIZE} bytes)")
    if message.nonce != 0:
        raise InvalidCarrier(f"carried message {index} has nonce {message.nonce}, 0 required")
    return message


def _check_carried_context(payload: CarrierPayload, network_id: int, issued_at_ms: int) -> None:
    """Carried messages are of the carrier's network and not issued after it."""
    for index, message in enumerate(payload.messages):
        if message.network_id != network_id:
            got = f"{message.network_id:#010x}"
            raise InvalidCarrier(f"carried message {index} is for network {got}, not the carrier's")
        if message.issued_at_ms > issued_at_ms:
            when = message.issued_at_ms
            raise InvalidCarrier(f"carried message {index} issued at {when} ms, after its carrier")


_PAYLOAD_DECODERS: dict[int, Callable[[ByteReader], Payload]] = {
    PayloadKind.DATA: _decode_data,
    PayloadKind.TRANSFER: _decode_transfer,
    PayloadKind.MILESTONE: _decode_milestone,
    PayloadKind.HOLD: _decode_hold,
    PayloadKind.RELEASE: _decode_release,
    PayloadKind.SETTLE: _decode_settle,
    PayloadKind.PAY: _decode_pay,
    PayloadKind.CARRIER: _decode_carrier,
}
