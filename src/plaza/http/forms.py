"""A url-encoded form's fields, for every page that reads a posted form by hand (the web
app's and the verticals' dashboards): the first value of each name, blanks kept."""

from __future__ import annotations

from urllib.parse import parse_qsl

__all__ = ["form_fields"]


def form_fields(body: bytes, max_fields: int) -> dict[str, str] | None:
    """The fields of ``body``; None when it is not UTF-8 or has more than ``max_fields``."""
    try:
        pairs = parse_qsl(body.decode(), keep_blank_values=True, max_num_fields=max_fields)
    except (UnicodeDecodeError, ValueError):
        return None
    fields: dict[str, str] = {}
    for name, value in pairs:
        fields.setdefault(name, value)
    return fields
