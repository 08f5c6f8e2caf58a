"""A registration, signed by the key it registers: the proof that the caller holds it.

Registering cannot use a signed request (the server does not know the key yet),
so the registration document is itself signed. Its canonical form::

    plaza-registration-v1
    <audience>              the marketplace registered with (no replay at another)
    <signing key>           Ed25519 public key, hex
    <encryption key>        X25519 public key, hex
    <issued at ms>          decimal; must be within the freshness window
    <roles>                 sorted, comma-separated
    <display name>          no control characters, so it cannot add a line

The encryption key's possession is not proven (X25519 keys cannot sign). A
participant that registers someone else's encryption key only makes its own
replies unreadable to itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Final

from plaza.crypto import EncryptionPublicKey, PublicKey, SigningKey
from plaza.market.auth.model import Role, check_display_name, participant_id_for
from plaza.market.auth.ports import Clock

__all__ = ["REGISTRATION_DOMAIN", "Registration", "SignedRegistration", "sign_registration"]

REGISTRATION_DOMAIN: Final = "plaza-registration-v1"


@dataclass(frozen=True, slots=True)
class Registration:
    """What a participant asks to be registered as."""

    signing_key: PublicKey
    encryption_key: EncryptionPublicKey
    display_name: str
    roles: frozenset[Role]
    issued_at_ms: int

    def __post_init__(self) -> None:
        check_display_name(self.display_name)

    @property
    def participant_id(self) -> str:
        return participant_id_for(self.signing_key)

    def canonical(self, audience: str) -> bytes:
        """The bytes the signing key signs, for the marketplace named ``audience``."""
        if not audience or not audience.isprintable():
            raise ValueError("an audience is a non-empty printable string")
        fields = (
            REGISTRATION_DOMAIN,
            audience,
            self.signing_key.raw.hex(),
            self.encryption_key.raw.hex(),
            str(self.issued_at_ms),
            ",".join(sorted(self.roles)),
            self.display_name,
        )
        return "\n".join(fields).encode()


@dataclass(frozen=True, slots=True)
class SignedRegistration:
    registration: Registration
    signature: bytes = field(repr=False)


def sign_registration(
    key: SigningKey,
    encryption_key: EncryptionPublicKey,
    *,
    display_name: str,
    roles: Iterable[Role],
    audience: str,
    clock: Clock,
) -> SignedRegistration:
    """A registration of ``key`` for ``audience``, issued now, signed by ``key``."""
    registration = Registration(
        key.public_key, encryption_key, display_name, frozenset(roles), clock.now_ms()
    )
    return SignedRegistration(registration, key.sign(registration.canonical(audience)))
