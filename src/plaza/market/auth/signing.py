"""Signed requests: every call a participant or device makes is signed by its key.

The canonical form (version 1) is nine lines, UTF-8, joined by ``\\n``, no trailing
newline::

    plaza-request-v1            domain separation: never valid as any other signed text
    <audience>                  the marketplace addressed, so a request cannot be replayed
                                at another marketplace the participant also uses
    <METHOD>                    upper case
    <path>                      percent-decoded, then re-encoded (RFC 3986 unreserved and
                                "/" kept): the path the server routes on is what is signed
    <query>                     pairs decoded, re-encoded the same way, sorted, ``k=v&...``
    <participant id>            ``plz1…``, lower case
    <timestamp ms>              decimal milliseconds since the Unix epoch
    <nonce>                     16 to 64 random bytes, lower-case hex
    <body digest>               BLAKE2b-256 of the body, lower-case hex (see below)

The Ed25519 signature of those bytes travels with the id, timestamp and nonce in
the ``X-Plaza-*`` headers. The server rejects, in this order: malformed headers,
a timestamp outside ``±window`` of its clock, an unknown participant, a bad
signature, an excluded participant, then a nonce seen within the window. A nonce
is stored only after the signature verified, so nobody can burn another's
nonces; it is kept while ``now <= timestamp + window``, after which the request
is stale anyway. A client that retries must sign again (new nonce).

The body digest is ``BLAKE2b-256(body)`` for a plain body. For a body sealed to
the marketplace (:mod:`plaza.market.auth.envelope`) it is keyed with a random
salt that travels inside the sealed box: the signature is still over the
plaintext, but an eavesdropper who sees the headers cannot test guesses of it.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Final
from urllib.parse import parse_qsl, quote, unquote

from plaza.crypto import Address, InvalidAddress, SigningKey, blake2b_256, verify_signature
from plaza.market.auth.errors import (
    BadRequestSignature,
    MalformedSignedRequest,
    ParticipantExcluded,
    ReplayedRequest,
    StaleRequest,
    UnknownParticipant,
)
from plaza.market.auth.model import Participant, participant_id_for
from plaza.market.auth.ports import Clock, NonceStore, ParticipantStore

__all__ = [
    "DEFAULT_WINDOW_MS",
    "HEADER_NONCE",
    "HEADER_PARTICIPANT",
    "HEADER_SIGNATURE",
    "HEADER_TIMESTAMP",
    "NONCE_BYTES",
    "REQUEST_DOMAIN",
    "BodyDigest",
    "RequestVerifier",
    "canonical_request",
    "check_fresh",
    "remember_nonce",
    "sign_request",
]

REQUEST_DOMAIN: Final = "plaza-request-v1"
HEADER_PARTICIPANT: Final = "X-Plaza-Participant"
HEADER_TIMESTAMP: Final = "X-Plaza-Timestamp"
HEADER_NONCE: Final = "X-Plaza-Nonce"
HEADER_SIGNATURE: Final = "X-Plaza-Signature"

#: Five minutes either side: devices' clocks drift, and NTP-less ones drift more.
DEFAULT_WINDOW_MS: Final = 300_000
NONCE_BYTES: Final = 16
_MAX_NONCE_BYTES = 64
_DIGEST_SIZE = 32

_UNRESERVED = "-_.~"  # with ASCII letters and digits, which quote() never escapes
_METHOD = re.compile(r"[A-Z]{1,16}")
_TIMESTAMP = re.compile(r"[0-9]{1,16}")
_NONCE = re.compile(rf"(?:[0-9a-f]{{2}}){{{NONCE_BYTES},{_MAX_NONCE_BYTES}}}")
_SIGNATURE = re.compile(r"[0-9a-f]{128}")
_MAX_PATH = 2048


@dataclass(frozen=True, slots=True)
class BodyDigest:
    """The 32-byte digest that stands for a body in the canonical form."""

    raw: bytes

    def __post_init__(self) -> None:
        if len(self.raw) != _DIGEST_SIZE:
            raise ValueError(f"a body digest is {_DIGEST_SIZE} bytes")

    @classmethod
    def of(cls, body: bytes) -> BodyDigest:
        """The digest of a plain (unsealed) body."""
        return cls(blake2b_256(body))


def _encode(text: str) -> str:
    return quote(text, safe=_UNRESERVED)


def canonical_path(path: str) -> str:
    """Decode, then re-encode: ``/a%20b`` and ``/a b`` are one path, as the router sees it."""
    try:
        decoded = unquote(path, errors="strict")
    except UnicodeDecodeError:
        raise MalformedSignedRequest("path is not UTF-8") from None
    if not decoded.startswith("/") or len(decoded) > _MAX_PATH:
        raise MalformedSignedRequest(f"path must start with '/' and be under {_MAX_PATH} chars")
    return quote(decoded, safe="/" + _UNRESERVED)


def canonical_query(query: str | Iterable[tuple[str, str]]) -> str:
    """Pairs decoded (``+`` is a space), re-encoded, sorted; repeated keys all kept."""
    if isinstance(query, str):
        try:
            query = parse_qsl(query, keep_blank_values=True, errors="strict")
        except (UnicodeDecodeError, ValueError):
            raise MalformedSignedRequest("query is not UTF-8 key=value pairs") from None
    pairs = sorted((_encode(key), _encode(value)) for key, value in query)
    return "&".join(f"{key}={value}" for key, value in pairs)


def _check_audience(audience: str) -> None:
    if not audience or not audience.isprintable():
        raise ValueError("an audience is a non-empty printable string")


def canonical_request(
    *,
    audience: str,
    method: str,
    path: str,
    query: str | Iterable[tuple[str, str]],
    participant_id: str,
    timestamp_ms: int,
    nonce: str,
    body: bytes | BodyDigest,
) -> bytes:
    """The exact bytes that are signed; every field is single-line by construction."""
    _check_audience(audience)
    method = method.upper()
    if not _METHOD.fullmatch(method):
        raise MalformedSignedRequest("method must be 1 to 16 letters")
    digest = body if isinstance(body, BodyDigest) else BodyDigest.of(body)
    fields = (
        REQUEST_DOMAIN,
        audience,
        method,
        canonical_path(path),
        canonical_query(query),
        participant_id,
        str(timestamp_ms),
        nonce,
        digest.raw.hex(),
    )
    return "\n".join(fields).encode()


def sign_request(
    key: SigningKey,
    *,
    audience: str,
    method: str,
    path: str,
    query: str | Iterable[tuple[str, str]] = "",
    body: bytes | BodyDigest = b"",
    clock: Clock,
    nonce: str | None = None,
) -> dict[str, str]:
    """The four ``X-Plaza-*`` headers that authenticate one request by ``key``'s owner.

    ``nonce`` is for test vectors only; by default 16 fresh random bytes.
    For a sealed body pass the :class:`BodyDigest` that sealing returned.
    """
    participant_id = participant_id_for(key.public_key)
    timestamp_ms = clock.now_ms()
    nonce = secrets.token_hex(NONCE_BYTES) if nonce is None else nonce
    if not _NONCE.fullmatch(nonce):
        raise ValueError(f"a nonce is {NONCE_BYTES} to {_MAX_NONCE_BYTES} bytes of lower-case hex")
    message = canonical_request(
        audience=audience,
        method=method,
        path=path,
        query=query,
        participant_id=participant_id,
        timestamp_ms=timestamp_ms,
        nonce=nonce,
        body=body,
    )
    return {
        HEADER_PARTICIPANT: participant_id,
        HEADER_TIMESTAMP: str(timestamp_ms),
        HEADER_NONCE: nonce,
        HEADER_SIGNATURE: key.sign(message).hex(),
    }


@dataclass(frozen=True, slots=True)
class _Claimed:
    """What the headers claim, syntactically checked but not yet verified."""

    participant_id: str
    timestamp_ms: int
    nonce: str
    signature: bytes


def _header(headers: Mapping[str, str], name: str) -> str:
    value = headers.get(name.lower())
    if value is None:
        raise MalformedSignedRequest(f"header {name} is missing")
    return value.strip()


def _parse_headers(headers: Mapping[str, str]) -> _Claimed:
    lowered = {name.lower(): value for name, value in headers.items()}
    try:
        participant_id = str(Address.parse(_header(lowered, HEADER_PARTICIPANT)))
    except InvalidAddress:
        raise MalformedSignedRequest(f"{HEADER_PARTICIPANT} is not a plz1 address") from None
    timestamp = _header(lowered, HEADER_TIMESTAMP)
    if not _TIMESTAMP.fullmatch(timestamp):
        raise MalformedSignedRequest(f"{HEADER_TIMESTAMP} is not decimal milliseconds")
    nonce = _header(lowered, HEADER_NONCE)
    if not _NONCE.fullmatch(nonce):
        raise MalformedSignedRequest(f"{HEADER_NONCE} is not {NONCE_BYTES}+ bytes of hex")
    signature = _header(lowered, HEADER_SIGNATURE)
    if not _SIGNATURE.fullmatch(signature):
        raise MalformedSignedRequest(f"{HEADER_SIGNATURE} is not 64 bytes of hex")
    return _Claimed(participant_id, int(timestamp), nonce, bytes.fromhex(signature))


class RequestVerifier:
    """The server side: turns a request's headers into the participant who signed it.

    Holds the ports and settings so the HTTP layer makes one call per request.
    """

    def __init__(
        self,
        participants: ParticipantStore,
        nonces: NonceStore,
        clock: Clock,
        *,
        audience: str,
        window_ms: int = DEFAULT_WINDOW_MS,
    ) -> None:
        _check_audience(audience)
        if window_ms <= 0:
            raise ValueError("the freshness window must be positive")
        self._participants = participants
        self._nonces = nonces
        self._clock = clock
        self._audience = audience
        self._window_ms = window_ms

    @property
    def window_ms(self) -> int:
        return self._window_ms

    def verify_request(
        self,
        *,
        method: str,
        path: str,
        query: str | Iterable[tuple[str, str]],
        headers: Mapping[str, str],
        body: bytes | BodyDigest,
    ) -> Participant:
        """The verified, non-excluded participant; or an :class:`AuthError` saying why not."""
        claimed = _parse_headers(headers)
        now_ms = self._clock.now_ms()
        check_fresh(claimed.timestamp_ms, now_ms, self._window_ms)
        participant = self._participants.get(claimed.participant_id)
        if participant is None:
            raise UnknownParticipant(claimed.participant_id)
        message = canonical_request(
            audience=self._audience,
            method=method,
            path=path,
            query=query,
            participant_id=participant.id,
            timestamp_ms=claimed.timestamp_ms,
            nonce=claimed.nonce,
            body=body,
        )
        if not verify_signature(participant.signing_key.raw, message, claimed.signature):
            raise BadRequestSignature(participant.id)
        if participant.excluded:
            raise ParticipantExcluded(participant.id)
        remember_nonce(
            self._nonces,
            participant.id,
            claimed.nonce,
            timestamp_ms=claimed.timestamp_ms,
            now_ms=now_ms,
            window_ms=self._window_ms,
        )
        return participant


def check_fresh(timestamp_ms: int, now_ms: int, window_ms: int) -> None:
    """Refuse a signed text whose time is more than ``window_ms`` from ``now_ms``.

    Both wire shapes (request headers and letters) bound replays the same way: a
    nonce need only be remembered for as long as its text is fresh.
    """
    if abs(timestamp_ms - now_ms) > window_ms:
        raise StaleRequest(timestamp_ms, now_ms, window_ms)


def remember_nonce(
    nonces: NonceStore, sender: str, nonce: str, *, timestamp_ms: int, now_ms: int, window_ms: int
) -> None:
    """Spend ``sender``'s nonce, or refuse the replay; call only after the signature verified,
    so that nobody can burn another's nonces."""
    # The text is fresh up to timestamp + window inclusive; the entry may go after.
    expires_at_ms = timestamp_ms + window_ms + 1
    if not nonces.remember(sender, nonce, expires_at_ms=expires_at_ms, now_ms=now_ms):
        raise ReplayedRequest(sender, nonce)
