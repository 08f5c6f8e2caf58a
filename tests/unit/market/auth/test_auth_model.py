"""Participants, principals and roles keep their invariants."""

from __future__ import annotations

import dataclasses

import pytest
from auth_support import encryption_key, signing_key

from plaza.market.auth import (
    ApiKey,
    InvalidParticipant,
    Participant,
    Principal,
    PrincipalKind,
    Role,
    Scope,
    participant_id_for,
)


def _participant(**changes: object) -> Participant:
    key = signing_key(1).public_key
    values: dict[str, object] = {
        "id": participant_id_for(key),
        "signing_key": key,
        "encryption_key": encryption_key(1).public_key,
        "display_name": "Solar roof 7",
        "roles": frozenset({Role.PROVIDER}),
        "registered_at_ms": 1,
    }
    values.update(changes)
    return Participant(**values)  # type: ignore[arg-type]


def test_the_id_is_the_ledger_address_of_the_signing_key() -> None:
    participant = _participant()
    assert participant.id == str(signing_key(1).public_key.address)
    assert participant.id.startswith("plz1")


def test_an_id_that_is_not_the_keys_address_is_refused() -> None:
    with pytest.raises(InvalidParticipant, match="address of the signing key"):
        _participant(id=participant_id_for(signing_key(2).public_key))


@pytest.mark.parametrize(
    "name", ["", " padded", "padded ", "two\nlines", "tab\there", "x" * 101, "bell\x07"]
)
def test_display_names_are_printable_and_trimmed(name: str) -> None:
    with pytest.raises(InvalidParticipant):
        _participant(display_name=name)


def test_a_display_name_may_be_any_language() -> None:
    assert _participant(display_name="Ladesäule Köln — 東京").display_name.endswith("東京")


def test_a_participant_has_roles_and_an_auditor_only_that_one() -> None:
    with pytest.raises(InvalidParticipant, match="at least one role"):
        _participant(roles=frozenset())
    with pytest.raises(InvalidParticipant, match="auditor"):
        _participant(roles=frozenset({Role.AUDITOR, Role.PROVIDER}))
    both = _participant(roles=frozenset({Role.PROVIDER, Role.CONSUMER}))
    assert both.scopes == {Scope.MARKET_READ, Scope.MARKET_WRITE}


def test_roles_imply_scopes_and_only_traders_write() -> None:
    scopes = {role: _participant(roles=frozenset({role})).scopes for role in Role}
    assert scopes[Role.AUDITOR] == {Scope.MARKET_READ, Scope.AUDIT_READ}
    assert Scope.MARKET_OPERATE in scopes[Role.OPERATOR]
    assert [role for role in Role if Scope.MARKET_WRITE in scopes[role]] == [
        Role.PROVIDER,
        Role.CONSUMER,
    ]


def test_an_api_key_principal_is_capped_by_its_owners_roles_now() -> None:
    owner = _participant(roles=frozenset({Role.CONSUMER}))
    key = ApiKey("ab" * 8, owner.id, "billing", frozenset(Scope), 5, key_hash=b"h" * 32)
    principal = Principal.of_api_key(key, owner)
    assert principal.kind is PrincipalKind.API_KEY
    assert principal.participant_id == owner.id
    assert principal.api_key_id == key.id
    assert principal.scopes == {Scope.MARKET_READ, Scope.MARKET_WRITE}
    demoted = dataclasses.replace(owner, roles=frozenset({Role.AUDITOR}))
    assert Principal.of_api_key(key, demoted).scopes == {Scope.MARKET_READ, Scope.AUDIT_READ}


def test_the_system_principal_is_an_operator_of_no_participant() -> None:
    system = Principal.system()
    assert system.kind is PrincipalKind.SYSTEM
    assert system.participant_id is None
    assert system.roles == {Role.OPERATOR}
