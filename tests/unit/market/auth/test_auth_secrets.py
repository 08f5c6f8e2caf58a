"""No API key secret, pepper, key seed or sealed plaintext reaches a repr, an error or a log."""

from __future__ import annotations

import logging

import pytest
from auth_support import Market, encryption_key, signing_key

from plaza.market.auth import (
    AuthError,
    Principal,
    Role,
    Scope,
    open_body,
    seal_body,
)


def test_a_whole_session_shows_no_secret(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    market = Market()
    alice = Principal.of_participant(market.join(1, Role.PROVIDER))
    owner_id = str(alice.participant_id)
    issued = market.api_keys.create(alice, owner_id=owner_id, name="k", scopes=[Scope.MARKET_READ])
    secret_part = issued.secret.reveal().rsplit("_", 1)[1]
    sealed = seal_body(b'{"meterSecret":"s3cr3t"}', encryption_key(1).public_key)
    opened = open_body(sealed.document, encryption_key(1))
    shown = [
        repr(issued),
        repr(issued.key),
        str(issued.secret),
        repr(market.pepper),
        repr(opened),
        repr(signing_key(1)),
        repr(encryption_key(1)),
    ]

    market.api_keys.revoke(alice, issued.key.id)
    forged = issued.secret.reveal()[:-4] + "0000"
    for attempt in (issued.secret.reveal(), forged, issued.secret.reveal() + "x"):
        with pytest.raises(AuthError) as refused:
            market.api_keys.authenticate(attempt)
        shown.append(str(refused.value))
    shown.append(caplog.text)

    secrets = [
        secret_part,
        forged.rsplit("_", 1)[1],
        (b"\x07" * 32).hex(),
        "s3cr3t",
        signing_key(1).seed_bytes.hex(),
        encryption_key(1).seed_bytes.hex(),
    ]
    for text in shown:
        for secret in secrets:
            assert secret not in text, text
