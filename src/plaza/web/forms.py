"""Reading a posted HTML form (``application/x-www-form-urlencoded``) without a new package.

A form is a few short fields: the body is capped, the field count too, and a body that
is not UTF-8 or not a form is a 400 that says so, never a 500.
"""

from __future__ import annotations

from fastapi import Request

from plaza.http.forms import form_fields
from plaza.web.errors import BadInput

__all__ = ["MAX_FORM_BYTES", "form_of"]

MAX_FORM_BYTES = 16_384
_MAX_FIELDS = 20
_FORM = "application/x-www-form-urlencoded"


async def form_of(request: Request) -> dict[str, str]:
    """The posted fields (the first of each name); a dependency of every POST page."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != _FORM:
        raise BadInput("form", f"send it as {_FORM}")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            raise BadInput("form", f"at most {MAX_FORM_BYTES} bytes")
    fields = form_fields(body, _MAX_FIELDS)
    if fields is None:
        raise BadInput("form", f"a UTF-8 form of at most {_MAX_FIELDS} fields")
    return fields
