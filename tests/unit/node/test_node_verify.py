"""The threaded verifier gives the serial verdicts, in order, whatever the batch size."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plaza.ledger.validation import SerialVerifier, SignedItem
from plaza.node import ThreadedVerifier
from plaza.testing.builders import key_from_number

KEY = key_from_number(5)


def item(number: int, *, valid: bool) -> SignedItem:
    message = number.to_bytes(4, "big")
    signature = KEY.sign(message)
    if not valid:
        signature = bytes([signature[0] ^ 1]) + signature[1:]
    return KEY.public_key.raw, message, signature


@settings(max_examples=30, deadline=None)
@given(st.lists(st.booleans(), max_size=300), st.integers(min_value=1, max_value=4))
def test_threaded_verdicts_equal_serial_ones(validity: list[bool], workers: int) -> None:
    items = [item(number, valid=valid) for number, valid in enumerate(validity)]
    verifier = ThreadedVerifier(workers, min_batch=8)
    try:
        assert verifier.verify_many(items) == validity
        assert verifier.verify_many(items) == SerialVerifier().verify_many(items)
    finally:
        verifier.close()


def test_workers_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least one worker"):
        ThreadedVerifier(0)
