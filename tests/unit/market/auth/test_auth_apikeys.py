"""API keys: shown once, stored hashed, scoped, revocable."""

from __future__ import annotations

import re

import pytest
from auth_support import Market

from plaza.market.auth import (
    ApiKeyNotFound,
    ApiKeySecret,
    ExpiredApiKey,
    Forbidden,
    InvalidApiKeyExpiry,
    InvalidApiKeyName,
    MalformedApiKey,
    ParticipantExcluded,
    ParticipantNotFound,
    Pepper,
    Principal,
    PrincipalKind,
    RevokedApiKey,
    Role,
    Scope,
    ScopeNotAllowed,
    UnknownApiKey,
)
from plaza.market.auth.apikeys import MAX_KEY_LIFETIME_MS, ApiKeyService

READ = frozenset({Scope.MARKET_READ})


@pytest.fixture
def market() -> Market:
    return Market()


def _owner(market: Market, n: int = 1, *roles: Role) -> Principal:
    return Principal.of_participant(market.join(n, *roles))


def test_a_new_key_authenticates_as_its_owner_with_its_scopes(market: Market) -> None:
    alice = _owner(market)
    issued = market.api_keys.create(
        alice, owner_id=str(alice.participant_id), name="grafana", scopes=READ
    )
    assert re.fullmatch(r"plz_[0-9a-f]{16}_[0-9a-f]{64}", issued.secret.reveal())
    assert issued.secret.key_id == issued.key.id
    assert issued.key.created_at_ms == market.clock.now_ms()
    assert issued.secret.reveal().encode() not in issued.key.key_hash

    principal = market.api_keys.authenticate(issued.secret.reveal())
    assert principal.kind is PrincipalKind.API_KEY
    assert principal.participant_id == alice.participant_id
    assert principal.api_key_id == issued.key.id
    assert principal.scopes == READ


def test_keys_are_stored_as_keyed_hashes(market: Market) -> None:
    alice = _owner(market)
    issued = market.api_keys.create(
        alice, owner_id=str(alice.participant_id), name="k", scopes=READ
    )
    other_server = ApiKeyService(
        market.keys, market.participants, Pepper(b"\x08" * 32), market.clock
    )
    with pytest.raises(UnknownApiKey):
        other_server.authenticate(issued.secret.reveal())


def test_a_wrong_secret_is_the_same_error_as_an_unknown_key(market: Market) -> None:
    alice = _owner(market)
    issued = market.api_keys.create(
        alice, owner_id=str(alice.participant_id), name="k", scopes=READ
    )
    text = issued.secret.reveal()
    forged = text[:-1] + ("0" if text[-1] != "0" else "1")
    for attempt in (forged, f"plz_{'0' * 16}_{'0' * 64}"):
        with pytest.raises(UnknownApiKey):
            market.api_keys.authenticate(attempt)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "plz_",
        "plz_abc_def",
        f"plz_{'A' * 16}_{'0' * 64}",
        f"plz_{'0' * 16}_{'0' * 63}",
        f"pl_{'0' * 16}_{'0' * 64}",
        f"plz_{'0' * 16}_{'0' * 64} ",
        f"Bearer plz_{'0' * 64}",
    ],
)
def test_malformed_keys_are_refused_without_echoing_them(market: Market, text: str) -> None:
    with pytest.raises(MalformedApiKey) as refused:
        market.api_keys.authenticate(text)
    assert len(text) < 12 or text not in str(refused.value)


def test_a_revoked_key_stops_at_once_and_keeps_its_revocation_time(market: Market) -> None:
    alice = _owner(market)
    issued = market.api_keys.create(
        alice, owner_id=str(alice.participant_id), name="k", scopes=READ
    )
    revoked = market.api_keys.revoke(alice, issued.key.id)
    first = market.clock.now_ms()
    market.clock.advance(seconds=10)
    assert (
        market.api_keys.revoke(alice, issued.key.id).revoked_at_ms == first == revoked.revoked_at_ms
    )
    with pytest.raises(RevokedApiKey) as refused:
        market.api_keys.authenticate(issued.secret)
    assert refused.value.revoked_at_ms == first


def test_a_key_with_an_expiry_stops_at_that_instant(market: Market) -> None:
    alice = _owner(market)
    expiry = market.clock.now_ms() + 60_000
    issued = market.api_keys.create(
        alice, owner_id=str(alice.participant_id), name="k", scopes=READ, expires_at_ms=expiry
    )
    assert issued.key.expires_at_ms == expiry
    assert market.keys.get(issued.key.id) == issued.key
    market.clock.advance(ms=59_999)
    market.api_keys.authenticate(issued.secret)
    assert market.api_keys.is_active(issued.key.id)
    market.clock.advance(ms=1)
    with pytest.raises(ExpiredApiKey) as refused:
        market.api_keys.authenticate(issued.secret)
    assert refused.value.expired_at_ms == expiry
    assert not market.api_keys.is_active(issued.key.id)


def test_a_key_is_inactive_once_revoked_or_its_owner_excluded(market: Market) -> None:
    alice = _owner(market)
    keys = [
        market.api_keys.create(alice, owner_id=str(alice.participant_id), name=n, scopes=READ)
        for n in ("a", "b")
    ]
    market.api_keys.revoke(alice, keys[0].key.id)
    assert [market.api_keys.is_active(k.key.id) for k in keys] == [False, True]
    market.registry.exclude(Principal.system(), str(alice.participant_id))
    assert not market.api_keys.is_active(keys[1].key.id)
    assert not market.api_keys.is_active("0" * 16)


@pytest.mark.parametrize("offset_ms", [0, -1, MAX_KEY_LIFETIME_MS + 1])
def test_an_expiry_is_ahead_and_within_ten_years(market: Market, offset_ms: int) -> None:
    alice = _owner(market)
    with pytest.raises(InvalidApiKeyExpiry):
        market.api_keys.create(
            alice,
            owner_id=str(alice.participant_id),
            name="k",
            scopes=READ,
            expires_at_ms=market.clock.now_ms() + offset_ms,
        )
    assert market.keys.list_for_owner(str(alice.participant_id)) == []


def test_only_the_owner_or_an_operator_manages_keys(market: Market) -> None:
    alice, bob, operator = _owner(market, 1), _owner(market, 2), market.operator()
    owner_id = str(alice.participant_id)
    issued = market.api_keys.create(alice, owner_id=owner_id, name="k", scopes=READ)
    as_key = market.api_keys.authenticate(issued.secret)
    for stranger in (bob, as_key):
        with pytest.raises(Forbidden):
            market.api_keys.create(stranger, owner_id=owner_id, name="k2", scopes=READ)
        with pytest.raises(Forbidden):
            market.api_keys.list_keys(stranger, owner_id)
        with pytest.raises(Forbidden):
            market.api_keys.revoke(stranger, issued.key.id)
    market.clock.advance(ms=1)  # listed oldest first
    by_operator = market.api_keys.create(operator, owner_id=owner_id, name="ops", scopes=READ)
    assert [k.id for k in market.api_keys.list_keys(alice, owner_id)] == [
        issued.key.id,
        by_operator.key.id,
    ]
    assert market.api_keys.revoke(operator, issued.key.id).revoked
    with pytest.raises(ApiKeyNotFound):
        market.api_keys.revoke(operator, "f" * 16)
    with pytest.raises(ParticipantNotFound):
        market.api_keys.create(operator, owner_id="plz1nobody", name="k", scopes=READ)


def test_a_key_gets_no_scope_its_owner_lacks(market: Market) -> None:
    auditor = _owner(market, 3, Role.AUDITOR)
    owner_id = str(auditor.participant_id)
    with pytest.raises(ScopeNotAllowed) as refused:
        market.api_keys.create(auditor, owner_id=owner_id, name="k", scopes=[Scope.MARKET_WRITE])
    assert refused.value.scopes == ("market:write",)
    with pytest.raises(ScopeNotAllowed):
        market.api_keys.create(auditor, owner_id=owner_id, name="k", scopes=[])
    audit = market.api_keys.create(
        auditor, owner_id=owner_id, name="compliance", scopes=[Scope.AUDIT_READ]
    )
    assert market.api_keys.authenticate(audit.secret).scopes == {Scope.AUDIT_READ}


def test_a_keys_scopes_shrink_with_its_owners_roles(market: Market) -> None:
    alice = _owner(market)
    owner_id = str(alice.participant_id)
    issued = market.api_keys.create(
        alice, owner_id=owner_id, name="k", scopes=[Scope.MARKET_READ, Scope.MARKET_WRITE]
    )
    market.registry.set_roles(market.operator(), owner_id, [Role.AUDITOR])
    assert market.api_keys.authenticate(issued.secret).scopes == READ


def test_an_excluded_owners_keys_stop_working(market: Market) -> None:
    alice = _owner(market)
    owner_id = str(alice.participant_id)
    issued = market.api_keys.create(alice, owner_id=owner_id, name="k", scopes=READ)
    operator = market.operator()
    market.registry.exclude(operator, owner_id)
    with pytest.raises(ParticipantExcluded):
        market.api_keys.authenticate(issued.secret)
    market.registry.reinstate(operator, owner_id)
    assert market.api_keys.authenticate(issued.secret).participant_id == owner_id


def test_last_use_is_recorded_to_the_minute(market: Market) -> None:
    alice = _owner(market)
    issued = market.api_keys.create(
        alice, owner_id=str(alice.participant_id), name="k", scopes=READ
    )
    start = market.clock.now_ms()
    market.api_keys.authenticate(issued.secret)
    market.clock.advance(seconds=59)
    market.api_keys.authenticate(issued.secret)
    assert market.keys.get(issued.key.id).last_used_at_ms == start  # type: ignore[union-attr]
    market.clock.advance(seconds=1)
    market.api_keys.authenticate(issued.secret)
    assert market.keys.get(issued.key.id).last_used_at_ms == start + 60_000  # type: ignore[union-attr]


@pytest.mark.parametrize("name", ["", "x" * 101, "line\nbreak"])
def test_key_names_are_short_printable_labels(market: Market, name: str) -> None:
    alice = _owner(market)
    with pytest.raises(InvalidApiKeyName):
        market.api_keys.create(alice, owner_id=str(alice.participant_id), name=name, scopes=READ)


def test_a_pepper_is_long_and_hidden() -> None:
    with pytest.raises(ValueError, match="32 to 64"):
        Pepper(b"short")
    assert "07" not in repr(Pepper(b"\x07" * 32))
    assert len({Pepper.generate().hash("x") for _ in range(2)}) == 2


def test_a_secret_shows_only_its_id() -> None:
    text = f"plz_{'1' * 16}_{'2' * 64}"
    secret = ApiKeySecret(text)
    assert "2222" not in repr(secret)
    assert "2222" not in str(secret)
    assert secret.reveal() == text
