"""docs/protocol.md's test vectors: equal to what the code produces, and true to the text.

The second half re-derives every vector with hashlib and PyNaCl alone, the way an
independent implementation would, so the document cannot drift from the code
nor the code from the document.
"""

from __future__ import annotations

import hashlib
import json
import re
import struct
from pathlib import Path
from typing import Any

import nacl.signing
import pytest

from plaza.testing.vectors import protocol_vectors

DOC = Path(__file__).parents[3] / "docs" / "protocol.md"


@pytest.fixture(scope="module")
def documented() -> dict[str, Any]:
    block = re.search(r"## Test vectors.*?```json\n(.*?)```", DOC.read_text(), re.DOTALL)
    assert block is not None, "docs/protocol.md has no test-vector block"
    vectors: dict[str, Any] = json.loads(block.group(1))
    return vectors


def h(data: bytes, **kwargs: Any) -> bytes:
    return hashlib.blake2b(data, digest_size=kwargs.pop("digest_size", 32), **kwargs).digest()


def test_document_matches_code(documented: dict[str, Any]) -> None:
    assert documented == protocol_vectors()


@pytest.mark.parametrize("name", ["data_message", "transfer_message", "milestone_message"])
def test_message_vector_follows_the_text(documented: dict[str, Any], name: str) -> None:
    vector = documented[name]
    raw = bytes.fromhex(vector["raw"])
    assert h(raw).hex() == vector["id"]
    version, network_id, parent_count = struct.unpack_from("<BIB", raw)
    assert (version, network_id) == (1, documented["genesis"]["network_id"])
    issuer = raw[6 + 32 * parent_count : 38 + 32 * parent_count]
    essence, signature, nonce = raw[:-72], raw[-72:-8], raw[-8:]
    nacl.signing.VerifyKey(issuer).verify(b"plaza-message-v1" + essence, signature)
    work = h(h(essence + signature) + nonce)
    leading_zeros = 64 - int.from_bytes(work[:8], "big").bit_length()
    assert leading_zeros == vector["pow_score"] >= 8


def test_keys_and_network_follow_the_text(documented: dict[str, Any]) -> None:
    keys = documented["keys"]
    seed = bytes.fromhex(keys["issuer_seed"])
    public_key = bytes(nacl.signing.SigningKey(seed).verify_key)
    assert public_key.hex() == keys["issuer_public_key"]
    address = h(public_key, person=b"plaza-address")
    assert address.hex() in documented["genesis"]["json"]["allocations"]
    network = documented["genesis"]["json"]["network"].encode()
    network_id = int.from_bytes(h(network, digest_size=4, person=b"plaza-network"), "little")
    assert network_id == documented["genesis"]["network_id"]


def test_merkle_and_state_roots_follow_the_text(documented: dict[str, Any]) -> None:
    first, second = (bytes.fromhex(i) for i in documented["merkle_root"]["ids"])
    root = h(b"\x01" + h(b"\x00" + first) + h(b"\x00" + second))
    assert root.hex() == documented["merkle_root"]["root"]
    issuer = bytes.fromhex(next(iter(documented["genesis"]["json"]["allocations"])))
    payee = bytes.fromhex(documented["keys"]["payee_address_raw"])
    balances = sorted([(issuer, 999_750), (payee, 250)])
    body = b"plaza-state-v1" + struct.pack("<I", 1)
    body += b"".join(address + struct.pack("<Q", amount) for address, amount in balances)
    assert h(body).hex() == documented["state_root"]["root"]
