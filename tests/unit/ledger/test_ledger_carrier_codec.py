"""Carrier payloads: round trips, the room helper, and every structural rule refused."""

from __future__ import annotations

import pytest

from plaza.crypto import SigningKey
from plaza.crypto.keys import verify_signature
from plaza.encoding import Writer
from plaza.ledger.codec import (
    SIGNING_DOMAIN,
    carrier_room,
    decode_message,
    encode_essence,
    encode_payload,
)
from plaza.ledger.compose import compose_carried
from plaza.ledger.errors import InvalidCarrier, MalformedMessage
from plaza.ledger.model import (
    CARRIED_PARENT,
    MAX_CARRIED,
    MAX_PAYLOAD_SIZE,
    CarrierPayload,
    DataPayload,
    Message,
    Payload,
    PayloadKind,
    PayPayload,
)
from plaza.testing.builders import key_from_number

NETWORK = 7
ISSUED_AT_MS = 1_767_225_600_000
SIGNER = key_from_number(30)


def carried(n: int, *, at_ms: int = ISSUED_AT_MS, network: int = NETWORK) -> Message:
    payload = DataPayload(f"tag-{n}".encode(), f"data {n}".encode())
    return compose_carried(SIGNER, network_id=network, payload=payload, issued_at_ms=at_ms)


def signed(
    payload: Payload,
    *,
    parents: tuple[bytes, ...] = (CARRIED_PARENT,),
    nonce: int = 0,
    signer: SigningKey = SIGNER,
) -> bytes:
    """A message the codec accepts on its own but that breaks a carried-message rule."""
    essence = encode_essence(
        network_id=NETWORK,
        parents=parents,
        issuer=signer.public_key.raw,
        issued_at_ms=ISSUED_AT_MS,
        payload=payload,
    )
    signature = signer.sign(SIGNING_DOMAIN + essence)
    return essence + signature + nonce.to_bytes(8, "little")


def carrier_raw(body: bytes, *, at_ms: int = ISSUED_AT_MS) -> bytes:
    """A carrier message around ``body``; its own signature and nonce are zero (unchecked)."""
    writer = Writer().u8(1).u32(NETWORK).u8(1).raw(bytes([1]) * 32)
    writer.raw(bytes(32)).u64(at_ms).u8(PayloadKind.CARRIER).bytes32(body)
    return writer.getvalue() + bytes(64) + bytes(8)


def body_of(*raws: bytes, count: int | None = None) -> bytes:
    writer = Writer().u8(len(raws) if count is None else count)
    for raw in raws:
        writer.u16(len(raw)).raw(raw)
    return writer.getvalue()


def test_a_carrier_round_trips_and_its_messages_decode_alone() -> None:
    messages = (carried(1), carried(2, at_ms=ISSUED_AT_MS - 5))
    payload = CarrierPayload(messages)
    message = decode_message(carrier_raw(encode_payload(payload)))
    assert message.payload == payload
    assert message.tag == b""
    for one in messages:
        alone = decode_message(one.raw)
        assert alone == one
        assert alone.parents == (CARRIED_PARENT,)
        assert alone.nonce == 0
        assert alone.payload == DataPayload(one.tag, one.payload.data)  # type: ignore[union-attr]


def test_compose_carried_signs_over_the_usual_domain() -> None:
    message = carried(3)
    assert verify_signature(message.issuer, SIGNING_DOMAIN + message.essence, message.signature)
    assert not verify_signature(message.issuer, message.essence, message.signature)


def test_carrier_room_counts_length_prefixes_and_the_count_limit() -> None:
    raws = [carried(n).raw for n in range(3)]
    assert carrier_room([]) == MAX_PAYLOAD_SIZE - 1
    room = carrier_room(raws)
    assert room == MAX_PAYLOAD_SIZE - len(body_of(*raws))
    assert carrier_room([raws[0]] * MAX_CARRIED) == 0


def test_a_carrier_filled_to_its_room_is_exactly_the_size_limit() -> None:
    """Filling to the room the helper reports gives a payload the codec still takes."""

    def sized(n: int, data_size: int) -> bytes:
        payload = DataPayload(b"t", n.to_bytes(2, "little") + bytes(data_size - 2))
        return compose_carried(
            SIGNER, network_id=NETWORK, payload=payload, issued_at_ms=ISSUED_AT_MS
        ).raw

    overhead = len(sized(0, 2)) - 2  # a carried message's bytes besides its data
    raws = [sized(n, 3000) for n in range(10)]
    raws.append(sized(99, carrier_room(raws) - 2 - overhead))
    assert carrier_room(raws) == 0
    body = body_of(*raws)
    assert len(body) == MAX_PAYLOAD_SIZE
    decoded = decode_message(carrier_raw(body)).payload
    assert isinstance(decoded, CarrierPayload)
    assert [m.raw for m in decoded.messages] == raws


REFUSALS = [
    pytest.param(body_of(count=0), "0 carried messages", id="empty"),
    pytest.param(body_of(carried(1).raw, count=2), "truncated carried length", id="count-over"),
    pytest.param(body_of(carried(1).raw) + b"\x00", "trailing", id="trailing"),
    pytest.param(body_of(carried(1).raw)[:-1], "truncated carried", id="short"),
    pytest.param(body_of(carried(1).raw[:-1]), "carried message 0: malformed", id="cut-message"),
    pytest.param(body_of(carried(1).raw, carried(1).raw), "carried message 1 repeats", id="dup"),
    pytest.param(
        body_of(signed(DataPayload(b"t", b""), parents=(bytes([1]) * 32,))),
        "one parent 32 zero bytes",
        id="parent",
    ),
    pytest.param(
        body_of(signed(DataPayload(b"t", b""), parents=(CARRIED_PARENT, bytes([1]) * 32))),
        "one parent 32 zero bytes",
        id="two-parents",
    ),
    pytest.param(body_of(signed(PayPayload(bytes(32), 1))), "payload kind 7, only data", id="kind"),
    pytest.param(body_of(signed(DataPayload(b"", b"x"))), "no tag", id="no-tag"),
    pytest.param(body_of(signed(DataPayload(b"t", b""), nonce=5)), "nonce 5", id="nonce"),
    pytest.param(body_of(carried(1, network=NETWORK + 1).raw), "network 0x00000008", id="network"),
    pytest.param(body_of(carried(1, at_ms=ISSUED_AT_MS + 1).raw), "after its carrier", id="late"),
]


@pytest.mark.parametrize(("body", "reason"), REFUSALS)
def test_every_rule_is_refused_with_its_reason(body: bytes, reason: str) -> None:
    with pytest.raises((InvalidCarrier, MalformedMessage), match=reason):
        decode_message(carrier_raw(body))


def test_a_carrier_cannot_carry_a_carrier() -> None:
    inner = signed(CarrierPayload((carried(1),)))
    with pytest.raises(InvalidCarrier, match="payload kind 8, only data"):
        decode_message(carrier_raw(body_of(inner)))
