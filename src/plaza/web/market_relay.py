"""The relay of requests the browser signed to the marketplace's HTTP API.

A person's orders are signed in their browser, by the key their browser wallet made
(``static/dashboard/signing.js``, the canonical form of
:mod:`plaza.market.auth.signing`); the page's Content-Security-Policy keeps every
connection on this origin, so they reach the marketplace through here:
``/dashboard/market/api/v1/market/<path>`` is sent on to ``<market>/api/v1/market/<path>``,
the path the browser signed, with the four ``X-Plaza-*`` headers, the body and an
``Idempotency-Key`` unchanged. This server adds no credential of its own: the
marketplace verifies the person's signature and answers as it would answer them
(its event stream too, passed through as it comes). What crosses is public keys,
signatures and orders; no private key ever does.

Only a logged-in person's page may use it, and every change carries the page's
CSRF token (``X-CSRF-Token``), as every form on this site does. Refusals are JSON
``{"error": …}``: 401 logged out, 403 no token, 404 no marketplace here or a path
outside the marketplace's API, 413 too large a body, 503 a marketplace that does not
answer.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from starlette.background import BackgroundTask

from plaza.web.sessions import CsrfRefused, check_csrf, viewer_of

__all__ = ["MARKET_PREFIX", "router"]

router = APIRouter(include_in_schema=False)
#: The marketplace API's own prefix: the only paths relayed.
MARKET_PREFIX = "/api/v1/market/"
_PATH = re.compile(r"[A-Za-z0-9._~/-]{1,512}")
_PASSED = ("x-plaza-participant", "x-plaza-timestamp", "x-plaza-nonce", "x-plaza-signature")
_MAX_BODY = 64 * 1024
_TIMEOUT = httpx.Timeout(15.0, connect=5.0)
#: An event stream is quiet between events (the marketplace sends a keepalive now and then):
#: no read timeout; it ends when the marketplace ends it or the browser leaves.
_STREAMING = httpx.Timeout(15.0, connect=5.0, read=None)
_NO_STORE = {"cache-control": "no-store"}


def _refuse(status: int, error: str) -> JSONResponse:
    return JSONResponse({"error": error}, status_code=status, headers=_NO_STORE)


def _check(request: Request, path: str) -> str | JSONResponse:
    """The marketplace URL to send the request to, or the refusal."""
    market: str | None = request.app.state.sources.market_url
    if market is None:
        return _refuse(404, "this site is not connected to a marketplace")
    if viewer_of(request).account is None:
        return _refuse(401, "log in to use the marketplace from your dashboard")
    target = "/" + path
    if not _PATH.fullmatch(path) or "//" in target or "/." in target:
        return _refuse(404, "not a path of the marketplace's API")
    if not target.startswith(MARKET_PREFIX):
        return _refuse(404, "not a path of the marketplace's API")
    if request.method != "GET":
        try:
            check_csrf(request, {"csrf": request.headers.get("x-csrf-token", "")})
        except CsrfRefused as refused:
            return _refuse(403, refused.message)
    return market.rstrip("/") + target


def _headers(request: Request) -> dict[str, str]:
    headers = {name: request.headers[name] for name in _PASSED if name in request.headers}
    for name in ("content-type", "idempotency-key"):
        if name in request.headers:
            headers[name] = request.headers[name]
    return headers


@router.api_route(
    "/dashboard/market/{path:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"]
)
async def relay(request: Request, path: str) -> Response:
    """The marketplace's answer to the signed request, status and body as they came."""
    target = _check(request, path)
    if isinstance(target, JSONResponse):
        return target
    body = await request.body()
    if len(body) > _MAX_BODY:
        return _refuse(413, f"a request to the marketplace is at most {_MAX_BODY} bytes")
    client = httpx.AsyncClient(timeout=_TIMEOUT, trust_env=False)
    outgoing = client.build_request(
        request.method,
        target,
        params=list(request.query_params.multi_items()),
        headers=_headers(request),
        content=body,
        timeout=_STREAMING if target.endswith("/events") else _TIMEOUT,
    )
    try:
        answer = await client.send(outgoing, stream=True)
    except httpx.HTTPError:
        await client.aclose()
        return _refuse(503, "the marketplace does not answer; try again in a moment")
    media = answer.headers.get("content-type", "application/json")
    if media.startswith("text/event-stream"):
        return _stream(client, answer)
    try:
        content = await answer.aread()
    finally:
        await answer.aclose()
        await client.aclose()
    return Response(content, status_code=answer.status_code, media_type=media, headers=_NO_STORE)


def _stream(client: httpx.AsyncClient, answer: httpx.Response) -> StreamingResponse:
    """The marketplace's event stream, passed through as each event comes."""

    async def chunks() -> AsyncIterator[bytes]:
        try:
            async for chunk in answer.aiter_raw():
                yield chunk
        except httpx.HTTPError:
            return  # the marketplace went away: the stream ends, and the page reconnects

    async def close() -> None:
        await answer.aclose()
        await client.aclose()

    headers = {**_NO_STORE, "x-accel-buffering": "no"}
    return StreamingResponse(
        chunks(),
        status_code=answer.status_code,
        media_type="text/event-stream",
        headers=headers,
        background=BackgroundTask(close),
    )
