"""The test vectors of ``docs/protocol.md``'s "Call test vectors", made by the code.

Fixed inputs (the provider's secret ``S``, the side key ``K``, the call id, the
nonces and a quote signer's seed) give every derived key, both sealed texts, a
request's encoding and a signed quote; a test holds the document's block equal to
this and re-derives each value from the text with hashlib and PyNaCl alone.
"""

from __future__ import annotations

from typing import Any

from plaza.crypto import SigningKey
from plaza.ledger.holds import hashlock_of
from plaza.services.quote import Quote
from plaza.services.request import CallRequest
from plaza.services.sealing import (
    locator,
    reason_key,
    result_key,
    seal_reason,
    seal_result,
    wrap_result_record,
)

__all__ = ["call_vectors"]

SECRET = bytes([0x11]) * 32
SIDE_KEY = bytes([0x22]) * 32
CALL_ID = bytes([0x33]) * 16
RESULT_NONCE = bytes([0x44]) * 24
REASON_NONCE = bytes([0x55]) * 24
SIGNER_SEED = bytes(31) + b"\x03"
RESULT = b'{"forecast":"sun","max_c":21}'
REASON = "the upstream weather service timed out"
SERVICE = "weather"


def call_vectors() -> dict[str, Any]:
    key = result_key(SECRET, SIDE_KEY, CALL_ID)
    sealed = seal_result(key, CALL_ID, RESULT, nonce=RESULT_NONCE)
    label = locator(SIDE_KEY, CALL_ID)
    request = CallRequest(CALL_ID, SIDE_KEY, SERVICE, b'{"place":"Torino"}')
    signer = SigningKey(SIGNER_SEED)
    quote = Quote.make(
        signer,
        CALL_ID,
        service=SERVICE,
        price=25,
        hashlock=hashlock_of(SECRET),
        deadline_ms=1_767_225_630_000,
    )
    return {
        "inputs": _inputs(),
        "hashlock": hashlock_of(SECRET).hex(),
        "result_key": key.hex(),
        "locator": label.hex(),
        "reason_key": reason_key(SIDE_KEY, CALL_ID).hex(),
        "sealed_result": sealed.hex(),
        "result_record": wrap_result_record(label, sealed).hex(),
        "sealed_reason": seal_reason(SIDE_KEY, CALL_ID, REASON, nonce=REASON_NONCE).hex(),
        "request": {
            "service": SERVICE,
            "input": '{"place":"Torino"}',
            "encoded": request.encode().hex(),
        },
        "quote": {
            "signer_seed": SIGNER_SEED.hex(),
            "json": quote.to_json(),
            "signed": quote.signed_bytes().hex(),
        },
    }


def _inputs() -> dict[str, str]:
    return {
        "secret": SECRET.hex(),
        "side_key": SIDE_KEY.hex(),
        "call_id": CALL_ID.hex(),
        "result_nonce": RESULT_NONCE.hex(),
        "reason_nonce": REASON_NONCE.hex(),
        "result": RESULT.decode(),
        "reason": REASON,
    }
