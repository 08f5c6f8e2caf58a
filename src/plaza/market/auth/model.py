"""Who takes part in the marketplace, and who is calling.

* A :class:`Participant` is identified by its Ed25519 signing key: its id is the
  ``plz1…`` address of that key, so the id cannot be claimed without the key, and
  it is the same account the participant is paid at on the ledger. It also holds
  an X25519 encryption key, to which the marketplace seals replies.
* A :class:`Principal` is whoever makes one call: a participant (signed request),
  one of its API keys (a person's dashboard or a third-party service), or the
  marketplace itself (``SYSTEM``, only ever built by the composition root).
* :class:`Role` says what a participant is; each role implies :class:`Scope` s.
  An API key carries scopes of its own, capped by its owner's roles.

Values are frozen; changing a participant means storing a replaced copy.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType

from plaza.crypto import EncryptionPublicKey, PublicKey
from plaza.market.auth.errors import InvalidParticipant

__all__ = [
    "MAX_DISPLAY_NAME",
    "ROLE_SCOPES",
    "SELF_ASSIGNABLE_ROLES",
    "ApiKey",
    "Participant",
    "Principal",
    "PrincipalKind",
    "Role",
    "Scope",
    "Visibility",
    "participant_id_for",
    "scopes_of",
]

MAX_DISPLAY_NAME = 100


class Role(StrEnum):
    """What a participant is in the marketplace (seeds: asset/service providers, auditors)."""

    PROVIDER = "provider"  # offers assets, energy, data or services
    CONSUMER = "consumer"  # requests them
    AUDITOR = "auditor"  # reads and verifies trails, changes nothing
    OPERATOR = "operator"  # runs the marketplace: admits, excludes, reinstates


class Scope(StrEnum):
    """What one call may do. Roles imply scopes; API keys hold a subset of their owner's."""

    MARKET_READ = "market:read"  # public records, and one's own private ones
    MARKET_WRITE = "market:write"  # create and change one's own records
    AUDIT_READ = "audit:read"  # read every participant's private records
    MARKET_OPERATE = "market:operate"  # administer participants


class Visibility(StrEnum):
    """Who may read a record besides its owner."""

    PUBLIC = "public"  # anyone, signed in or not: offers, requests, the sensor map
    PRIVATE = "private"  # owner, the record's parties, auditors and operators: orders, contracts
    PERSONAL = "personal"  # the owner alone: its API keys, device configuration


class PrincipalKind(StrEnum):
    PARTICIPANT = "participant"  # a verified signed request
    API_KEY = "api_key"  # an authenticated API key, acting for its owner
    SYSTEM = "system"  # the marketplace itself (jobs, bootstrap); never from a request


#: Auditors hold no write scope and operators administer rather than trade, so
#: "an auditor changes nothing" holds by construction, not by a special case.
ROLE_SCOPES: MappingProxyType[Role, frozenset[Scope]] = MappingProxyType(
    {
        Role.PROVIDER: frozenset({Scope.MARKET_READ, Scope.MARKET_WRITE}),
        Role.CONSUMER: frozenset({Scope.MARKET_READ, Scope.MARKET_WRITE}),
        Role.AUDITOR: frozenset({Scope.MARKET_READ, Scope.AUDIT_READ}),
        Role.OPERATOR: frozenset({Scope.MARKET_READ, Scope.AUDIT_READ, Scope.MARKET_OPERATE}),
    }
)

#: Roles a participant may give itself when registering; the others need an operator.
SELF_ASSIGNABLE_ROLES = frozenset({Role.PROVIDER, Role.CONSUMER})


def scopes_of(roles: Iterable[Role]) -> frozenset[Scope]:
    """Every scope the roles imply together."""
    return frozenset().union(*(ROLE_SCOPES[role] for role in roles))


def participant_id_for(signing_key: PublicKey) -> str:
    """The participant id of a signing key: its bech32m ``plz1…`` ledger address."""
    return str(signing_key.address)


def check_display_name(name: str) -> None:
    """A display name is shown to people: printable, trimmed, 1 to 100 characters.

    Control characters are refused because names go into canonical signed forms
    (one field per line) and into terminals and logs.
    """
    if not 1 <= len(name) <= MAX_DISPLAY_NAME:
        raise InvalidParticipant(f"a display name has 1 to {MAX_DISPLAY_NAME} characters")
    if name != name.strip() or any(unicodedata.category(c).startswith("C") for c in name):
        raise InvalidParticipant("a display name has no control or edge whitespace characters")


def check_roles(roles: frozenset[Role]) -> None:
    """At least one role; auditor only alone, so an auditor can never also be a writer."""
    if not roles:
        raise InvalidParticipant("a participant has at least one role")
    if Role.AUDITOR in roles and len(roles) > 1:
        raise InvalidParticipant("the auditor role cannot be combined with another role")


@dataclass(frozen=True, slots=True)
class Participant:
    """A registered participant; ``id`` always matches ``signing_key``."""

    id: str
    signing_key: PublicKey
    encryption_key: EncryptionPublicKey
    display_name: str
    roles: frozenset[Role]
    registered_at_ms: int
    excluded: bool = False

    def __post_init__(self) -> None:
        if self.id != participant_id_for(self.signing_key):
            raise InvalidParticipant("the id is not the address of the signing key")
        check_display_name(self.display_name)
        check_roles(self.roles)

    @property
    def scopes(self) -> frozenset[Scope]:
        return scopes_of(self.roles)


@dataclass(frozen=True, slots=True)
class ApiKey:
    """A stored API key. ``key_hash`` is a keyed hash of the secret, never the secret.

    The hash stays out of ``repr``: it is not the secret, but nothing is gained by
    printing it, and with the pepper it would let a guess be checked.
    """

    id: str
    owner_id: str
    name: str
    scopes: frozenset[Scope]
    created_at_ms: int
    key_hash: bytes = field(repr=False)
    revoked_at_ms: int | None = None
    last_used_at_ms: int | None = None
    expires_at_ms: int | None = None

    @property
    def revoked(self) -> bool:
        return self.revoked_at_ms is not None

    def expired(self, now_ms: int) -> bool:
        """Whether the key's expiry (if it has one) has come: it stops at that instant."""
        return self.expires_at_ms is not None and now_ms >= self.expires_at_ms


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is making one call, and the scopes that call holds.

    ``participant_id`` is the participant acting (for an API key: its owner); it is
    ``None`` only for ``SYSTEM``.
    """

    kind: PrincipalKind
    participant_id: str | None
    roles: frozenset[Role]
    scopes: frozenset[Scope]
    api_key_id: str | None = None

    @classmethod
    def of_participant(cls, participant: Participant) -> Principal:
        """A participant whose signed request was verified: every scope of its roles."""
        return cls(PrincipalKind.PARTICIPANT, participant.id, participant.roles, participant.scopes)

    @classmethod
    def of_api_key(cls, key: ApiKey, owner: Participant) -> Principal:
        """The key's scopes, capped by what its owner's roles allow *now*."""
        scopes = key.scopes & owner.scopes
        return cls(PrincipalKind.API_KEY, owner.id, owner.roles, scopes, api_key_id=key.id)

    @classmethod
    def system(cls) -> Principal:
        """The marketplace acting for itself (sweeps, claims, bootstrap). Operator rights."""
        return cls(PrincipalKind.SYSTEM, None, frozenset({Role.OPERATOR}), frozenset(Scope))
