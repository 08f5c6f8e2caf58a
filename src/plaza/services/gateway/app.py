"""``plaza service gateway``'s HTTP face: 402 with an offer, or the upstream's answer, paid.

Every path but ``/.plaza/usage`` is the upstream's. A request without
``Payment-Proof`` gets ``402`` with the offer in the ``Payment-Required`` header
(base64 JSON) and in the body; one with a proof that passes is forwarded (method,
path, query, body and content type) and answered with the upstream's status and
body, and a ``Payment-Receipt`` header saying whether the hold was released
(status below 400) or refunded. A proof that does not pass is 400
``invalid_proof``, 402 ``payment_pending`` or 409 ``proof_used``; an upstream that
cannot be reached is 502, refunded. ``GET /.plaza/usage`` counts offers by how
they ended, and the revenue, for the provider; ``GET /.plaza/usage/{offer id}`` is one
call's record (how it ended, the upstream's status, the hold that paid it) for the
client, who alone knows its offer's id besides the gateway.
"""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool

from plaza.crypto import blake2b
from plaza.http.bodies import read_limited
from plaza.services.gateway.desk import GatewayDesk, ProofRefused
from plaza.services.offers import request_digest

__all__ = ["create_gateway_app"]

_BODY_LIMIT = 1 << 20
_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]
_FORWARDED = ("content-type", "accept")


class _TooLarge(Exception):
    pass


def _error(status: int, code: str, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}, **extra}, status_code=status)


def _target(request: Request) -> bytes:
    query = request.scope.get("query_string", b"")
    path: bytes = request.scope.get("raw_path") or request.url.path.encode()
    return path + (b"?" + query if query else b"")


def create_gateway_app(desk: GatewayDesk, upstream: str, http: httpx.Client) -> FastAPI:
    """The usage routes, and every other path the upstream's, paid (see the module docstring)."""
    app = FastAPI(title="plaza service gateway", openapi_url=None, docs_url=None, redoc_url=None)

    @app.get("/.plaza/usage")
    def usage() -> dict[str, int]:
        return desk.book.usage()

    @app.get("/.plaza/usage/{offer_id}", response_model=None)
    def one_call(offer_id: str) -> JSONResponse | dict[str, Any]:
        return _call_record(desk, offer_id)

    @app.api_route("/{path:path}", methods=_METHODS, response_model=None)
    async def proxy(request: Request, path: str) -> Response:
        return await _proxy(desk, upstream, http, request)

    return app


def _call_record(desk: GatewayDesk, offer_id: str) -> JSONResponse | dict[str, Any]:
    """One call's record, for the client who holds its offer id (16 random bytes,
    given to the one who asked): how it ended, its status, the hold that paid it."""
    try:
        raw = bytes.fromhex(offer_id)
    except ValueError:
        raw = b""
    stored = desk.book.get(raw) if len(raw) == 16 else None
    if stored is None:
        return _error(404, "not_found", "this gateway made no such offer")
    return {
        "offer_id": offer_id,
        "state": stored.state,
        "price": stored.price,
        "status": stored.status,
        "hold_id": None if stored.hold_id is None else stored.hold_id.hex(),
    }


async def _proxy(
    desk: GatewayDesk, upstream: str, http: httpx.Client, request: Request
) -> Response:
    """A 402 with an offer for a request without a proof; the upstream's answer, with its
    receipt, for one whose proof passes."""
    try:
        body = await read_limited(request, _BODY_LIMIT, _TooLarge)
    except _TooLarge:
        return _error(413, "too_large", f"the body is over {_BODY_LIMIT} bytes")
    target = _target(request)
    digest = request_digest(request.method, target, body)
    proof = request.headers.get("payment-proof")
    if proof is None:
        return await _payment_required(desk, digest)
    try:
        claimed = await run_in_threadpool(desk.check, proof, digest)
    except ProofRefused as refused:
        return _error(refused.status, refused.code, refused.message)
    status, content, kind = await run_in_threadpool(_forward, http, upstream, request, target, body)
    receipt = desk.receipt(claimed, status, blake2b(content))
    headers = {"Payment-Receipt": receipt.header()}
    closing = BackgroundTask(desk.close, claimed, status)  # after the answer is sent
    return Response(
        content, status_code=status, headers=headers, media_type=kind, background=closing
    )


async def _payment_required(desk: GatewayDesk, digest: bytes) -> JSONResponse:
    """402: a new offer for the request ``digest`` names, in the header and the body."""
    offer = await run_in_threadpool(desk.offer, digest)
    headers = {"Payment-Required": offer.header()}
    refusal = _error(
        402, "payment_required", "pay the offer, then send the proof", offer=offer.to_json()
    )
    refusal.headers.update(headers)
    return refusal


def _forward(
    http: httpx.Client, upstream: str, request: Request, target: bytes, body: bytes
) -> tuple[int, bytes, str | None]:
    """The upstream's status, body and content type; 502 if it cannot be reached."""
    headers = {k: v for k, v in request.headers.items() if k.lower() in _FORWARDED}
    try:
        answer = http.request(
            request.method, upstream.rstrip("/") + target.decode(), content=body, headers=headers
        )
    except httpx.HTTPError as error:
        return 502, f"the upstream could not be reached: {error}".encode(), "text/plain"
    return answer.status_code, answer.content, answer.headers.get("content-type")
