"""A small OpenID Connect provider for the tests, served for real on loopback.

FastAPI and joserfc (Authlib's JOSE): discovery, an authorization endpoint that logs
in ``user`` at once (no login page: the tests are about the client) and sends the
browser back with a code, a token endpoint that checks the client's secret, the
redirect address and the PKCE verifier and signs an ID token (RS256) with the nonce,
and the JWKS. ``tamper`` makes the next ID tokens wrong in one way, so the tests can
see the client refuse each: ``"nonce"``, ``"audience"``, ``"issuer"``, ``"expired"``,
``"signature"`` (signed by a key not in the JWKS).
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

from plaza.api.serving import ThreadedServer

CLIENT_ID = "plaza-web"
CLIENT_SECRET = "a client secret for tests"


def _rsa(kid: str) -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": kid, "use": "sig", "alg": "RS256"})


@dataclass
class User:
    subject: str = "user-1"
    email: str = "oidc.person@example.org"
    email_verified: bool = True


@dataclass
class LoopbackProvider:
    """The provider's state: who logs in, the codes handed out, what to tamper with."""

    issuer: str = ""
    user: User = field(default_factory=User)
    tamper: str = ""
    key: RSAKey = field(default_factory=lambda: _rsa("test-key-1"))
    codes: dict[str, dict[str, str]] = field(default_factory=dict)
    tokens_issued: int = 0

    def id_token(self, grant: dict[str, str]) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer + ("/other" if self.tamper == "issuer" else ""),
            "sub": grant["subject"],
            "aud": "someone-else" if self.tamper == "audience" else CLIENT_ID,
            "iat": now,
            "exp": now - 3600 if self.tamper == "expired" else now + 300,
            "nonce": "not-the-nonce" if self.tamper == "nonce" else grant["nonce"],
            "email": grant["email"],
            "email_verified": grant["email_verified"] == "yes",
        }
        key = _rsa("test-key-1") if self.tamper == "signature" else self.key
        self.tokens_issued += 1
        return jwt.encode({"alg": "RS256", "kid": key.kid}, claims, key)


def _s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _client_ok(request: Request) -> bool:
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return False
    client_id, _, secret = base64.b64decode(encoded).decode().partition(":")
    return (unquote(client_id), unquote(secret)) == (CLIENT_ID, CLIENT_SECRET)  # RFC 6749 2.3.1


def provider_app(provider: LoopbackProvider) -> FastAPI:
    app = FastAPI()
    _discovery(app, provider)
    _authorization(app, provider)
    return app


def _discovery(app: FastAPI, provider: LoopbackProvider) -> None:
    @app.get("/.well-known/openid-configuration")
    def configuration() -> dict[str, Any]:
        return {
            "issuer": provider.issuer,
            "authorization_endpoint": provider.issuer + "/authorize",
            "token_endpoint": provider.issuer + "/token",
            "jwks_uri": provider.issuer + "/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
        }

    @app.get("/jwks")
    def jwks() -> dict[str, Any]:
        return KeySet([provider.key]).as_dict(private=False)


def _authorization(app: FastAPI, provider: LoopbackProvider) -> None:
    @app.get("/authorize")
    def authorize(request: Request) -> RedirectResponse:
        asked = request.query_params
        assert asked["response_type"] == "code"
        assert asked["client_id"] == CLIENT_ID
        assert asked["code_challenge_method"] == "S256"
        assert "openid" in asked["scope"].split()
        code = secrets.token_urlsafe(16)
        provider.codes[code] = {
            "redirect_uri": asked["redirect_uri"],
            "challenge": asked["code_challenge"],
            "nonce": asked["nonce"],
            "subject": provider.user.subject,
            "email": provider.user.email,
            "email_verified": "yes" if provider.user.email_verified else "no",
        }
        query = urlencode({"code": code, "state": asked["state"]})
        return RedirectResponse(f"{asked['redirect_uri']}?{query}", status_code=303)

    @app.post("/token", response_model=None)
    async def token(request: Request) -> JSONResponse:
        form = dict(parse_qsl((await request.body()).decode()))
        grant = provider.codes.pop(form.get("code", ""), None)
        if not _client_ok(request) or grant is None:
            return JSONResponse({"error": "invalid_grant"}, status_code=400)
        verifier = form.get("code_verifier", "")
        if form.get("grant_type") != "authorization_code" or _s256(verifier) != grant["challenge"]:
            return JSONResponse({"error": "invalid_grant"}, status_code=400)
        if form.get("redirect_uri") != grant["redirect_uri"]:
            return JSONResponse({"error": "invalid_grant"}, status_code=400)
        body = {"access_token": "at", "token_type": "Bearer", "id_token": provider.id_token(grant)}
        return JSONResponse(body)


@contextmanager
def serve_provider() -> Iterator[LoopbackProvider]:
    """The provider on a free loopback port; its ``issuer`` is its address."""
    provider = LoopbackProvider()
    with ThreadedServer(provider_app(provider)) as server:
        provider.issuer = server.url
        yield provider
