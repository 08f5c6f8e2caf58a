"""The marketplace app mounts a vertical's routes under its name, never over the market's
(answering over HTTP: tests/integration/test_market_http_verticals.py)."""

from __future__ import annotations

import pytest
from fastapi import APIRouter, FastAPI
from parking import parking

from plaza.api.market.app import _mount_verticals


def test_a_verticals_routes_are_mounted_under_its_name() -> None:
    app = FastAPI()
    _mount_verticals(app, {"parking": parking().routers})
    paths = app.openapi()["paths"]
    assert list(paths) == ["/api/v1/market/parking/sizes"]
    assert paths["/api/v1/market/parking/sizes"]["get"]["tags"] == ["parking"]


@pytest.mark.parametrize("name", ["orders", "contracts", "info"])
def test_a_vertical_named_like_a_market_path_is_refused(name: str) -> None:
    with pytest.raises(ValueError, match=f"vertical '{name}' would shadow"):
        _mount_verticals(FastAPI(), {name: (APIRouter(),)})
