"""docs/protocol.md's hold test vectors: equal to what the code produces, and true to the text.

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
from plaza.ledger.model import HoldPayload, PayPayload, ReleasePayload, SettlePayload
from plaza.testing.hold_vectors import hold_vectors


@pytest.fixture(scope="module")
def documented() -> dict[str, Any]:
    return block("## Hold test vectors")


@pytest.fixture(scope="module")
def network() -> dict[str, Any]:
    return block("## Test vectors")


def split(raw: bytes) -> tuple[bytes, bytes, int, bytes]:
    """Issuer, essence, payload kind and payload of a one-parent message, by the table."""
    issuer = raw[38:70]
    kind, length = struct.unpack_from("<BI", raw, 78)
    payload = raw[83 : 83 + length]
    assert len(raw) == 83 + length + 72
    return issuer, raw[:-72], kind, payload


def test_document_matches_code(documented: dict[str, Any]) -> None:
    assert documented == hold_vectors()


def test_the_code_decodes_what_the_document_says(documented: dict[str, Any]) -> None:
    hold = decode_message(bytes.fromhex(documented["hold_message"]["raw"])).payload
    release = decode_message(bytes.fromhex(documented["release_message"]["raw"])).payload
    settle = decode_message(bytes.fromhex(documented["settle_message"]["raw"])).payload
    assert isinstance(hold, HoldPayload)
    assert (hold.amount, hold.hashlock.hex(), hold.tag) == (250, documented["hashlock"], b"call-1")
    assert isinstance(release, ReleasePayload)
    assert release.secret.hex() == documented["secret"]
    assert isinstance(settle, SettlePayload)
    assert (settle.to_payee, settle.data) == (0, b"job failed: timeout")
    pay = decode_message(bytes.fromhex(documented["pay_message"]["raw"])).payload
    assert isinstance(pay, PayPayload)
    assert (pay.amount, pay.data) == (100, b"slice 1")


@pytest.mark.parametrize(
    "name", ["hold_message", "release_message", "settle_message", "pay_message"]
)
def test_messages_follow_the_text(documented: dict[str, Any], name: str) -> None:
    raw = bytes.fromhex(documented[name]["raw"])
    assert h(raw).hex() == documented[name]["id"]
    issuer, essence, _, _ = split(raw)
    nacl.signing.VerifyKey(issuer).verify(b"plaza-message-v1" + essence, raw[-72:-8])
    work = h(h(raw[:-8]) + raw[-8:])
    leading_zeros = 64 - int.from_bytes(work[:8], "big").bit_length()
    assert leading_zeros == documented[name]["pow_score"] >= 8


def test_hold_layout_follows_the_text(documented: dict[str, Any], network: dict[str, Any]) -> None:
    vector = documented["hold_message"]
    issuer, essence, kind, payload = split(bytes.fromhex(vector["raw"]))
    assert kind == 4
    assert h(essence).hex() == vector["hold_id"]
    payee, amount, deadline = payload[:32], *struct.unpack_from("<QQ", payload, 32)
    assert payee.hex() == network["keys"]["payee_address_raw"]
    assert (amount, deadline) == (250, network["genesis"]["json"]["timestamp_ms"] + 600_000)
    assert payload[48] == 32
    assert payload[49:81].hex() == documented["hashlock"]
    assert payload[81] == 0  # no arbiter
    assert payload[82:] == b"\x06call-1"  # the tag, and no data
    assert h(bytes.fromhex(documented["secret"])).hex() == documented["hashlock"]
    assert issuer.hex() == network["keys"]["issuer_public_key"]


def test_release_and_settle_layouts_follow_the_text(documented: dict[str, Any]) -> None:
    hold_id = bytes.fromhex(documented["hold_message"]["hold_id"])
    _, _, kind, payload = split(bytes.fromhex(documented["release_message"]["raw"]))
    assert kind == 5
    assert payload == hold_id + bytes.fromhex(documented["secret"]) + b"\x00"
    _, _, kind, payload = split(bytes.fromhex(documented["settle_message"]["raw"]))
    assert kind == 6
    assert payload == hold_id + struct.pack("<Q", 0) + b"\x00" + b"job failed: timeout"


def test_state_roots_follow_the_text(documented: dict[str, Any], network: dict[str, Any]) -> None:
    issuer = bytes.fromhex(next(iter(network["genesis"]["json"]["allocations"])))
    payee = bytes.fromhex(network["keys"]["payee_address_raw"])
    hold_id = bytes.fromhex(documented["hold_message"]["hold_id"])
    deadline = network["genesis"]["json"]["timestamp_ms"] + 600_000
    held = hold_id + issuer + payee + struct.pack("<QQ", 250, deadline)
    held += b"\x20" + bytes.fromhex(documented["hashlock"]) + b"\x00"
    body = b"plaza-state-v2" + struct.pack("<II", 1, 1) + issuer + struct.pack("<Q", 999_750)
    body += struct.pack("<I", 1) + held
    assert body.hex() == documented["state_with_hold"]["bytes"]
    assert h(body).hex() == documented["state_with_hold"]["root"]
    balances = sorted([(issuer, 999_750), (payee, 250)])
    after = b"plaza-state-v1" + struct.pack("<I", 2)
    after += b"".join(address + struct.pack("<Q", amount) for address, amount in balances)
    assert h(after).hex() == documented["state_after_release"]["root"]


def test_part_payment_follows_the_text(documented: dict[str, Any], network: dict[str, Any]) -> None:
    hold_id = bytes.fromhex(documented["hold_message"]["hold_id"])
    issuer_key, _, kind, payload = split(bytes.fromhex(documented["pay_message"]["raw"]))
    assert kind == 7
    assert issuer_key.hex() == network["keys"]["issuer_public_key"]  # the hold's payer
    assert payload == hold_id + struct.pack("<Q", 100) + b"\x00" + b"slice 1"
    issuer = bytes.fromhex(next(iter(network["genesis"]["json"]["allocations"])))
    payee = bytes.fromhex(network["keys"]["payee_address_raw"])
    deadline = network["genesis"]["json"]["timestamp_ms"] + 600_000
    held = hold_id + issuer + payee + struct.pack("<QQ", 150, deadline)  # what remains
    held += b"\x20" + bytes.fromhex(documented["hashlock"]) + b"\x00"
    balances = sorted([(issuer, 999_750), (payee, 100)])
    body = b"plaza-state-v2" + struct.pack("<II", 2, 2)
    body += b"".join(address + struct.pack("<Q", amount) for address, amount in balances)
    body += struct.pack("<I", 1) + held
    vector = documented["state_after_part_payment"]
    assert (vector["index"], body.hex()) == (2, vector["bytes"])
    assert h(body).hex() == vector["root"]
