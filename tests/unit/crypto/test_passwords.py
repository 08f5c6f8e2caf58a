"""Argon2id password hashes: salted, self-describing, checked in constant time."""

from __future__ import annotations

from plaza.crypto.passwords import FAST_FOR_TESTS, INTERACTIVE


def test_a_hash_checks_its_password_and_no_other() -> None:
    hashed = FAST_FOR_TESTS.hash("correct horse battery")
    assert hashed.startswith("$argon2id$v=19$")
    assert FAST_FOR_TESTS.verify(hashed, "correct horse battery")
    assert not FAST_FOR_TESTS.verify(hashed, "correct horse batterY")
    assert not FAST_FOR_TESTS.verify(hashed, "")


def test_each_hash_is_salted() -> None:
    assert FAST_FOR_TESTS.hash("same password") != FAST_FOR_TESTS.hash("same password")


def test_a_hash_keeps_its_cost_so_any_hasher_verifies_it() -> None:
    hashed = FAST_FOR_TESTS.hash("pässwörd ✓ long enough")
    assert INTERACTIVE.verify(hashed, "pässwörd ✓ long enough")
    assert "m=64," not in hashed  # the test cost, not the interactive one (m=65536)
    assert "m=65536," in INTERACTIVE.hash("x")


def test_garbage_is_no_match_and_unknown_accounts_cost_a_verification() -> None:
    assert not FAST_FOR_TESTS.verify("not a hash", "password")
    assert not FAST_FOR_TESTS.verify("$argon2id$v=19$m=8,t=1,p=1$broken", "password")
    assert FAST_FOR_TESTS.verify_nothing("any password") is False
