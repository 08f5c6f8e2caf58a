"""The authorization matrix: who may read and change whose records.

A participant cannot see or change another's private records; an auditor changes
nothing; an operator administers participants but does not rewrite their records.
"""

from __future__ import annotations

import pytest

from plaza.market.auth import (
    Forbidden,
    Principal,
    PrincipalKind,
    Role,
    Scope,
    Visibility,
    check_can_audit,
    check_can_operate,
    check_can_read,
    check_can_write,
    check_is_self,
)
from plaza.market.auth.model import scopes_of

ALICE, BOB, CAROL = "plz1alice", "plz1bob", "plz1carol"  # ids are opaque to the policy


def _as(who: str | None, *roles: Role, scopes: frozenset[Scope] | None = None) -> Principal:
    """A participant's principal, or (``scopes`` given) one of its API keys, capped as in use."""
    held = scopes_of(roles)
    if scopes is None:
        return Principal(PrincipalKind.PARTICIPANT, who, frozenset(roles), held)
    return Principal(PrincipalKind.API_KEY, who, frozenset(roles), scopes & held, api_key_id="k1")


PRINCIPALS: dict[str, Principal | None] = {
    "anonymous": None,
    "alice": _as(ALICE, Role.PROVIDER),
    "bob": _as(BOB, Role.CONSUMER),
    "carol": _as(CAROL, Role.PROVIDER, Role.CONSUMER),
    "auditor": _as("plz1audit", Role.AUDITOR),
    "operator": _as("plz1op", Role.OPERATOR),
    "system": Principal.system(),
    "alice key rw": _as(
        ALICE, Role.PROVIDER, scopes=frozenset({Scope.MARKET_READ, Scope.MARKET_WRITE})
    ),
    "alice key ro": _as(ALICE, Role.PROVIDER, scopes=frozenset({Scope.MARKET_READ})),
    "alice key none": _as(ALICE, Role.PROVIDER, scopes=frozenset()),
    "alice key audit": _as(ALICE, Role.PROVIDER, scopes=frozenset({Scope.AUDIT_READ})),
    "auditor key all": _as("plz1audit", Role.AUDITOR, scopes=frozenset(Scope)),
}

#: Records: (owner, visibility, parties). Alice's offer, order and API keys; a contract of
#: Alice (provider) and Bob (consumer), which Carol is not part of.
RECORDS: dict[str, tuple[str, Visibility, tuple[str, ...]]] = {
    "alice offer": (ALICE, Visibility.PUBLIC, ()),
    "alice order": (ALICE, Visibility.PRIVATE, ()),
    "alice keys": (ALICE, Visibility.PERSONAL, ()),
    "contract a-b": (ALICE, Visibility.PRIVATE, (BOB,)),
    "personal a-b": (ALICE, Visibility.PERSONAL, (BOB,)),
}

# Who may read each record ("*" = everyone); everyone else must be refused.
READERS = {
    "alice offer": "*",
    "alice order": {
        "alice",
        "auditor",
        "operator",
        "system",
        "alice key rw",
        "alice key ro",
        "auditor key all",
    },
    "alice keys": {"alice", "alice key rw", "alice key ro"},
    "contract a-b": {
        "alice",
        "bob",
        "auditor",
        "operator",
        "system",
        "alice key rw",
        "alice key ro",
        "auditor key all",
    },
    "personal a-b": {"alice", "alice key rw", "alice key ro"},
}

# Who may change each record: owners and parties holding market:write, nobody else.
WRITERS = {
    "alice offer": {"alice", "alice key rw"},
    "alice order": {"alice", "alice key rw"},
    "alice keys": {"alice", "alice key rw"},
    "contract a-b": {"alice", "bob", "alice key rw"},
    "personal a-b": {"alice", "bob", "alice key rw"},
}


def _cases(table: dict[str, object]) -> list[tuple[str, str, bool]]:
    return [
        (who, record, allowed == "*" or who in allowed)  # type: ignore[operator]
        for record, allowed in table.items()
        for who in PRINCIPALS
    ]


@pytest.mark.parametrize(("who", "record", "allowed"), _cases(READERS))  # type: ignore[arg-type]
def test_read_matrix(who: str, record: str, allowed: bool) -> None:
    owner, visibility, parties = RECORDS[record]
    if allowed:
        check_can_read(PRINCIPALS[who], owner, visibility, parties=parties)
    else:
        with pytest.raises(Forbidden):
            check_can_read(PRINCIPALS[who], owner, visibility, parties=parties)


@pytest.mark.parametrize(("who", "record", "allowed"), _cases(WRITERS))  # type: ignore[arg-type]
def test_write_matrix(who: str, record: str, allowed: bool) -> None:
    owner, _, parties = RECORDS[record]
    if allowed:
        check_can_write(PRINCIPALS[who], owner, parties=parties)
    else:
        with pytest.raises(Forbidden):
            check_can_write(PRINCIPALS[who], owner, parties=parties)


def test_an_auditor_changes_nothing_even_with_a_forged_write_scope() -> None:
    forged = Principal(
        PrincipalKind.PARTICIPANT, "plz1audit", frozenset({Role.AUDITOR}), frozenset(Scope)
    )
    with pytest.raises(Forbidden, match="auditors change nothing"):
        check_can_write(forged, "plz1audit")


@pytest.mark.parametrize(
    ("who", "audit", "operate"),
    [
        ("anonymous", False, False),
        ("alice", False, False),
        ("auditor", True, False),
        ("operator", True, True),
        ("system", True, True),
        ("alice key audit", False, False),
        ("auditor key all", True, False),
    ],
)
def test_audit_and_operate(who: str, audit: bool, operate: bool) -> None:
    for check, allowed in ((check_can_audit, audit), (check_can_operate, operate)):
        if allowed:
            check(PRINCIPALS[who])
        else:
            with pytest.raises(Forbidden):
                check(PRINCIPALS[who])


@pytest.mark.parametrize(
    ("who", "allowed"),
    [
        ("alice", True),
        ("alice key rw", False),
        ("bob", False),
        ("operator", False),
        ("system", False),
        ("anonymous", False),
    ],
)
def test_only_a_participants_own_signed_request_changes_its_keys(who: str, allowed: bool) -> None:
    if allowed:
        check_is_self(PRINCIPALS[who], ALICE)
    else:
        with pytest.raises(Forbidden):
            check_is_self(PRINCIPALS[who], ALICE)


def test_a_refusal_says_what_and_why() -> None:
    with pytest.raises(Forbidden) as refused:
        check_can_read(PRINCIPALS["bob"], ALICE, Visibility.PRIVATE)
    assert refused.value.action == f"read a private record of {ALICE}"
    assert "not the caller's record" in refused.value.reason
