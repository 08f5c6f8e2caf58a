"""A tile server for the maps, when the settings name one (``PLAZA_WEB_TILE_URL``).

Without one the maps draw the offline base layer shipped from npm (country outlines)
and ask nothing off this site. With one, Leaflet loads its tiles from it beneath the
listings, and the Content-Security-Policy lets images come from that origin (and no
other): the one widening, made only by the operator's settings.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

__all__ = ["TileServer"]


@dataclass(frozen=True, slots=True)
class TileServer:
    """Where the maps' tiles come from (``{z}``, ``{x}``, ``{y}`` in ``url``; the settings
    check its shape: :data:`plaza.settings.TILE_URL_PATTERN`), and the credit the map shows
    for them."""

    url: str
    attribution: str = ""

    @property
    def origin(self) -> str:
        """The scheme, host and port the policy lets images come from."""
        parts = urlsplit(self.url)
        return f"{parts.scheme}://{parts.netloc}"
