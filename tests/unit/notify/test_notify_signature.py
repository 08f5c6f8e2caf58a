"""HMAC signing as a receiver sees it: fresh and untampered posts pass, nothing else does."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from plaza.notify import SignatureRejected, check_signature, sign, verify_signature

SECRET = "s" * 64
BODY = b'{"eventId":"e1","eventType":"ContractCreateEvent"}'
NOW = 1_767_225_600


def test_signature_is_hmac_sha256_of_timestamp_dot_body() -> None:
    expected = hmac.new(SECRET.encode(), b"1767225600." + BODY, hashlib.sha256).hexdigest()
    assert sign(SECRET, NOW, BODY) == f"sha256={expected}"


def test_a_fresh_untampered_post_verifies() -> None:
    signature = sign(SECRET, NOW, BODY)
    assert verify_signature(SECRET, str(NOW), BODY, signature, now=NOW + 10)
    check_signature(SECRET, str(NOW), BODY, signature, now=NOW + 10)


@pytest.mark.parametrize(
    ("timestamp", "body", "secret", "reason"),
    [
        (str(NOW), BODY + b" ", SECRET, "does not match"),
        (str(NOW), BODY.replace(b"e1", b"e2"), SECRET, "does not match"),
        (str(NOW + 1), BODY, SECRET, "does not match"),  # a replay with a freshened timestamp
        (str(NOW), BODY, "t" * 64, "does not match"),
        ("1767225600.5", BODY, SECRET, "Unix seconds"),
        ("-5", BODY, SECRET, "Unix seconds"),
        ("", BODY, SECRET, "Unix seconds"),
    ],
)
def test_tampering_is_rejected(timestamp: str, body: bytes, secret: str, reason: str) -> None:
    signature = sign(SECRET, NOW, BODY)
    assert not verify_signature(secret, timestamp, body, signature, now=NOW)
    with pytest.raises(SignatureRejected, match=reason):
        check_signature(secret, timestamp, body, signature, now=NOW)


def test_tolerance_bounds_both_ways() -> None:
    signature = sign(SECRET, NOW, BODY)
    for now in (NOW + 300, NOW - 300):
        assert verify_signature(SECRET, str(NOW), BODY, signature, now=now)
    for now in (NOW + 301, NOW - 301):
        assert not verify_signature(SECRET, str(NOW), BODY, signature, now=now)
    assert verify_signature(SECRET, str(NOW), BODY, signature, tolerance_s=3600, now=NOW + 3600)
    with pytest.raises(SignatureRejected, match="more than 30 s"):
        check_signature(SECRET, str(NOW), BODY, signature, tolerance_s=30, now=NOW + 31)


@pytest.mark.parametrize(
    "signature", ["", "sha1=abc", "deadbeef", "sha256=", "sha256=zz", "sha256=\u00e9\u00e9"]
)
def test_malformed_signatures_are_rejected_not_raised(signature: str) -> None:
    assert not verify_signature(SECRET, str(NOW), BODY, signature, now=NOW)
