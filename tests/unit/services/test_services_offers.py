"""The gateway's offers and receipts: bound to one request, signed by the paid address."""

from __future__ import annotations

import secrets
from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plaza.crypto import Address, SigningKey
from plaza.services import InvalidQuote
from plaza.services.offers import Offer, Receipt, request_digest

KEY = SigningKey.generate()
PAY_TO = str(Address.from_public_key(KEY.public_key.raw))


@given(st.sampled_from(["GET", "POST"]), st.binary(max_size=40), st.binary(max_size=40))
def test_a_request_digest_changes_with_any_part_of_the_request(
    method: str, target: bytes, body: bytes
) -> None:
    digest = request_digest(method, target, body)
    assert digest == request_digest(method.lower(), target, body)
    assert digest != request_digest("PUT", target, body)
    assert digest != request_digest(method, target + b"x", body)
    assert digest != request_digest(method, target, body + b"x")
    if target:  # where the target ends and the body starts is part of the digest
        assert digest != request_digest(method, target[:-1], target[-1:] + body)


def test_an_offer_and_a_receipt_travel_as_headers_and_verify_for_their_signer_only() -> None:
    digest = request_digest("GET", b"/forecast?place=Torino", b"")
    offer = Offer(secrets.token_bytes(16), digest, bytes(32), 7, 10**12, PAY_TO).signed_by(KEY)
    assert Offer.from_header(offer.header()).verify(PAY_TO) == offer
    receipt = Receipt(offer.offer_id, bytes(32), digest, 200, bytes(32), True).signed_by(KEY)
    assert Receipt.from_header(receipt.header()).verify(PAY_TO) == receipt
    other = str(Address.from_public_key(SigningKey.generate().public_key.raw))
    with pytest.raises(InvalidQuote, match="not signed by the key"):
        offer.verify(other)
    with pytest.raises(InvalidQuote, match="signature"):
        replace(offer, price=6).verify(PAY_TO)
    with pytest.raises(InvalidQuote, match="signature"):
        replace(receipt, paid=False).verify(PAY_TO)
    with pytest.raises(InvalidQuote, match="base64 JSON"):
        Offer.from_header("%%%")
    with pytest.raises(InvalidQuote, match="missing or malformed"):
        Receipt.from_header(offer.header())
