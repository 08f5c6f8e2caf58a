"""Why a vertical could not be registered or mounted.

::

    VerticalError
    ├── InvalidVertical     an entry point or declaration that is not a usable vertical
    └── VerticalConflict    its name, a kind, a command or a route is another's already
"""

from __future__ import annotations

__all__ = ["InvalidVertical", "VerticalConflict", "VerticalError"]


class VerticalError(Exception):
    """Base of every error of the vertical registry."""

    code = "vertical_error"


class InvalidVertical(VerticalError):
    code = "invalid_vertical"

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"vertical {name!r} cannot be used: {reason}")
        self.name = name
        self.reason = reason


class VerticalConflict(VerticalError):
    code = "vertical_conflict"

    def __init__(self, name: str, what: str, holder: str) -> None:
        super().__init__(f"vertical {name!r} declares {what}, which {holder} has already")
        self.name = name
        self.what = what
        self.holder = holder
