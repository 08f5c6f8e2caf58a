"""The telco pages over real HTTP (issue 14, item 7): the web app connected to a real
marketplace on a real node shows its offers and requests as cards, and an asset's page
its history, the order that used it and the revenue it brought once its hold pays the
provider (in part, for what was served, as delivery starts); bad input is a 4xx page that
says what was wrong."""

from __future__ import annotations

import html
import re
import time
from collections.abc import Iterator

import httpx
import pytest
import telco_stage as ts
from market_server import HOUR_MS
from node_server import RunningNode
from telco_stage import Stage, open_stage
from telco_support import OFFERING, REQUEST, RESOURCE, offering, tmf
from web_server import RunningWeb, serve_web_app

HISTORY_WAIT_S = 60.0


@pytest.fixture(scope="module")
def genesis(node: RunningNode) -> str:
    with node.client() as client:
        return client.milestone(1).message_id.hex()


@pytest.fixture(scope="module")
def stage(node: RunningNode, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stage]:
    with open_stage(node, tmp_path_factory.mktemp("telco")) as running:
        yield running


@pytest.fixture(scope="module")
def web(node: RunningNode, genesis: str, stage: Stage) -> Iterator[RunningWeb]:
    with serve_web_app(node.url, genesis, market_url=stage.world.market.url) as running:
        yield running


def _text(page: httpx.Response) -> str:
    """The page's text, tags and spacing aside, so a test reads what a person reads."""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page.text)))


def _small_cell(stage: Stage, lat: float) -> dict[str, object]:
    body = {
        "name": "Torget small cell",
        "category": "small_cell",
        "place": {"id": f"geo:{lat},10.39"},
        "resourceCharacteristic": [
            {"name": "technology", "value": "5G"},
            {"name": "bands", "value": "n78"},
            {"name": "capacity_mbps", "value": 300},
            {"name": "city", "value": "Trondheim"},
        ],
    }
    answer = tmf(stage.world.provider, "POST", RESOURCE, body)
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def test_the_marketplace_cards_and_an_assets_history_with_its_revenue(
    stage: Stage, web: RunningWeb
) -> None:
    lat = stage.place()
    asset = _small_cell(stage, lat)
    start, end = ts.now() - HOUR_MS, ts.now() + HOUR_MS
    offer = offering(stage.world.provider, str(asset["id"]), start, end, 250)
    wanted = {
        "category": "small_cell",
        "place": {"id": f"geo:{lat + 0.01},10.39"},
        "radiusKm": 5.0,
        "validFor": {
            "startDateTime": offer["validFor"]["startDateTime"],
            "endDateTime": offer["validFor"]["endDateTime"],
        },
        "maxPrice": {"value": 300},
        "requiredCharacteristic": [{"name": "city", "value": "Trondheim"}],
    }
    answer = tmf(stage.world.consumer, "POST", REQUEST, wanted)
    assert answer.status_code == 201, answer.text
    request = answer.json()
    assert [found["id"] for found in request["match"]] == [offer["id"]]

    home = httpx.get(web.url + "/telco")
    assert home.status_code == 200
    text = _text(home)
    window = re.escape(offer["validFor"]["startDateTime"][:10])
    assert re.search(
        rf"Torget small cell Asset type small cell City Trondheim \({lat}, 10.39\)"
        rf" Window {window} [0-9:]+ to .+? UTC Price 250 coins",
        text,
    ), text
    assert "Small cell wanted Asset type small cell City Trondheim (within 5.0 km" in text
    assert "Price up to 300 coins" in text
    assert f'href="/telco/assets/{asset["id"]}"' in home.text

    page = httpx.get(web.url + f"/telco/assets/{asset['id']}")
    assert page.status_code == 200
    assert "No order has used this asset yet." in _text(page)
    assert re.search(r"Open offers \d{4}-\d\d-\d\d [0-9:]+ to .+? UTC: 250 coins", _text(page))
    assert "Revenue 0 coins" in _text(page)

    deal = ts.Deal(offer, request, stage.world.provider.me().id, start, end)
    order = ts.ordered(stage, deal, price=250)
    # half the window has passed: the desk's timer starts delivery after the report's grace,
    # paying the half served in part
    text, revenue = _revenue(web, str(asset["id"]))
    assert 125 <= revenue <= 127, text  # the half served, give or take the test's seconds
    row = rf"{order['id']} .+? UTC inProgress 250 coins {revenue} coins"
    assert re.search(row, text), text


def _revenue(web: RunningWeb, asset_id: str) -> tuple[str, int]:
    """The asset's page once it shows a revenue, and the revenue (or as it is at the
    deadline)."""
    deadline = time.monotonic() + HISTORY_WAIT_S
    while True:
        text = _text(httpx.get(web.url + f"/telco/assets/{asset_id}"))
        if "Revenue 0 coins" not in text or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    found = re.search(r"Revenue (\d+) coins", text)
    assert found is not None, text
    return text, int(found.group(1))


def test_an_assets_history_names_no_party_and_refuses_what_is_not_an_asset(
    stage: Stage,
) -> None:
    asset = _small_cell(stage, stage.place())
    history = tmf(stage.world.anonymous, "GET", f"{RESOURCE}/{asset['id']}/history")
    assert (history.status_code, history.json()) == (200, [])
    unknown = tmf(stage.world.anonymous, "GET", f"{RESOURCE}/no-such-asset/history")
    assert unknown.status_code == 404
    assert unknown.json()["@type"] == "Error"
    offered = tmf(stage.world.anonymous, "GET", OFFERING)
    assert offered.status_code == 200


@pytest.mark.parametrize(
    ("path", "status", "said"),
    [
        ("/telco/assets/not%20an%20id", 400, "An asset's id matches"),
        ("/telco/assets/no-such-asset", 404, "There is no such telco asset."),
    ],
)
def test_bad_asset_ids_are_said(web: RunningWeb, path: str, status: int, said: str) -> None:
    page = httpx.get(web.url + path)
    assert page.status_code == status
    assert said in _text(page)


def test_a_site_with_no_marketplace_says_so(node: RunningNode, genesis: str) -> None:
    with serve_web_app(node.url, genesis) as alone:
        page = httpx.get(alone.url + "/telco")
    assert page.status_code == 404
    assert "This site is not connected to a marketplace." in _text(page)
