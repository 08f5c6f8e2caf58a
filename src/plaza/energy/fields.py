"""The energy messages' field checks, in one place so every module refuses alike.

A letter's transaction, a registration's asset and an owner's device form are JSON
objects whose fields are checked one by one; a field that breaks its rule is an
:class:`~plaza.energy.errors.InvalidMessage` naming the field, so the sender knows what
to fix. Ids (:data:`ID`) are what a URL path, a log line and a SQL key can all hold.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from typing import Any, TypeVar

from plaza.energy.errors import InvalidMessage

__all__ = ["ID", "MAX_TEXT", "choice", "integer", "text"]

#: An asset's, transaction's or contract's id.
ID = re.compile(r"[A-Za-z0-9_.:-]{1,64}")
#: The longest text a field may hold unless it says otherwise.
MAX_TEXT = 256
_E = TypeVar("_E", bound=enum.StrEnum)


def text(
    data: Mapping[str, Any],
    name: str,
    *,
    required: bool = False,
    pattern: re.Pattern[str] | None = None,
    limit: int = MAX_TEXT,
) -> str:
    """The string ``data[name]`` (missing: empty); ``required``: not blank;
    ``pattern``: what a non-empty value must match."""
    value = data.get(name, "")
    if not isinstance(value, str):
        raise InvalidMessage(f"{name} must be a string")
    if required and not value.strip():
        raise InvalidMessage(f"{name} must be a non-empty string")
    if len(value) > limit:
        raise InvalidMessage(f"{name} is longer than {limit} characters")
    if value and pattern is not None and not pattern.fullmatch(value):
        raise InvalidMessage(f"{name} {value!r} is not a valid identifier")
    return value


def integer(
    data: Mapping[str, Any], name: str, *, low: int, high: int, default: int | None = None
) -> int:
    """The integer ``data[name]`` from ``low`` to ``high``; missing: ``default``, if any."""
    value = data.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidMessage(f"{name} must be an integer")
    if not low <= value <= high:
        raise InvalidMessage(f"{name} must be between {low} and {high}, got {value}")
    return value


def choice(data: Mapping[str, Any], name: str, kind: type[_E], *, default: _E | None = None) -> _E:
    """The member of ``kind`` spelled ``data[name]``; missing: ``default``, if any."""
    value = data.get(name)
    if value is None and default is not None:
        return default
    try:
        if not isinstance(value, str):
            raise ValueError(value)
        return kind(value)
    except ValueError:
        allowed = ", ".join(repr(member.value) for member in kind)
        raise InvalidMessage(f"{name} must be one of {allowed}, got {value!r}") from None
