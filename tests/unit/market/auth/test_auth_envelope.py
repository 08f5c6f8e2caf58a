"""Sealed bodies: sign the plaintext, seal it; open, then verify. Both directions."""

from __future__ import annotations

import base64
import json

import pytest
from auth_support import AUDIENCE, Market, encryption_key, signing_key

from plaza.crypto import EncryptionKey, seal
from plaza.market.auth import (
    BadRequestSignature,
    BodyDigest,
    EnvelopeNotOpened,
    MalformedEnvelope,
    is_sealed,
    open_body,
    seal_body,
    sign_request,
)

MARKETPLACE = EncryptionKey(b"\x42" * 32)
OFFER = json.dumps({"type": "offer", "energyAmount": 250, "energyPrice": 2}).encode()


def test_a_sealed_request_verifies_after_opening() -> None:
    market = Market()
    participant = market.join(1)
    sealed = seal_body(OFFER, MARKETPLACE.public_key)
    headers = sign_request(
        signing_key(1),
        audience=AUDIENCE,
        method="POST",
        path="/offer",
        body=sealed.digest,
        clock=market.clock,
    )

    assert is_sealed(sealed.document)
    assert json.loads(sealed.document).keys() == {"encrypted"}
    opened = open_body(sealed.document, MARKETPLACE)
    assert opened.body == OFFER
    verified = market.verifier.verify_request(
        method="POST", path="/offer", query="", headers=headers, body=opened.digest
    )
    assert verified == participant


def test_the_signed_digest_does_not_confirm_a_guessed_plaintext() -> None:
    """Headers travel in clear; with a plain digest they would confirm a guess of the body."""
    market = Market()
    market.join(1)
    sealed = seal_body(OFFER, MARKETPLACE.public_key)
    headers = sign_request(
        signing_key(1),
        audience=AUDIENCE,
        method="POST",
        path="/offer",
        body=sealed.digest,
        clock=market.clock,
    )
    assert sealed.digest != BodyDigest.of(OFFER)
    with pytest.raises(BadRequestSignature):
        market.verifier.verify_request(
            method="POST", path="/offer", query="", headers=headers, body=OFFER
        )


def test_a_reply_is_sealed_to_the_participant() -> None:
    market = Market()
    participant = market.join(1)
    reply = seal_body(b'{"success":true}', participant.encryption_key)
    assert open_body(reply.document, encryption_key(1)).body == b'{"success":true}'
    with pytest.raises(EnvelopeNotOpened):
        open_body(reply.document, MARKETPLACE)


def test_sealing_twice_gives_unlinkable_envelopes() -> None:
    first, second = (
        seal_body(OFFER, MARKETPLACE.public_key),
        seal_body(OFFER, MARKETPLACE.public_key),
    )
    assert first.document != second.document
    assert first.digest != second.digest
    assert open_body(first.document, MARKETPLACE).digest == first.digest


def test_a_tampered_envelope_does_not_open() -> None:
    document = json.loads(seal_body(OFFER, MARKETPLACE.public_key).document)
    raw = bytearray(base64.b64decode(document["encrypted"]))
    raw[-1] ^= 1
    tampered = json.dumps({"encrypted": base64.b64encode(bytes(raw)).decode()}).encode()
    with pytest.raises(EnvelopeNotOpened):
        open_body(tampered, MARKETPLACE)
    truncated = json.dumps({"encrypted": base64.b64encode(bytes(raw[:20])).decode()}).encode()
    with pytest.raises(EnvelopeNotOpened):
        open_body(truncated, MARKETPLACE)


@pytest.mark.parametrize(
    "document",
    [
        b"not json",
        b"\xff\xfe",
        b"[]",
        b"{}",
        b'{"encrypted": 5}',
        b'{"encrypted": "***"}',
        b'{"encrypted": "QQ==", "extra": 1}',
        OFFER,
    ],
)
def test_malformed_envelopes_are_refused(document: bytes) -> None:
    assert not is_sealed(document)
    with pytest.raises(MalformedEnvelope):
        open_body(document, MARKETPLACE)


def test_an_unknown_inner_format_is_refused() -> None:
    inner = seal(MARKETPLACE.public_key, b"\x02" + b"s" * 16 + OFFER)
    document = json.dumps({"encrypted": base64.b64encode(inner).decode()}).encode()
    with pytest.raises(MalformedEnvelope, match="format"):
        open_body(document, MARKETPLACE)


def test_an_opened_body_keeps_its_plaintext_out_of_repr() -> None:
    opened = open_body(seal_body(OFFER, MARKETPLACE.public_key).document, MARKETPLACE)
    assert "energyAmount" not in repr(opened)
