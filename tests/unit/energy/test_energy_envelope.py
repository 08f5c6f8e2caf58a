"""Letters between energy modules: what opens, and every way one is refused, with its error."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import pytest

from plaza.crypto import Identity, PublicKey
from plaza.energy.envelope import (
    MAX_SKEW_MS,
    ModuleKey,
    canonical_json,
    open_letter,
    seal_letter,
    sign_document,
    verify_document,
)
from plaza.energy.errors import InvalidMessage, NotAuthenticated
from plaza.market.auth import MemoryNonceStore
from plaza.market.auth.envelope import open_body, seal_body
from plaza.market.auth.letters import LetterFormat

NOW = 1_767_225_600_000
ASSET = Identity.generate()
MARKETPLACE = Identity.generate()
STRANGER = Identity.generate()
BODY = {"transaction": {"energyAmount": 310, "energyPrice": 250, "status": "Initial offer"}}


def known(*senders: tuple[str, Identity]) -> Callable[[str], PublicKey | None]:
    keys = {name: who.public_key for name, who in senders}
    return keys.get


def letter(
    body: dict[str, Any] = BODY,
    *,
    sender: str = "asset-1",
    identity: Identity = ASSET,
    to: Identity = MARKETPLACE,
    audience: str = "marketplace",
    at: int = NOW,
) -> bytes:
    return seal_letter(
        body,
        sender=sender,
        identity=identity,
        recipient=ModuleKey.of(to),
        audience=audience,
        now_ms=at,
    )


def open_at_marketplace(
    document: bytes,
    *,
    now: int = NOW,
    nonces: MemoryNonceStore | None = None,
    keys: Callable[[str], PublicKey | None] | None = None,
    introduce: bool = False,
) -> Any:
    return open_letter(
        document,
        identity=MARKETPLACE,
        audience="marketplace",
        now_ms=now,
        nonces=nonces or MemoryNonceStore(),
        known_key=keys or known(("asset-1", ASSET)),
        introduce=introduce,
    )


def resealed(fields: dict[str, Any], to: Identity = MARKETPLACE) -> bytes:
    """A letter's fields, sealed as they are: for letters no honest sender writes."""
    return seal_body(json.dumps(fields).encode(), to.encryption.public_key).document


def signed_fields(**changes: Any) -> dict[str, Any]:
    """The fields of a valid letter to the marketplace (by opening one), with ``changes``."""
    fields: dict[str, Any] = json.loads(open_body(letter(), MARKETPLACE.encryption).body)
    return {**fields, **changes}


def test_a_letter_opens_for_its_recipient_with_its_body_and_sender() -> None:
    opened = open_at_marketplace(letter())
    assert opened.sender == "asset-1"
    assert opened.key == ASSET.public_key
    assert opened.audience == "marketplace"
    assert opened.issued_at_ms == NOW
    assert opened.body == BODY
    assert "energyAmount" not in repr(opened), "the body stays out of the repr"


def test_the_letter_travels_as_the_seeds_encrypted_field_and_hides_the_body() -> None:
    document = letter()
    assert set(json.loads(document)) == {"encrypted"}
    assert b"energyAmount" not in document


def test_a_first_letter_may_introduce_its_key_when_registering() -> None:
    opened = open_at_marketplace(letter(), keys=known(), introduce=True)
    assert opened.key == ASSET.public_key


def test_a_letter_sealed_to_another_module_does_not_open() -> None:
    with pytest.raises(NotAuthenticated, match="not sealed to this module"):
        open_at_marketplace(letter(to=STRANGER))


def test_a_letter_addressed_to_another_audience_is_refused() -> None:
    with pytest.raises(NotAuthenticated, match="addressed to 'bidmanager'"):
        open_at_marketplace(letter(audience="bidmanager"))


@pytest.mark.parametrize("age", [MAX_SKEW_MS + 1, -(MAX_SKEW_MS + 1)])
def test_a_stale_or_future_letter_is_refused(age: int) -> None:
    with pytest.raises(NotAuthenticated, match="too old or from the future"):
        open_at_marketplace(letter(at=NOW - age))


@pytest.mark.parametrize("age", [MAX_SKEW_MS, -MAX_SKEW_MS])
def test_a_letter_at_the_edge_of_the_window_opens(age: int) -> None:
    assert open_at_marketplace(letter(at=NOW - age)).body == BODY


def test_a_replayed_letter_is_refused() -> None:
    nonces = MemoryNonceStore()
    document = letter()
    open_at_marketplace(document, nonces=nonces)
    with pytest.raises(NotAuthenticated, match="replay"):
        open_at_marketplace(document, nonces=nonces, now=NOW + 1000)
    # A second letter with the same body is a new letter.
    assert open_at_marketplace(letter(), nonces=nonces).body == BODY


def test_a_refused_letter_does_not_spend_its_nonce() -> None:
    nonces = MemoryNonceStore()
    document = letter()
    with pytest.raises(NotAuthenticated):
        open_at_marketplace(document, nonces=nonces, keys=known())
    assert open_at_marketplace(document, nonces=nonces).sender == "asset-1"


def test_a_letter_from_an_unknown_sender_is_refused() -> None:
    with pytest.raises(NotAuthenticated, match="'asset-1' is not known here"):
        open_at_marketplace(letter(), keys=known())


def test_a_letter_signed_by_another_key_than_the_senders_is_refused() -> None:
    with pytest.raises(NotAuthenticated, match="'asset-1' is registered with another key"):
        open_at_marketplace(letter(identity=STRANGER))


def test_a_tampered_body_fails_its_signature() -> None:
    tampered = signed_fields(body={**BODY, "transaction": {"energyAmount": 9999}})
    with pytest.raises(NotAuthenticated, match="signature is not asset-1's"):
        open_at_marketplace(resealed(tampered))


def test_a_letter_resigned_under_another_name_fails() -> None:
    """Changing the sender to one whose key is the claimed one still needs that key's signature."""
    forged = signed_fields(sender="asset-2", key=STRANGER.public_key.raw.hex())
    with pytest.raises(NotAuthenticated, match="signature is not asset-2's"):
        open_at_marketplace(resealed(forged), keys=known(("asset-2", STRANGER)))


def test_tampered_ciphertext_does_not_open() -> None:
    sealed = bytearray(base64.b64decode(json.loads(letter())["encrypted"]))
    sealed[-1] ^= 1
    document = json.dumps({"encrypted": base64.b64encode(bytes(sealed)).decode()}).encode()
    with pytest.raises(NotAuthenticated, match="not sealed to this module"):
        open_at_marketplace(document)


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (b"not json", "expected"),
        (b'{"sealed": "AAAA"}', "expected"),
        (b'{"encrypted": 5}', "expected"),
        (b'{"encrypted": "%%%"}', "expected"),
        (b"x" * (256 * 1024 + 1), "at most"),
    ],
)
def test_a_malformed_envelope_is_invalid(document: bytes, message: str) -> None:
    with pytest.raises(InvalidMessage, match=message):
        open_at_marketplace(document)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"extra": 1}, "exactly the fields"),
        ({"sender": 7}, "are strings"),
        ({"issuedAt": "now"}, "issuedAt is an integer"),
        ({"body": [1]}, "body an object"),
        ({"signature": "00"}, "64 bytes of hex"),
        ({"key": "zz"}, "not an Ed25519 public key"),
    ],
)
def test_a_malformed_letter_is_invalid(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidMessage, match=message):
        open_at_marketplace(resealed(signed_fields(**changes)))


def test_sealed_bytes_that_are_not_json_are_invalid() -> None:
    document = seal_body(b"\xff not json", MARKETPLACE.encryption.public_key).document
    with pytest.raises(InvalidMessage, match="not JSON"):
        open_at_marketplace(document)


def test_canonical_json_has_one_encoding_and_refuses_floats() -> None:
    assert canonical_json({"b": [1, {"d": 2, "c": "é"}], "a": True}) == (
        '{"a":true,"b":[1,{"c":"é","d":2}]}'.encode()
    )
    for value in (1.5, {"price": 0.1}, [1, [2.0]], {"nested": {"deeper": (3.0,)}}):
        with pytest.raises(InvalidMessage, match="numbers must be integers"):
            canonical_json(value)


def test_a_letter_with_a_float_cannot_be_sealed() -> None:
    with pytest.raises(InvalidMessage, match="numbers must be integers"):
        letter({"energyAmount": 0.31})


def test_a_module_key_round_trips_as_text() -> None:
    key = ModuleKey.of(ASSET)
    text = key.to_text()
    assert text == str(key)
    assert text.startswith("ed25519:")
    assert "/x25519:" in text
    assert ModuleKey.from_text(text) == key
    assert ModuleKey.from_text(text).signing == ASSET.public_key


@pytest.mark.parametrize(
    "text",
    [
        None,
        42,
        "",
        "ed25519:abc/x25519:def",
        ModuleKey.of(ASSET).to_text().upper(),
        ModuleKey.of(ASSET).to_text() + "00",
        ModuleKey.of(ASSET).to_text().replace("/", " "),
    ],
)
def test_bad_module_key_text_is_refused(text: object) -> None:
    with pytest.raises(InvalidMessage, match="public key"):
        ModuleKey.from_text(text)


def test_a_document_refusal_is_in_the_energy_codes() -> None:
    """The market's signed documents (tests in market/auth), refused as the energy replies do."""
    message = {"status": "Contract created", "energyAmount": 310}
    document = sign_document(message, ASSET)
    assert verify_document(document, ASSET.public_key) == message
    with pytest.raises(NotAuthenticated, match="signed by another key"):
        verify_document(document, STRANGER.public_key)
    tampered = {**document, "message": {**message, "energyAmount": 311}}
    with pytest.raises(NotAuthenticated, match="does not verify"):
        verify_document(tampered, ASSET.public_key)
    with pytest.raises(InvalidMessage, match="exactly message, signature and signer"):
        verify_document({"message": {}, "signature": "00"}, ASSET.public_key)


def test_a_letter_signature_is_no_document_signature() -> None:
    """The two signatures have different domains: one cannot pass for the other."""
    document = sign_document({"a": 1}, ASSET)
    as_letter = signed_fields()
    forged = {
        "message": {k: v for k, v in as_letter.items() if k != "signature"},
        "signature": as_letter["signature"],
        "signer": ASSET.public_key.raw.hex(),
    }
    with pytest.raises(NotAuthenticated, match="does not verify"):
        verify_document(forged, ASSET.public_key)
    assert verify_document(document, ASSET.public_key) == {"a": 1}


def test_the_nonce_is_spent_in_the_markets_nonce_store_under_the_sender() -> None:
    nonces, document = MemoryNonceStore(), letter()
    open_at_marketplace(document, nonces=nonces)
    nonce = json.loads(open_body(document, MARKETPLACE.encryption).body)["nonce"]
    assert not nonces.remember("asset-1", nonce, expires_at_ms=NOW + 1, now_ms=NOW)
    assert nonces.remember("asset-2", nonce, expires_at_ms=NOW + 1, now_ms=NOW), "per sender"


def test_a_letter_of_another_format_does_not_verify_as_an_energy_letter() -> None:
    other = LetterFormat("plaza-other-letter-v1").seal(
        BODY,
        sender="asset-1",
        key=ASSET.signing,
        recipient=MARKETPLACE.encryption.public_key,
        audience="marketplace",
        now_ms=NOW,
    )
    with pytest.raises(NotAuthenticated, match="the signature is not asset-1's"):
        open_at_marketplace(other)


def test_a_letter_with_a_malformed_nonce_is_invalid() -> None:
    with pytest.raises(InvalidMessage, match="nonce is 16 to 64 bytes"):
        open_at_marketplace(resealed(signed_fields(nonce="n1")))
