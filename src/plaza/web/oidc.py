"""OpenID Connect login (the authorization code flow) with any provider named in settings.

Discovery reads ``<issuer>/.well-known/openid-configuration`` (its ``issuer`` must be
the configured one, exactly). :meth:`OidcClient.begin` sends the browser to the
provider's authorization endpoint with a fresh ``state``, ``nonce`` and PKCE
challenge (S256; Authlib's helpers make them and the address), remembered here for
ten minutes and bound to the browser by a cookie holding the state.
:meth:`OidcClient.finish` accepts the callback once: the state must be pending and
the browser's, the code is exchanged at the token endpoint with the PKCE verifier
and the client secret (HTTP Basic), and the ID token must be signed by a key of the
provider's JWKS (fetched again once for an unknown key id) with an asymmetric
algorithm, and carry the issuer, this client as audience (and as ``azp`` if there
are several), an ``exp`` not passed, an ``iat``, a subject and the nonce.
JOSE is joserfc, Authlib's own successor to ``authlib.jose``.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import quote

import httpx
from authlib.common.security import generate_token
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from plaza.clock import Clock

__all__ = ["ALGORITHMS", "OidcClient", "OidcFailed", "OidcProvider", "Pending", "VerifiedIdentity"]

#: Asymmetric only: a symmetric (HS256) token would be signed with our own client secret.
ALGORITHMS: Final = ("RS256", "RS384", "RS512", "PS256", "ES256", "ES384", "EdDSA")
_PENDING_MS = 10 * 60_000
_MAX_PENDING = 10_000
_LEEWAY_S = 60


@dataclass(frozen=True, slots=True)
class OidcProvider:
    """A provider people may log in with: ``name`` is its slug in addresses, ``label`` what
    its button says; ``issuer`` exactly as its configuration names itself."""

    name: str
    label: str
    issuer: str
    client_id: str
    client_secret: str = field(repr=False)


class OidcFailed(Exception):
    """A login through a provider that did not complete; ``message`` says why, for people."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class Pending:
    """A login sent to a provider and not back yet."""

    provider: str
    state: str
    nonce: str
    verifier: str
    redirect_uri: str
    expires_at_ms: int


@dataclass(frozen=True, slots=True)
class VerifiedIdentity:
    """Who the provider says logged in; ``email`` only when the provider verified it."""

    issuer: str
    subject: str
    email: str | None


class OidcClient:
    """The providers' metadata and keys (cached), and the logins pending with them."""

    def __init__(
        self, providers: Sequence[OidcProvider], clock: Clock, http: httpx.Client | None = None
    ) -> None:
        self.providers = {provider.name: provider for provider in providers}
        self._clock = clock
        self._http = http or httpx.Client(timeout=10.0)
        self._lock = threading.Lock()
        self._pending: dict[str, Pending] = {}
        self._metadata: dict[str, dict[str, Any]] = {}
        self._keys: dict[str, KeySet] = {}

    def close(self) -> None:
        self._http.close()

    def begin(self, name: str, redirect_uri: str) -> tuple[str, Pending]:
        """The provider's authorization address for a new login, and what it waits for."""
        provider = self.providers[name]
        metadata = self._discover(provider)
        verifier = generate_token(64)
        pending = Pending(
            provider=name,
            state=generate_token(32),
            nonce=generate_token(32),
            verifier=verifier,
            redirect_uri=redirect_uri,
            expires_at_ms=self._clock.now_ms() + _PENDING_MS,
        )
        url = prepare_grant_uri(
            metadata["authorization_endpoint"],
            provider.client_id,
            "code",
            redirect_uri=redirect_uri,
            scope="openid email",
            state=pending.state,
            nonce=pending.nonce,
            code_challenge=create_s256_code_challenge(verifier),
            code_challenge_method="S256",
        )
        self._remember(pending)
        return str(url), pending

    def _remember(self, pending: Pending) -> None:
        now_ms = self._clock.now_ms()
        with self._lock:
            for state in [s for s, p in self._pending.items() if p.expires_at_ms <= now_ms]:
                del self._pending[state]
            if len(self._pending) >= _MAX_PENDING:  # the oldest login gives way
                del self._pending[next(iter(self._pending))]
            self._pending[pending.state] = pending

    def finish(self, name: str, state: str, code: str, browser_state: str) -> VerifiedIdentity:
        """The identity a callback proves, or :class:`OidcFailed`; each state works once."""
        with self._lock:
            pending = self._pending.pop(state, None) if state == browser_state else None
        if pending is None or pending.provider != name:
            raise OidcFailed("This login link is not one this browser started, or was used.")
        if pending.expires_at_ms <= self._clock.now_ms():
            raise OidcFailed("The login took longer than ten minutes: please start again.")
        provider = self.providers[name]
        id_token = self._exchange(provider, pending, code)
        claims = self._verify(provider, id_token, pending.nonce)
        verified = claims.get("email_verified") is True
        email = claims.get("email") if verified and isinstance(claims.get("email"), str) else None
        return VerifiedIdentity(provider.issuer, str(claims["sub"]), email)

    # -- talking to the provider ---------------------------------------------------------

    def _get_json(self, url: str, what: str) -> dict[str, Any]:
        try:
            reply = self._http.get(url)
            reply.raise_for_status()
            document = reply.json()
        except (httpx.HTTPError, ValueError) as error:
            raise OidcFailed(f"The login provider's {what} could not be read.") from error
        if not isinstance(document, dict):
            raise OidcFailed(f"The login provider's {what} is not a JSON object.")
        return document

    def _discover(self, provider: OidcProvider) -> dict[str, Any]:
        known = self._metadata.get(provider.name)
        if known is not None:
            return known
        url = provider.issuer.rstrip("/") + "/.well-known/openid-configuration"
        metadata = self._get_json(url, "configuration")
        if metadata.get("issuer") != provider.issuer:
            raise OidcFailed("The login provider's configuration names another issuer.")
        needed = ("authorization_endpoint", "token_endpoint", "jwks_uri")
        if not all(isinstance(metadata.get(field), str) for field in needed):
            raise OidcFailed("The login provider's configuration lacks an endpoint.")
        self._metadata[provider.name] = metadata
        return metadata

    def _exchange(self, provider: OidcProvider, pending: Pending, code: str) -> str:
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": pending.redirect_uri,
            "code_verifier": pending.verifier,
        }
        client = (quote(provider.client_id, safe=""), quote(provider.client_secret, safe=""))
        try:
            endpoint = self._discover(provider)["token_endpoint"]
            reply = self._http.post(endpoint, data=form, auth=client)
            tokens = reply.json()
        except (httpx.HTTPError, ValueError) as error:
            raise OidcFailed("The login provider's token endpoint did not answer.") from error
        if reply.status_code != 200 or not isinstance(tokens, dict):
            raise OidcFailed("The login provider refused to complete the login.")
        id_token = tokens.get("id_token")
        if not isinstance(id_token, str):
            raise OidcFailed("The login provider sent no ID token.")
        return id_token

    def _key_set(self, provider: OidcProvider, *, fresh: bool) -> KeySet:
        if fresh or provider.name not in self._keys:
            document = self._get_json(self._discover(provider)["jwks_uri"], "keys")
            try:
                self._keys[provider.name] = KeySet.import_key_set(document)  # type: ignore[arg-type]  # a JWKS document, checked by joserfc
            except (JoseError, ValueError, TypeError) as error:
                raise OidcFailed("The login provider's keys could not be read.") from error
        return self._keys[provider.name]

    def _verify(self, provider: OidcProvider, id_token: str, nonce: str) -> dict[str, Any]:
        try:
            try:
                token = jwt.decode(id_token, self._key_set(provider, fresh=False), ALGORITHMS)
            except JoseError:  # perhaps a key the provider added since: read them again once
                token = jwt.decode(id_token, self._key_set(provider, fresh=True), ALGORITHMS)
            claims = dict(token.claims)
            _claims_registry(provider, nonce, self._clock.now_ms() // 1000).validate(claims)
        except (JoseError, ValueError) as error:
            raise OidcFailed("The login provider's ID token did not verify.") from error
        audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
        if len(audiences) > 1 and claims.get("azp") != provider.client_id:
            raise OidcFailed("The login provider's ID token was made for another client.")
        return claims


def _claims_registry(provider: OidcProvider, nonce: str, now_s: int) -> jwt.JWTClaimsRegistry:
    return jwt.JWTClaimsRegistry(
        now=now_s,
        leeway=_LEEWAY_S,
        iss={"essential": True, "value": provider.issuer},
        aud={"essential": True, "value": provider.client_id},
        sub={"essential": True},
        exp={"essential": True},
        iat={"essential": True},
        nonce={"essential": True, "value": nonce},
    )
