"""Why the marketplace refused a caller, as one exception family.

Each error carries a stable ``code`` (for the API's one mapping table) and the
data a caller needs as attributes. Messages never contain a secret: no API key
secret, signature, key seed or body, only ids, times and reasons::

    AuthError
    ├── AuthenticationFailed          who is calling could not be established (401)
    │   ├── MalformedSignedRequest    signed-request headers missing or malformed
    │   ├── UnknownParticipant        no participant with that id is registered
    │   ├── BadRequestSignature       the signature does not cover this request
    │   ├── StaleRequest              timestamp outside the accepted window
    │   ├── ReplayedRequest           nonce already used within the window
    │   ├── WrongAudience             a letter addressed to someone else
    │   ├── SenderKeyMismatch         a letter's sender is known here under another key
    │   ├── BadDocumentSignature      a signed document its expected signer did not sign
    │   ├── MalformedApiKey           not an API key of the ``plz_<id>_<secret>`` form
    │   ├── UnknownApiKey             no such key, or the secret does not match it
    │   ├── RevokedApiKey             the key was revoked
    │   └── ExpiredApiKey             the key's expiry has passed
    ├── Forbidden                     the caller is known but may not do this (403)
    │   ├── ParticipantExcluded       excluded (after a claim); may not act
    │   └── ScopeNotAllowed           an API key asked for scopes its owner lacks
    ├── RegistrationRejected          a registration was refused (400)
    │   ├── InvalidProofOfPossession  not signed by the key it registers
    │   ├── StaleRegistration         issued outside the accepted window
    │   ├── PrivilegedRoleRequested   auditor/operator roles need an operator sponsor
    │   └── ParticipantExists         that signing key is registered already (409)
    ├── InvalidParticipant            a participant value breaks an invariant (400)
    ├── ParticipantNotFound           no participant with that id (404)
    ├── ApiKeyNotFound                no API key with that id (404)
    ├── InvalidApiKeyName             an API key's label is empty, too long or unprintable (400)
    ├── EnvelopeError                 a sealed body could not be used (400)
    │   ├── MalformedEnvelope         not a ``{"encrypted": "<base64>"}`` document
    │   └── EnvelopeNotOpened         not sealed to this key, or tampered with
    └── DeliveryFailed                a peer refused a letter (``refused``) or was not reached (502)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import TypeAlias

__all__ = [
    "NO_DETAILS",
    "ApiKeyNotFound",
    "AuthError",
    "AuthenticationFailed",
    "BadDocumentSignature",
    "BadRequestSignature",
    "DeliveryFailed",
    "Details",
    "EnvelopeError",
    "EnvelopeNotOpened",
    "ExpiredApiKey",
    "Forbidden",
    "InvalidApiKeyExpiry",
    "InvalidApiKeyName",
    "InvalidParticipant",
    "InvalidProofOfPossession",
    "MalformedApiKey",
    "MalformedEnvelope",
    "MalformedSignedRequest",
    "ParticipantExcluded",
    "ParticipantExists",
    "ParticipantNotFound",
    "PrivilegedRoleRequested",
    "RegistrationRejected",
    "ReplayedRequest",
    "RevokedApiKey",
    "ScopeNotAllowed",
    "SenderKeyMismatch",
    "StaleRegistration",
    "StaleRequest",
    "UnknownApiKey",
    "UnknownParticipant",
    "WrongAudience",
    "copy_details",
]


#: Structured facts of a refusal: a name to a string or a list of strings.
Details: TypeAlias = Mapping[str, str | list[str]]

#: A refusal without details.
NO_DETAILS: Details = MappingProxyType({})


def copy_details(details: Details) -> dict[str, str | list[str]]:
    """A copy of ``details`` that shares no list with it (a refusal keeps its own facts)."""
    return {
        name: value if isinstance(value, str) else list(value) for name, value in details.items()
    }


class AuthError(Exception):
    """Base of every error the marketplace's authentication and authorization raise."""

    code = "auth_error"


class AuthenticationFailed(AuthError):
    """The caller's identity could not be established; nothing was done."""

    code = "authentication_failed"


class MalformedSignedRequest(AuthenticationFailed):
    code = "malformed_signed_request"

    def __init__(self, reason: str) -> None:
        super().__init__(f"malformed signed request: {reason}")
        self.reason = reason


class UnknownParticipant(AuthenticationFailed):
    code = "unknown_participant"

    def __init__(self, participant_id: str) -> None:
        super().__init__(f"no participant {participant_id} is registered")
        self.participant_id = participant_id


class BadRequestSignature(AuthenticationFailed):
    code = "bad_request_signature"

    def __init__(self, participant_id: str) -> None:
        super().__init__(f"the request signature does not verify for {participant_id}")
        self.participant_id = participant_id


class StaleRequest(AuthenticationFailed):
    code = "stale_request"

    def __init__(self, timestamp_ms: int, now_ms: int, window_ms: int) -> None:
        super().__init__(
            f"request timestamp {timestamp_ms} is more than {window_ms} ms from now ({now_ms})"
        )
        self.timestamp_ms = timestamp_ms
        self.now_ms = now_ms
        self.window_ms = window_ms


class ReplayedRequest(AuthenticationFailed):
    code = "replayed_request"

    def __init__(self, participant_id: str, nonce: str) -> None:
        super().__init__(f"nonce {nonce} of {participant_id} was used already; sign a new request")
        self.participant_id = participant_id
        self.nonce = nonce


class WrongAudience(AuthenticationFailed):
    """A letter names its audience in clear text inside the signature: a recipient refuses
    one addressed to another, so a letter cannot be forwarded as if sent to it."""

    code = "wrong_audience"

    def __init__(self, audience: str, expected: str) -> None:
        super().__init__(f"the letter is addressed to {audience!r}, not {expected!r}")
        self.audience = audience
        self.expected = expected


class SenderKeyMismatch(AuthenticationFailed):
    """A letter's named sender is on record with another signing key."""

    code = "sender_key_mismatch"

    def __init__(self, sender: str) -> None:
        super().__init__(f"{sender!r} is registered with another key")
        self.sender = sender


class BadDocumentSignature(AuthenticationFailed):
    """A signed document (:mod:`~plaza.market.auth.documents`) names another signer, or its
    signature does not verify; ``reason`` says which, and is the whole message."""

    code = "bad_document_signature"

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class MalformedApiKey(AuthenticationFailed):
    """Deliberately without the offending text: it may be a mistyped secret."""

    code = "malformed_api_key"

    def __init__(self) -> None:
        super().__init__("not a Plaza API key (expected plz_<id>_<secret>)")


class UnknownApiKey(AuthenticationFailed):
    """No key with this id, or the secret does not match: one error, so ids cannot be probed."""

    code = "unknown_api_key"

    def __init__(self, key_id: str) -> None:
        super().__init__(f"API key {key_id} is not valid")
        self.key_id = key_id


class RevokedApiKey(AuthenticationFailed):
    code = "revoked_api_key"

    def __init__(self, key_id: str, revoked_at_ms: int) -> None:
        super().__init__(f"API key {key_id} was revoked at {revoked_at_ms}")
        self.key_id = key_id
        self.revoked_at_ms = revoked_at_ms


class Forbidden(AuthError):
    """The caller is authenticated but the policy does not allow the action."""

    code = "forbidden"

    def __init__(self, action: str, reason: str) -> None:
        super().__init__(f"not allowed to {action}: {reason}")
        self.action = action
        self.reason = reason


class ParticipantExcluded(Forbidden):
    code = "participant_excluded"

    def __init__(self, participant_id: str) -> None:
        super().__init__("act in the marketplace", f"participant {participant_id} is excluded")
        self.participant_id = participant_id


class ScopeNotAllowed(Forbidden):
    code = "scope_not_allowed"

    def __init__(self, scopes: Iterable[str]) -> None:
        self.scopes = tuple(sorted(scopes))
        super().__init__("grant " + ", ".join(self.scopes), "the key's owner does not hold them")


class RegistrationRejected(AuthError):
    code = "registration_rejected"


class InvalidProofOfPossession(RegistrationRejected):
    code = "invalid_proof_of_possession"

    def __init__(self) -> None:
        super().__init__("the registration is not signed by the signing key it registers")


class StaleRegistration(RegistrationRejected):
    code = "stale_registration"

    def __init__(self, issued_at_ms: int, now_ms: int, window_ms: int) -> None:
        super().__init__(
            f"registration issued at {issued_at_ms} is more than {window_ms} ms from now ({now_ms})"
        )
        self.issued_at_ms = issued_at_ms
        self.now_ms = now_ms
        self.window_ms = window_ms


class PrivilegedRoleRequested(RegistrationRejected):
    code = "privileged_role_requested"

    def __init__(self, roles: Iterable[str]) -> None:
        self.roles = tuple(sorted(roles))
        super().__init__(
            f"roles {', '.join(self.roles)} are granted by an operator, not self-assigned"
        )


class ParticipantExists(RegistrationRejected):
    code = "participant_exists"

    def __init__(self, participant_id: str) -> None:
        super().__init__(f"participant {participant_id} is registered already")
        self.participant_id = participant_id


class InvalidParticipant(AuthError):
    code = "invalid_participant"

    def __init__(self, reason: str) -> None:
        super().__init__(f"invalid participant: {reason}")
        self.reason = reason


class ParticipantNotFound(AuthError):
    code = "participant_not_found"

    def __init__(self, participant_id: str) -> None:
        super().__init__(f"no participant {participant_id}")
        self.participant_id = participant_id


class ApiKeyNotFound(AuthError):
    code = "api_key_not_found"

    def __init__(self, key_id: str) -> None:
        super().__init__(f"no API key {key_id}")
        self.key_id = key_id


class ExpiredApiKey(AuthenticationFailed):
    code = "expired_api_key"

    def __init__(self, key_id: str, expired_at_ms: int) -> None:
        super().__init__(f"API key {key_id} expired at {expired_at_ms}")
        self.key_id = key_id
        self.expired_at_ms = expired_at_ms


class InvalidApiKeyExpiry(AuthError):
    code = "invalid_api_key_expiry"

    def __init__(self, reason: str) -> None:
        super().__init__(f"an API key's expiry {reason}")


class InvalidApiKeyName(AuthError):
    code = "invalid_api_key_name"

    def __init__(self, limit: int) -> None:
        super().__init__(f"an API key name has 1 to {limit} printable characters")
        self.limit = limit


class EnvelopeError(AuthError):
    code = "envelope_error"


class MalformedEnvelope(EnvelopeError):
    code = "malformed_envelope"

    def __init__(self, reason: str) -> None:
        super().__init__(f"malformed sealed body: {reason}")
        self.reason = reason


class EnvelopeNotOpened(EnvelopeError):
    """One error for every cause (wrong key, tampering, truncation): no decryption oracle."""

    code = "envelope_not_opened"

    def __init__(self) -> None:
        super().__init__("the sealed body could not be opened with this key")


class DeliveryFailed(AuthError):
    """A peer answered a letter with ``success: false`` (``refused``: it would refuse it
    again) or not at all (``refused`` false: worth retrying).

    :attr:`peer_details` are the peer's structured facts of its refusal (empty when it
    gave none); an agent acts on them, never on the wording of ``reason``.
    """

    code = "delivery_failed"

    def __init__(
        self, peer: str, path: str, reason: str, *, refused: bool, details: Details = NO_DETAILS
    ) -> None:
        super().__init__(f"{peer}{path}: {reason}")
        self.peer = peer
        self.path = path
        self.reason = reason
        self.refused = refused
        self.peer_details = copy_details(details)
