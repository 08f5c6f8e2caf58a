"""docs/protocol.md's carrier test vectors: equal to what the code produces, and true to the text.

The later tests re-derive every vector with hashlib, struct and PyNaCl alone, from
the layouts and rules the document states, as an independent implementation would.
"""

from __future__ import annotations

import struct
from typing import Any

import nacl.signing
import pytest
from protocol_doc import block, h

from plaza.ledger.codec import decode_message
from plaza.ledger.model import CarrierPayload, DataPayload
from plaza.testing.carrier_vectors import carrier_vectors


@pytest.fixture(scope="module")
def documented() -> dict[str, Any]:
    return block("## Carrier test vectors")


@pytest.fixture(scope="module")
def network() -> dict[str, Any]:
    return block("## Test vectors")


def fields(raw: bytes) -> dict[str, Any]:
    """The fields of a one-parent message, by the table of "Messages"."""
    version, network_id, parent_count = struct.unpack_from("<BIB", raw)
    issued_at_ms, kind, length = struct.unpack_from("<QBI", raw, 70)
    assert len(raw) == 83 + length + 72
    return {
        "version": version,
        "network_id": network_id,
        "parent_count": parent_count,
        "parent": raw[6:38],
        "issuer": raw[38:70],
        "issued_at_ms": issued_at_ms,
        "kind": kind,
        "payload": raw[83 : 83 + length],
        "essence": raw[:-72],
        "signature": raw[-72:-8],
        "nonce": int.from_bytes(raw[-8:], "little"),
    }


def test_document_matches_code(documented: dict[str, Any]) -> None:
    assert documented == carrier_vectors()


def test_the_code_decodes_what_the_document_says(documented: dict[str, Any]) -> None:
    payload = decode_message(bytes.fromhex(documented["carrier_message"]["raw"])).payload
    assert isinstance(payload, CarrierPayload)
    assert [m.raw.hex() for m in payload.messages] == [
        m["raw"] for m in documented["carried_messages"]
    ]
    first = payload.messages[0].payload
    assert first == DataPayload(b"twin-1", b"21.5 C")


def test_the_carrier_follows_the_text(documented: dict[str, Any], network: dict[str, Any]) -> None:
    vector = documented["carrier_message"]
    raw = bytes.fromhex(vector["raw"])
    carrier = fields(raw)
    assert h(raw).hex() == vector["id"]
    assert carrier["kind"] == 8
    assert carrier["parent"].hex() == network["genesis"]["id"]
    assert carrier["issuer"].hex() == network["keys"]["issuer_public_key"]
    nacl.signing.VerifyKey(carrier["issuer"]).verify(
        b"plaza-message-v1" + carrier["essence"], carrier["signature"]
    )
    work = h(h(raw[:-8]) + raw[-8:])
    assert 64 - int.from_bytes(work[:8], "big").bit_length() == vector["pow_score"] >= 8
    # count u8 || (length u16 || carried) x count, nothing after
    body, carried = carrier["payload"], []
    offset = 1
    for _ in range(body[0]):
        (length,) = struct.unpack_from("<H", body, offset)
        carried.append(body[offset + 2 : offset + 2 + length])
        offset += 2 + length
    assert offset == len(body)
    assert [c.hex() for c in carried] == [m["raw"] for m in documented["carried_messages"]]


def test_each_carried_message_follows_the_text(
    documented: dict[str, Any], network: dict[str, Any]
) -> None:
    carrier = fields(bytes.fromhex(documented["carrier_message"]["raw"]))
    for n, vector in enumerate(documented["carried_messages"], start=4):
        raw = bytes.fromhex(vector["raw"])
        carried = fields(raw)
        assert h(raw).hex() == vector["id"]
        assert vector["seed"] == n.to_bytes(32, "big").hex()
        key = nacl.signing.SigningKey(bytes.fromhex(vector["seed"])).verify_key
        assert bytes(key) == carried["issuer"] == bytes.fromhex(vector["public_key"])
        key.verify(b"plaza-message-v1" + carried["essence"], carried["signature"])
        assert (carried["version"], carried["parent_count"], carried["kind"]) == (1, 1, 1)
        assert carried["parent"] == bytes(32)
        assert carried["nonce"] == 0
        assert carried["network_id"] == carrier["network_id"] == network["genesis"]["network_id"]
        assert carried["issued_at_ms"] <= carrier["issued_at_ms"]
        tag_length = carried["payload"][0]
        assert 1 <= tag_length <= 64
