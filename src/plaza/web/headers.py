"""The headers every answer of the web app carries, and the middleware that adds them.

A page may set one of them itself (the wallet widens its Content-Security-Policy to
let libsodium compile WebAssembly); the middleware adds only those it has not set.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["SECURITY_HEADERS", "SecurityHeaders", "with_images_from"]

#: Sent with every answer. ``style-src 'self'``: no inline style either (htmx's indicator
#: styles are turned off in base.html's htmx-config for that reason).
SECURITY_HEADERS = {
    "content-security-policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; "
        "form-action 'self'; frame-ancestors 'none'"
    ),
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=(), payment=()",
    "cross-origin-opener-policy": "same-origin",
}
_ENCODED = [(k.encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]


def with_images_from(policy: str, origin: str) -> str:
    """``policy`` letting images come from ``origin`` too (a map's tile server)."""
    return policy.replace("img-src 'self' data:", f"img-src 'self' data: {origin}")


class SecurityHeaders:
    """Adds :data:`SECURITY_HEADERS` to every response, streams included (pure ASGI, so an
    open event stream is not buffered); with ``images_from``, the policy lets images come
    from that origin too (the maps' tile server, from the settings)."""

    def __init__(self, app: ASGIApp, images_from: str | None = None) -> None:
        self.app = app
        self.encoded = _ENCODED
        if images_from is not None:
            headers = dict(SECURITY_HEADERS)
            policy = with_images_from(headers["content-security-policy"], images_from)
            headers["content-security-policy"] = policy
            self.encoded = [(k.encode(), v.encode()) for k, v in headers.items()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                own = {name.lower() for name, _ in headers}
                headers += [(k, v) for k, v in self.encoded if k not in own]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)
