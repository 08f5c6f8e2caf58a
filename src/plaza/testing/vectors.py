"""Protocol test vectors: the exact bytes ``docs/protocol.md`` publishes.

Everything is derived from fixed seeds and times, and Ed25519 signatures are
deterministic, so these bytes never change unless the protocol does. A test
checks the document against this module, and the vectors against the spec.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from plaza.crypto import Address, SigningKey
from plaza.ledger.codec import milestone_signing_bytes
from plaza.ledger.compose import compose
from plaza.ledger.genesis import Genesis
from plaza.ledger.merkle import merkle_root
from plaza.ledger.model import (
    CoSignature,
    DataPayload,
    Message,
    MilestonePayload,
    Output,
    TransferPayload,
)
from plaza.ledger.pow import Blake2bWork, pow_base, pow_score
from plaza.ledger.state import state_root
from plaza.testing.builders import key_from_number

__all__ = ["VECTOR_TIME_MS", "protocol_vectors", "vector_network"]

_TIME_MS = 1_767_225_600_000
_NETWORK = "plaza-vectors"
VECTOR_TIME_MS = _TIME_MS


def _message_vector(message: Message) -> dict[str, Any]:
    return {
        "raw": message.raw.hex(),
        "id": message.id.hex(),
        "pow_score": pow_score(pow_base(message.raw[:-8]), message.nonce),
    }


def _milestone(
    coordinator: SigningKey, genesis: Genesis, confirmed: list[bytes], root: bytes
) -> Message:
    """Milestone 1 on the transfer: confirms the data message, then the transfer."""
    parents = [confirmed[-1]]
    issued_at_ms = _TIME_MS + 3000
    payload = MilestonePayload(1, genesis.id, merkle_root(confirmed), root)
    signed = milestone_signing_bytes(genesis.network_id, parents, issued_at_ms, payload)
    cosignature = CoSignature(coordinator.public_key.raw, coordinator.sign(signed))
    return compose(
        coordinator,
        network_id=genesis.network_id,
        parents=parents,
        payload=replace(payload, signatures=(cosignature,)),
        issued_at_ms=issued_at_ms,
        work=Blake2bWork(8),
    )


def _genesis(issuer: SigningKey, coordinator: SigningKey) -> Genesis:
    """The vectors' network: the issuer holds every coin, one coordinator key."""
    return Genesis.create(
        _NETWORK,
        timestamp_ms=_TIME_MS,
        allocations={issuer.public_key.address.raw: 1_000_000},
        coordinator_keys=(coordinator.public_key.raw,),
    )


def vector_network() -> tuple[SigningKey, SigningKey, SigningKey, Genesis]:
    """The vectors' issuer, coordinator and payee keys (seeds 1, 2, 3) and their genesis,
    for the other vector blocks of ``docs/protocol.md``."""
    issuer, coordinator, payee = key_from_number(1), key_from_number(2), key_from_number(3)
    return issuer, coordinator, payee, _genesis(issuer, coordinator)


def _keys_vector(issuer: SigningKey, payee: Address) -> dict[str, str]:
    return {
        "issuer_seed": (1).to_bytes(32, "big").hex(),
        "issuer_public_key": issuer.public_key.raw.hex(),
        "issuer_address": str(issuer.public_key.address),
        "payee_address": str(payee),
        "payee_address_raw": payee.raw.hex(),
    }


def protocol_vectors() -> dict[str, Any]:
    """Every vector of docs/protocol.md's block, computed from the code."""
    issuer, coordinator = key_from_number(1), key_from_number(2)
    payee = Address.from_public_key(key_from_number(3).public_key.raw)
    genesis = _genesis(issuer, coordinator)
    common = {"network_id": genesis.network_id, "work": Blake2bWork(8)}
    data = compose(
        issuer,
        parents=[genesis.id],
        payload=DataPayload(b"sensor", b"21.5C"),
        issued_at_ms=_TIME_MS + 1000,
        **common,  # type: ignore[arg-type]
    )
    transfer = compose(
        issuer,
        parents=[genesis.id, data.id],
        payload=TransferPayload((Output(payee.raw, 250),), b"invoice-7"),
        issued_at_ms=_TIME_MS + 2000,
        **common,  # type: ignore[arg-type]
    )
    balances = [(issuer.public_key.address.raw, 999_750), (payee.raw, 250)]
    milestone = _milestone(coordinator, genesis, [data.id, transfer.id], state_root(1, balances))
    return {
        "keys": _keys_vector(issuer, payee),
        "genesis": {
            "json": genesis.to_json(),
            "network_id": genesis.network_id,
            "id": genesis.id.hex(),
        },
        "data_message": _message_vector(data),
        "transfer_message": _message_vector(transfer),
        "merkle_root": {
            "ids": [data.id.hex(), transfer.id.hex()],
            "root": merkle_root([data.id, transfer.id]).hex(),
        },
        "state_root": {"index": 1, "root": state_root(1, balances).hex()},
        "milestone_message": _message_vector(milestone),
    }


if __name__ == "__main__":  # regenerate the block in docs/protocol.md
    import json

    print(json.dumps(protocol_vectors(), indent=2))
