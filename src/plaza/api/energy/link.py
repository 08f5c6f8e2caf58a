"""The :class:`~plaza.market.auth.outbox.Link` over HTTP: one pooled httpx client.

A peer that cannot be reached, or answers 5xx, is no refusal (the outbox retries
it); a peer that answers ``success: false`` refused, with its ``details``.
"""

from __future__ import annotations

from typing import Any

import httpx

from plaza.energy.errors import PeerFailed
from plaza.market.auth.outbox import read_details

__all__ = ["HttpLink"]


class HttpLink:
    """:class:`Link` over HTTP with one pooled client."""

    def __init__(self, *, timeout_s: float = 10.0, client: httpx.Client | None = None) -> None:
        self._client = client or httpx.Client(timeout=timeout_s)

    def post(self, url: str, path: str, document: bytes) -> dict[str, Any]:
        target = url.rstrip("/") + path
        try:
            response = self._client.post(
                target, content=document, headers={"content-type": "application/json"}
            )
        except httpx.HTTPError as error:
            raise PeerFailed(url, path, f"unreachable: {error}", refused=False) from None
        try:
            reply = response.json()
        except ValueError:
            reply = None
        if not isinstance(reply, dict):
            reason = f"HTTP {response.status_code} without a JSON reply"
            raise PeerFailed(url, path, reason, refused=response.status_code < 500)
        if response.status_code >= 500:
            raise PeerFailed(url, path, str(reply.get("error", "server error")), refused=False)
        if reply.get("success") is not True:
            reason = str(reply.get("error", "refused"))
            details = read_details(reply.get("details"))
            raise PeerFailed(url, path, reason, refused=True, details=details)
        return reply

    def close(self) -> None:
        self._client.close()
