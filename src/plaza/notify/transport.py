"""The httpx transport that connects only where a :class:`~plaza.notify.callbacks.CallbackPolicy`
allows: every address is checked at the moment it connects, and connected to as
checked, so no second DNS lookup can swap it (see :mod:`plaza.notify.callbacks`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import httpcore
import httpx

from plaza.notify.callbacks import CallbackPolicy
from plaza.notify.errors import InvalidSubscription

__all__ = ["guarded_transport"]


class _GuardedBackend(httpcore.SyncBackend):
    """Connects only to addresses the policy allows, looked up once, at connect time."""

    def __init__(self, policy: CallbackPolicy) -> None:
        self._policy = policy

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        try:
            addresses = self._policy.addresses(host, port)
        except InvalidSubscription as error:
            raise httpcore.ConnectError(f"refused: {error.reason}") from None
        failure: httpcore.ConnectError | None = None
        for address in addresses:
            try:
                return super().connect_tcp(address, port, timeout, local_address, socket_options)
            except httpcore.ConnectError as error:
                failure = error
        assert failure is not None  # addresses is never empty
        raise failure


def guarded_transport(policy: CallbackPolicy) -> httpx.HTTPTransport:
    """An httpx transport that connects only where ``policy`` allows (see the module doc).

    Use it with ``httpx.Client(transport=..., trust_env=False)``: a proxy taken from the
    environment would connect in the transport's place.
    """
    transport = httpx.HTTPTransport()
    if not policy.allow_private:
        pool = transport._pool  # httpx keeps its httpcore pool here; the backend is its own
        if not hasattr(pool, "_network_backend"):
            raise RuntimeError("this httpcore version cannot take a guarded network backend")
        pool._network_backend = _GuardedBackend(policy)
    return transport
