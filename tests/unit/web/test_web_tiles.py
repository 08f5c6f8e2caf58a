"""A tile server from the settings: only a Leaflet tile URL is taken, and the policy lets
images come from its origin alone."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from plaza.settings import WebSettings
from plaza.web.headers import SECURITY_HEADERS, with_images_from
from plaza.web.tiles import TileServer


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:8081/{z}/{x}/{y}.png", "https://tiles.example.org/osm/{z}/{x}/{y}.png?k=1"],
)
def test_a_tile_url_is_taken(url: str) -> None:
    assert WebSettings(tile_url=url).tile_url == url


@pytest.mark.parametrize(
    "url",
    [
        "http://tiles.example.org/{z}/{y}.png",  # no {x}
        "ftp://tiles.example.org/{z}/{x}/{y}.png",
        "tiles.example.org/{z}/{x}/{y}.png",
        'http://tiles.example.org/{z}/{x}/{y}.png" onerror="x',
        "http://tiles.example.org/{z}/{x}/{y}.png 'unsafe-inline'",
    ],
)
def test_anything_else_is_refused(url: str) -> None:
    with pytest.raises(ValidationError):
        WebSettings(tile_url=url)


def test_the_policy_lets_images_come_from_the_tile_server_alone() -> None:
    tiles = TileServer("https://tiles.example.org:8443/osm/{z}/{x}/{y}.png")
    assert tiles.origin == "https://tiles.example.org:8443"
    policy = with_images_from(SECURITY_HEADERS["content-security-policy"], tiles.origin)
    assert "img-src 'self' data: https://tiles.example.org:8443;" in policy
    assert (
        policy.replace(" https://tiles.example.org:8443", "")
        == (SECURITY_HEADERS["content-security-policy"])
    )
