"""A posted form as the dashboards' handlers read it, url-encoded or multipart.

Both shapes come back as one :class:`PostedForm`: the first value of each field and, for
multipart, the bytes of each file chosen (a file input left empty sends an unnamed empty
part, which is no file). The whole body is bounded before it is read: a multipart body
is taken only where files are (``max_file_bytes``) and needs a Content-Length within
twice that and the fields' bytes (a browser always sends one), so nothing unbounded is
spooled to disk; a file is read up to one byte more than ``max_file_bytes``, so the
handler can say it is too large beside its field.
"""

from __future__ import annotations

from fastapi import Request
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException

from plaza.http.forms import form_fields

__all__ = ["PostedForm", "read_form"]


class PostedForm(dict[str, str]):
    """The form's fields (the first of each name); ``files``: each chosen file's bytes."""

    def __init__(self, fields: dict[str, str], files: dict[str, bytes] | None = None) -> None:
        super().__init__(fields)
        self.files: dict[str, bytes] = dict(files or {})


async def read_form(
    request: Request, *, max_bytes: int, max_fields: int, max_file_bytes: int = 0
) -> PostedForm | None:
    """The form posted, or None: too long, malformed, or not a form at all."""
    kind = request.headers.get("content-type", "")
    if kind.startswith("multipart/form-data") and max_file_bytes > 0:
        return await _multipart(request, (max_bytes, max_file_bytes), max_fields=max_fields)
    body = await request.body()
    if len(body) > max_bytes:
        return None
    fields = form_fields(body, max_fields)
    if fields is None:
        return None
    return PostedForm(fields)


async def _multipart(
    request: Request, limits: tuple[int, int], *, max_fields: int
) -> PostedForm | None:
    max_bytes, max_file_bytes = limits
    length = request.headers.get("content-length", "")
    if not length.isdigit() or int(length) > max_bytes + 2 * max_file_bytes:
        return None
    fields: dict[str, str] = {}
    files: dict[str, bytes] = {}
    try:
        async with request.form(max_files=2, max_fields=max_fields) as parsed:
            for name, value in parsed.multi_items():
                if isinstance(value, UploadFile):
                    data = await value.read(max_file_bytes + 1)
                    if value.filename and name not in files:
                        files[name] = data
                else:
                    fields.setdefault(name, value)
    except HTTPException:  # Starlette's answer to a malformed or too-large multipart body
        return None
    return PostedForm(fields, files)
