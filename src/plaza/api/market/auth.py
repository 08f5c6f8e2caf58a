"""Who is calling: signed requests, API keys, and the sealed bodies both may carry.

Two pieces, because of the order FastAPI works in (it parses a route's body
before it runs the route's dependencies):

* :class:`BodyGate`, an ASGI middleware, reads every request body first, refuses
  one over the limit (413), and opens a sealed ``{"encrypted": ...}`` body with
  the marketplace's encryption key, so routes parse the plaintext as usual. The
  digest the signature must cover (keyed with the box's salt) is left in the scope.
* :func:`optional_caller` / :func:`required_caller`, the dependencies, turn the
  ``X-Plaza-*`` headers (verified over method, path, query and body digest by
  :class:`~plaza.market.auth.RequestVerifier`) or an ``Authorization: Bearer
  plz_...`` key into a :class:`~plaza.market.auth.Principal`. Sending both is
  refused: a request has one author.

Verification reads the participant and nonce stores, so it runs on the thread pool.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from plaza.api.errors import RequestProblem, error_response
from plaza.api.market.services import MarketServices
from plaza.crypto import EncryptionKey
from plaza.market.auth import (
    HEADER_NONCE,
    HEADER_PARTICIPANT,
    HEADER_SIGNATURE,
    HEADER_TIMESTAMP,
    AuthenticationFailed,
    BodyDigest,
    EnvelopeError,
    MalformedApiKey,
    MalformedSignedRequest,
    Principal,
    is_sealed,
    open_body,
)

__all__ = [
    "BodyGate",
    "CallerDep",
    "MaybeCallerDep",
    "ServicesDep",
    "optional_caller",
    "required_caller",
]

#: Where :class:`BodyGate` leaves the digest of an opened sealed body.
_SEALED_DIGEST = "plaza.sealed_digest"
_SIGNATURE_HEADERS = (HEADER_PARTICIPANT, HEADER_TIMESTAMP, HEADER_NONCE, HEADER_SIGNATURE)


class _Disconnected(Exception):
    """The client went away while sending its body: nobody is left to answer."""


async def _read_body(receive: Receive, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise _Disconnected
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise RequestProblem(413, "request_too_large", f"the body exceeds {limit} bytes")
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replaying(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that hands out ``body`` once, then waits on the client (disconnects)."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


class BodyGate:
    """Bound every body; open sealed ones before routing (see the module docstring)."""

    def __init__(self, app: ASGIApp, *, key: EncryptionKey, max_body_bytes: int) -> None:
        self._app = app
        self._key = key
        self._limit = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        try:
            body = await _read_body(receive, self._limit)
            if body and is_sealed(body):
                opened = open_body(body, self._key)
                body = opened.body
                scope[_SEALED_DIGEST] = opened.digest
        except _Disconnected:
            return
        except RequestProblem as problem:
            refusal = error_response(problem.status, problem.code, problem.message)
            await refusal(scope, receive, send)
            return
        except EnvelopeError as error:
            await error_response(400, error.code, str(error))(scope, receive, send)
            return
        await self._app(scope, _replaying(body, receive), send)


async def get_services(request: Request) -> MarketServices:
    services: MarketServices = request.app.state.services
    return services


def _signed_path(scope: Scope) -> str:
    """The path as the client sent it (still percent-encoded): what its signature covers."""
    raw = scope.get("raw_path")
    if not raw:
        return quote(scope["path"])
    try:
        return bytes(raw).decode("ascii")
    except UnicodeDecodeError:
        raise MalformedSignedRequest("the path is not ASCII") from None


async def _verify_signed(request: Request, services: MarketServices) -> Principal:
    body = await request.body()
    digest = request.scope.get(_SEALED_DIGEST) or BodyDigest.of(body)
    participant = await run_in_threadpool(
        services.verifier.verify_request,
        method=request.method,
        path=_signed_path(request.scope),
        query=request.scope.get("query_string", b"").decode("latin-1"),
        headers=request.headers,
        body=digest,
    )
    return Principal.of_participant(participant)


async def optional_caller(
    request: Request, services: Annotated[MarketServices, Depends(get_services)]
) -> Principal | None:
    """The verified caller, or ``None`` for an anonymous request (public reads)."""
    signed = any(name in request.headers for name in _SIGNATURE_HEADERS)
    authorization = request.headers.get("authorization")
    if signed and authorization is not None:
        raise RequestProblem(
            400, "invalid_request", "authenticate with a signature or an API key, not both"
        )
    if signed:
        return await _verify_signed(request, services)
    if authorization is None:
        return None
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise MalformedApiKey
    return await run_in_threadpool(services.api_keys.authenticate, token.strip())


async def required_caller(
    caller: Annotated[Principal | None, Depends(optional_caller)],
) -> Principal:
    """The verified caller; anonymous requests are refused with 401."""
    if caller is None:
        raise AuthenticationFailed(
            "sign the request (X-Plaza-* headers) or send an API key (Authorization: Bearer)"
        )
    return caller


ServicesDep = Annotated[MarketServices, Depends(get_services)]
MaybeCallerDep = Annotated[Principal | None, Depends(optional_caller)]
CallerDep = Annotated[Principal, Depends(required_caller)]
