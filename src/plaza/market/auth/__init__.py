"""Participants, signed requests, sealed bodies, API keys and the authorization policy.

Framework-free pieces the marketplace's HTTP layer calls:

* :mod:`.model` - :class:`Participant`, :class:`Principal`, :class:`ApiKey`, roles, scopes;
* :mod:`.signing` - :func:`sign_request` for clients, :class:`RequestVerifier` for the server;
* :mod:`.envelope` - the ``{"encrypted": ...}`` sealed body, both directions;
* :mod:`.letters` / :mod:`.documents` - the signed request as a sealed letter, and
  signed documents that stay verifiable afterwards;
* :mod:`.outbox` / :mod:`.questions` - letters delivered later by jobs, and questions
  answered at once by a signed document;
* :mod:`.apikeys` - :class:`ApiKeyService` (create, revoke, authenticate);
* :mod:`.service` - :class:`ParticipantRegistry` (register with proof of possession, exclude...);
* :mod:`.policy` - ``check_can_read`` / ``check_can_write`` and friends;
* :mod:`.ports` / :mod:`.memory` - the stores, and their in-memory adapters
  (SQL adapters: :mod:`plaza.market.sql`);
* :mod:`.errors` - the :class:`AuthError` family.
"""

from plaza.market.auth.apikeys import ApiKeySecret, ApiKeyService, IssuedApiKey, Pepper
from plaza.market.auth.documents import DocumentFormat
from plaza.market.auth.envelope import OpenedBody, SealedBody, is_sealed, open_body, seal_body
from plaza.market.auth.errors import (
    ApiKeyNotFound,
    AuthenticationFailed,
    AuthError,
    BadDocumentSignature,
    BadRequestSignature,
    DeliveryFailed,
    EnvelopeError,
    EnvelopeNotOpened,
    ExpiredApiKey,
    Forbidden,
    InvalidApiKeyExpiry,
    InvalidApiKeyName,
    InvalidParticipant,
    InvalidProofOfPossession,
    MalformedApiKey,
    MalformedEnvelope,
    MalformedSignedRequest,
    ParticipantExcluded,
    ParticipantExists,
    ParticipantNotFound,
    PrivilegedRoleRequested,
    RegistrationRejected,
    ReplayedRequest,
    RevokedApiKey,
    ScopeNotAllowed,
    StaleRegistration,
    StaleRequest,
    UnknownApiKey,
    UnknownParticipant,
)
from plaza.market.auth.memory import MemoryApiKeyStore, MemoryNonceStore, MemoryParticipantStore
from plaza.market.auth.model import (
    ROLE_SCOPES,
    ApiKey,
    Participant,
    Principal,
    PrincipalKind,
    Role,
    Scope,
    Visibility,
    participant_id_for,
)
from plaza.market.auth.policy import (
    check_can_audit,
    check_can_operate,
    check_can_read,
    check_can_write,
    check_is_self,
)
from plaza.market.auth.ports import ApiKeyStore, NonceStore, ParticipantStore
from plaza.market.auth.registration import Registration, SignedRegistration, sign_registration
from plaza.market.auth.service import ParticipantRegistry
from plaza.market.auth.signing import (
    DEFAULT_WINDOW_MS,
    HEADER_NONCE,
    HEADER_PARTICIPANT,
    HEADER_SIGNATURE,
    HEADER_TIMESTAMP,
    BodyDigest,
    RequestVerifier,
    canonical_request,
    sign_request,
)

__all__ = [
    "DEFAULT_WINDOW_MS",
    "HEADER_NONCE",
    "HEADER_PARTICIPANT",
    "HEADER_SIGNATURE",
    "HEADER_TIMESTAMP",
    "ROLE_SCOPES",
    "ApiKey",
    "ApiKeyNotFound",
    "ApiKeySecret",
    "ApiKeyService",
    "ApiKeyStore",
    "AuthError",
    "AuthenticationFailed",
    "BadDocumentSignature",
    "BadRequestSignature",
    "BodyDigest",
    "DeliveryFailed",
    "DocumentFormat",
    "EnvelopeError",
    "EnvelopeNotOpened",
    "ExpiredApiKey",
    "Forbidden",
    "InvalidApiKeyExpiry",
    "InvalidApiKeyName",
    "InvalidParticipant",
    "InvalidProofOfPossession",
    "IssuedApiKey",
    "MalformedApiKey",
    "MalformedEnvelope",
    "MalformedSignedRequest",
    "MemoryApiKeyStore",
    "MemoryNonceStore",
    "MemoryParticipantStore",
    "NonceStore",
    "OpenedBody",
    "Participant",
    "ParticipantExcluded",
    "ParticipantExists",
    "ParticipantNotFound",
    "ParticipantRegistry",
    "ParticipantStore",
    "Pepper",
    "Principal",
    "PrincipalKind",
    "PrivilegedRoleRequested",
    "Registration",
    "RegistrationRejected",
    "ReplayedRequest",
    "RequestVerifier",
    "RevokedApiKey",
    "Role",
    "Scope",
    "ScopeNotAllowed",
    "SealedBody",
    "SignedRegistration",
    "StaleRegistration",
    "StaleRequest",
    "UnknownApiKey",
    "UnknownParticipant",
    "Visibility",
    "canonical_request",
    "check_can_audit",
    "check_can_operate",
    "check_can_read",
    "check_can_write",
    "check_is_self",
    "is_sealed",
    "open_body",
    "participant_id_for",
    "seal_body",
    "sign_registration",
    "sign_request",
]
