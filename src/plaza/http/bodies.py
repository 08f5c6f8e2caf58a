"""Request bodies read with a ceiling, for the endpoints that read their body by hand.

Starlette would buffer any body it is sent; an endpoint that reads the stream
itself stops as soon as the ceiling is passed (and refuses a declared
``Content-Length`` past it before reading anything), raising the caller's own
error so each API keeps its own error shape.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Request

__all__ = ["read_limited"]


async def read_limited(request: Request, limit: int, too_large: Callable[[], Exception]) -> bytes:
    """The body, or ``too_large()`` raised once it (or its declared length) passes ``limit``."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large()
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large()
        chunks.append(chunk)
    return b"".join(chunks)
