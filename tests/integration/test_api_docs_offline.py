"""Every service's ``/docs`` works with no network, and its ``GET /`` says where things are.

FastAPI's own page loads Swagger UI from a CDN; ours (``plaza.api.docs``) from
``node_modules/swagger-ui-dist``. Checked over real HTTP on the node, the
marketplace, and the four energy modules, and in the source: every ``FastAPI(``
app turns FastAPI's pages off and serves ours.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from energy_stack import energy_flow
from market_server import RunningMarket
from node_server import RunningNode

SOURCE = Path(__file__).parents[2] / "src" / "plaza"
_URL = re.compile(r"""(?:https?:)?//[^\s"'<>)]+""")
_ASSET = re.compile(r"""(?:src|href)=["']?([^"'\s>]+)""")


def _check_docs(url: str) -> None:
    with httpx.Client(base_url=url, timeout=10) as http:
        page = http.get("/docs")
        assert page.status_code == 200, url
        html = page.text
        assert "swagger-ui" in html
        assert _URL.findall(html) == [], f"{url}/docs names another host"
        assets = _ASSET.findall(html)
        assert len(assets) >= 3  # the script, the styles, the icon
        for asset in assets:
            assert http.get(asset).status_code == 200, asset
        browser = http.get("/", headers={"accept": "text/html,*/*"})
        assert browser.status_code == 307
        assert browser.headers["location"] == "docs"
        index = http.get("/")
        assert index.status_code == 200
        assert index.json()["docs"] == "/docs"
        assert http.get("/openapi.json").status_code == 200


def test_the_node_serves_its_docs_offline(node: RunningNode) -> None:
    _check_docs(node.url)


def test_the_marketplace_serves_its_docs_offline(market: RunningMarket) -> None:
    _check_docs(market.url)


@pytest.fixture
def energy_urls(tmp_path: Path) -> Iterator[list[str]]:
    with energy_flow(tmp_path) as flow:
        owner = flow.stack.owner.service.create_owner("alice").owner.id
        flow.device(owner, "solar", "provider")
        stack = flow.stack
        yield [
            stack.marketplace.url,
            stack.bidmanager.url,
            stack.owner.url,
            stack.assets["solar"].url,
        ]


def test_the_energy_modules_serve_their_docs_offline(energy_urls: list[str]) -> None:
    for url in energy_urls:
        _check_docs(url)


def test_every_fastapi_app_serves_the_offline_docs() -> None:
    for path in SOURCE.rglob("*.py"):
        text = path.read_text()
        if "FastAPI(" not in text or path.name == "docs.py":
            continue
        if path.parent.name == "web":
            assert "docs_url=None" in text
            continue  # the web app is pages, not an API: it has no OpenAPI page at all
        if path.name == "services_demo.py":
            assert "openapi_url=None, docs_url=None" in text
            continue  # mounts the demo providers' apps, each with its own docs at /<name>/docs
        if path.parent.name == "gateway":
            assert "openapi_url=None, docs_url=None" in text
            continue  # the 402 gateway answers for its upstream: /docs is the upstream's
        assert text.count("FastAPI(") == text.count("serve_docs(app)"), path
        assert "docs_url=None" in text
        assert "redoc_url=None" in text
