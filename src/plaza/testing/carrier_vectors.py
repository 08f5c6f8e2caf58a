"""Carrier test vectors: the exact bytes ``docs/protocol.md`` publishes for carried messages.

The network, issuer key and PoW difficulty are those of :mod:`plaza.testing.vectors`;
the two carried messages are signed by one-time keys of seeds 4 and 5, as a
publisher's one-time issuers sign, and do no work. A test re-derives everything
from the text with hashlib and PyNaCl alone.
"""

from __future__ import annotations

from typing import Any

from plaza.ledger.compose import compose, compose_carried
from plaza.ledger.model import CarrierPayload, DataPayload, Message
from plaza.ledger.pow import Blake2bWork, pow_base, pow_score
from plaza.testing.builders import key_from_number
from plaza.testing.vectors import VECTOR_TIME_MS, vector_network

__all__ = ["CARRIED_SEEDS", "carrier_vectors"]

#: Seeds of the carried messages' one-time keys.
CARRIED_SEEDS = (4, 5)
_CARRIED = ((b"twin-1", b"21.5 C", 1000), (b"twin-2", b"58 %", 1500))


def _carried(genesis_network: int) -> list[Message]:
    return [
        compose_carried(
            key_from_number(seed),
            network_id=genesis_network,
            payload=DataPayload(tag, data),
            issued_at_ms=VECTOR_TIME_MS + offset_ms,
        )
        for seed, (tag, data, offset_ms) in zip(CARRIED_SEEDS, _CARRIED, strict=True)
    ]


def carrier_vectors() -> dict[str, Any]:
    """Every vector of docs/protocol.md's carrier block, computed from the code."""
    issuer, _, _, genesis = vector_network()
    carried = _carried(genesis.network_id)
    carrier = compose(
        issuer,
        network_id=genesis.network_id,
        parents=[genesis.id],
        payload=CarrierPayload(tuple(carried)),
        issued_at_ms=VECTOR_TIME_MS + 2000,
        work=Blake2bWork(8),
    )
    return {
        "carried_messages": [
            {
                "seed": seed.to_bytes(32, "big").hex(),
                "public_key": message.issuer.hex(),
                "raw": message.raw.hex(),
                "id": message.id.hex(),
            }
            for seed, message in zip(CARRIED_SEEDS, carried, strict=True)
        ],
        "carrier_message": {
            "raw": carrier.raw.hex(),
            "id": carrier.id.hex(),
            "pow_score": pow_score(pow_base(carrier.raw[:-8]), carrier.nonce),
        },
    }
