"""docs/protocol.md's call test vectors: equal to the code's, and true to the text.

The second half re-derives each value with hashlib and PyNaCl alone, as an
independent customer or provider would from the "Calls" section.
"""

from __future__ import annotations

import hashlib
import json
import re
import struct
from pathlib import Path
from typing import Any

import nacl.bindings
import nacl.signing
import pytest

from plaza.services.vectors import call_vectors

DOC = Path(__file__).parents[3] / "docs" / "protocol.md"
AEAD = nacl.bindings.crypto_aead_xchacha20poly1305_ietf_encrypt


@pytest.fixture(scope="module")
def documented() -> dict[str, Any]:
    block = re.search(r"## Call test vectors.*?```json\n(.*?)```", DOC.read_text(), re.DOTALL)
    assert block is not None, "docs/protocol.md has no call test-vector block"
    vectors: dict[str, Any] = json.loads(block.group(1))
    return vectors


def keyed(data: bytes, key: bytes, person: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=32, key=key, person=person).digest()


def test_document_matches_code(documented: dict[str, Any]) -> None:
    assert documented == call_vectors()


def test_keys_follow_the_text(documented: dict[str, Any]) -> None:
    inputs = {k: v for k, v in documented["inputs"].items() if k not in {"result", "reason"}}
    s, k, call = (bytes.fromhex(inputs[n]) for n in ("secret", "side_key", "call_id"))
    assert hashlib.blake2b(s, digest_size=32).hexdigest() == documented["hashlock"]
    assert keyed(s + call, k, b"plaza-call-key").hex() == documented["result_key"]
    assert keyed(call, k, b"plaza-call-loc").hex() == documented["locator"]
    assert keyed(call, k, b"plaza-call-why").hex() == documented["reason_key"]


def test_sealed_texts_follow_the_text(documented: dict[str, Any]) -> None:
    inputs = documented["inputs"]
    call = bytes.fromhex(inputs["call_id"])
    nonce = bytes.fromhex(inputs["result_nonce"])
    result_key = bytes.fromhex(documented["result_key"])
    ad = b"plaza-call-result-v1" + call
    sealed = nonce + AEAD(inputs["result"].encode(), ad, nonce, result_key)
    assert sealed.hex() == documented["sealed_result"]
    label = bytes.fromhex(documented["locator"])
    assert (b"plaza-call-result" + label + sealed).hex() == documented["result_record"]
    why = bytes.fromhex(inputs["reason_nonce"])
    reason_ad = b"plaza-call-reason-v1" + call
    reason_key = bytes.fromhex(documented["reason_key"])
    sealed_reason = why + AEAD(inputs["reason"].encode(), reason_ad, why, reason_key)
    assert sealed_reason.hex() == documented["sealed_reason"]


def test_request_and_quote_follow_the_text(documented: dict[str, Any]) -> None:
    inputs, request = documented["inputs"], documented["request"]
    service = request["service"].encode()
    expected = (
        b"\x01"
        + bytes.fromhex(inputs["call_id"])
        + bytes.fromhex(inputs["side_key"])
        + bytes([len(service)])
        + service
        + request["input"].encode()
    )
    assert expected.hex() == request["encoded"]
    quote = documented["quote"]["json"]
    signed = (
        b"plaza-call-quote-v1"
        + bytes.fromhex(quote["call_id"])
        + bytes.fromhex(quote["hashlock"])
        + struct.pack("<QQ", quote["price"], quote["deadline_ms"])
        + bytes([len(quote["service"])])
        + quote["service"].encode()
    )
    assert signed.hex() == documented["quote"]["signed"]
    signer = nacl.signing.SigningKey(bytes.fromhex(documented["quote"]["signer_seed"]))
    assert signer.verify_key.encode().hex() == quote["provider"]
    signer.verify_key.verify(signed, bytes.fromhex(quote["signature"]))
