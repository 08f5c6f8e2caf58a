"""The map with a tile server from the settings (issue 11, item 1): Leaflet loads its tiles
from that server, beneath the listings, and the Content-Security-Policy lets images come
from that origin alone; nothing else is asked off this site. The tile server is the test's,
on loopback, answering every tile with one small PNG."""

from __future__ import annotations

import base64
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest
from node_server import node_settings, serve_node
from playwright.sync_api import Page, expect
from web_server import RunningWeb, serve_web_app

from plaza.web.tiles import TileServer

#: A 1x1 grey PNG.
TILE = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR4nGNoAAAAggCBd81ytgAAAABJRU5ErkJggg=="
)


class _Tiles(BaseHTTPRequestHandler):
    asked: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        type(self).asked.append(self.path)
        self.send_response(200)
        self.send_header("content-type", "image/png")
        self.send_header("content-length", str(len(TILE)))
        self.end_headers()
        self.wfile.write(TILE)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the test reads ``asked``."""


@pytest.fixture(scope="module")
def tile_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Tiles)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture(scope="module")
def tiled(tmp_path_factory: pytest.TempPathFactory, tile_server: str) -> Iterator[RunningWeb]:
    tiles = TileServer(tile_server + "/{z}/{x}/{y}.png", "Tiles: the test's")
    with serve_node(node_settings(tmp_path_factory.mktemp("node"))) as node:
        with node.client() as client:
            genesis = client.milestone(1).message_id.hex()
        with serve_web_app(node.url, genesis, tiles=tiles) as web:
            yield web


def test_the_map_takes_its_tiles_from_the_server_in_the_settings(
    visit: Page, tiled: RunningWeb, tile_server: str
) -> None:
    answer = visit.goto(tiled.url + "/market/map")
    assert answer is not None
    policy = answer.headers["content-security-policy"]
    assert f"img-src 'self' data: {tile_server};" in policy
    assert "connect-src 'self';" in policy  # images only, from that origin only
    expect(visit.locator("#map")).to_have_attribute("data-markers", "8", timeout=15_000)
    expect(visit.locator("#map img.leaflet-tile-loaded").first).to_be_visible(timeout=15_000)
    assert _Tiles.asked, "the tile server was asked"
    assert all(path.endswith(".png") and path.count("/") == 3 for path in _Tiles.asked)
    expect(visit.locator(".leaflet-control-attribution")).to_contain_text("Tiles: the test's")
