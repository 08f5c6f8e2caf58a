"""One marketplace connection: credentials on every request, sealed bodies, errors.

A request is authenticated by exactly one of: a signature by the client's
identity (:func:`~plaza.market.auth.sign_request` over method, path, query and
body digest, with a fresh nonce each time: a retry is a new request) or its
API key. With ``seal_bodies`` every JSON body is sealed to the marketplace's
encryption key first, and the signature covers the sealed box's salted digest.
The marketplace's keys and audience are read once from ``/info``.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

import httpx

from plaza.clients.errors import (
    ClientError,
    NodeUnreachableError,
    UnexpectedResponseError,
    api_error,
)
from plaza.clients.market.models import MarketInfo, parse_info
from plaza.clock import Clock, SystemClock
from plaza.crypto import Identity
from plaza.market.auth import BodyDigest, seal_body, sign_request

__all__ = ["MARKET_PREFIX", "Params", "SystemClock", "Transport"]

MARKET_PREFIX = "/api/v1/market"

Params = Mapping[str, object | None]


def _error_from(response: httpx.Response) -> ClientError:
    try:
        detail = response.json()["error"]
        code, message = str(detail["code"]), str(detail["message"])
    except (ValueError, KeyError, TypeError):
        code, message = f"http_{response.status_code}", response.text[:200]
    try:
        retry_after: float | None = float(response.headers["retry-after"])
    except (KeyError, ValueError):
        retry_after = None
    return api_error(response.status_code, code, message, retry_after)


def _query(params: Params | None) -> str:
    if not params:
        return ""
    return urlencode([(name, str(value)) for name, value in params.items() if value is not None])


class Transport:
    """Builds, authenticates, sends and checks requests; parsing is the caller's."""

    def __init__(
        self,
        base_url: str,
        *,
        identity: Identity | None,
        api_key: str | None,
        clock: Clock,
        timeout: float,
        seal_bodies: bool,
        http_transport: httpx.BaseTransport | None,
    ) -> None:
        if identity is not None and api_key is not None:
            raise ValueError("give an identity or an API key, not both: a request has one author")
        self.identity = identity
        self._api_key = api_key
        self._clock = clock
        self._seal = seal_bodies
        self._info: MarketInfo | None = None
        self._info_lock = threading.Lock()
        self._http = httpx.Client(
            base_url=base_url.rstrip("/"), timeout=timeout, transport=http_transport
        )

    def close(self) -> None:
        self._http.close()

    def health(self) -> bool:
        """``GET /health``, outside the API prefix; any failure is ``False``."""
        try:
            return self._http.get("/health").is_success
        except httpx.HTTPError:
            return False

    def info(self) -> MarketInfo:
        """The marketplace's audience and keys, fetched once."""
        with self._info_lock:
            if self._info is None:
                body = self.call("GET", "/info", auth=False)
                try:
                    self._info = parse_info(body)
                except (KeyError, TypeError, ValueError) as error:
                    raise UnexpectedResponseError(f"not marketplace info: {error!r}") from error
            return self._info

    def call(
        self,
        method: str,
        path: str,
        *,
        params: Params | None = None,
        body: Mapping[str, Any] | None = None,
        auth: bool = True,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        """Send one request and return its JSON (``None`` for an empty answer)."""
        request = self.build(method, path, params=params, body=body, auth=auth, headers=headers)
        response = self.send(request)
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError as error:
            raise UnexpectedResponseError(f"{method} {path}: not JSON") from error

    def build(
        self,
        method: str,
        path: str,
        *,
        params: Params | None = None,
        body: Mapping[str, Any] | None = None,
        auth: bool = True,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Request:
        target, query = MARKET_PREFIX + path, _query(params)
        content = b"" if body is None else json.dumps(body, separators=(",", ":")).encode()
        sent = dict(headers or {})
        if body is not None:
            sent["content-type"] = "application/json"
        digest: bytes | BodyDigest = content
        if self._seal and content:
            sealed = seal_body(content, self.info().encryption_key)
            content, digest = sealed.document, sealed.digest
        if auth:
            sent.update(self._credentials(method, target, query, digest))
        url = f"{target}?{query}" if query else target
        return self._http.build_request(method, url, content=content, headers=sent)

    def _credentials(
        self, method: str, path: str, query: str, digest: bytes | BodyDigest
    ) -> dict[str, str]:
        if self.identity is not None:
            return sign_request(
                self.identity.signing,
                audience=self.info().audience,
                method=method,
                path=path,
                query=query,
                body=digest,
                clock=self._clock,
            )
        if self._api_key is not None:
            return {"authorization": f"Bearer {self._api_key}"}
        return {}

    def send(self, request: httpx.Request, *, stream: bool = False) -> httpx.Response:
        """Send; an error answer becomes its :class:`~plaza.clients.node.ApiError`."""
        try:
            response = self._http.send(request, stream=stream)
        except httpx.TransportError as error:
            raise NodeUnreachableError(f"{request.method} {request.url}: {error!r}") from error
        if response.is_success:
            return response
        if stream:
            response.read()
            response.close()
        raise _error_from(response)
