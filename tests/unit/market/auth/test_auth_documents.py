"""Signed documents: verifiable afterwards by anyone, only for their signer, message and family."""

from __future__ import annotations

import json

import pytest

from plaza.crypto import Identity
from plaza.market.auth import BadDocumentSignature, DocumentFormat, MalformedSignedRequest

SIGNER = Identity.generate()
STRANGER = Identity.generate()
DOCUMENTS = DocumentFormat("plaza-test-document-v1")


def test_a_signed_document_verifies_only_for_its_signer_and_message() -> None:
    message = {"status": "Contract created", "energyAmount": 310}
    document = DOCUMENTS.sign(message, SIGNER)
    assert set(document) == {"message", "signature", "signer"}
    assert DOCUMENTS.verify(document, SIGNER.public_key) == message
    assert DOCUMENTS.verify(json.loads(json.dumps(document)), SIGNER.public_key) == message
    with pytest.raises(BadDocumentSignature, match="signed by another key"):
        DOCUMENTS.verify(document, STRANGER.public_key)
    tampered = {**document, "message": {**message, "energyAmount": 311}}
    with pytest.raises(BadDocumentSignature, match="does not verify"):
        DOCUMENTS.verify(tampered, SIGNER.public_key)
    with pytest.raises(BadDocumentSignature, match="does not verify"):
        DOCUMENTS.verify({**document, "signature": "zz"}, SIGNER.public_key)


def test_signing_is_deterministic() -> None:
    """The same message by the same key is the same document: a twin recognises its own."""
    assert DOCUMENTS.sign({"a": 1, "b": [2]}, SIGNER) == DOCUMENTS.sign({"b": [2], "a": 1}, SIGNER)


def test_a_document_of_another_family_does_not_verify() -> None:
    other = DocumentFormat("plaza-other-document-v1")
    document = other.sign({"a": 1}, SIGNER)
    with pytest.raises(BadDocumentSignature, match="does not verify"):
        DOCUMENTS.verify(document, SIGNER.public_key)
    assert other.verify(document, SIGNER.public_key) == {"a": 1}


@pytest.mark.parametrize(
    "document",
    [
        None,
        {"message": {}, "signature": "00"},
        {"message": [], "signature": "00", "signer": ""},
        {"message": {}, "signature": 5, "signer": ""},
    ],
)
def test_a_malformed_document_is_refused(document: object) -> None:
    with pytest.raises(MalformedSignedRequest):
        DOCUMENTS.verify(document, SIGNER.public_key)


def test_floats_are_refused_in_a_message() -> None:
    with pytest.raises(MalformedSignedRequest, match="integers"):
        DOCUMENTS.sign({"amount": 1.5}, SIGNER)


@pytest.mark.parametrize("domain", ["", "tab\there"])
def test_a_format_needs_a_printable_domain(domain: str) -> None:
    with pytest.raises(ValueError, match="printable"):
        DocumentFormat(domain)
