"""The sensor data streams' pages over real HTTP: sensors announced on a real node, listed
with their map data, filtered, and each on its own page; bad filters are a 400 saying why."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from account_site import PASSWORD, csrf_of, sign_up
from node_server import RunningNode
from web_server import RunningWeb, memory_accounts, serve_web_app

from plaza.adapters.ledger.remote import RemoteLedger
from plaza.clock import SystemClock
from plaza.crypto import Address, SigningKey
from plaza.ledger.model import DataPayload, Output, TransferPayload
from plaza.streams import Terms
from plaza.streams.preview import encode_preview, preview_tag
from plaza.streams.sensor import SensorAgent, SensorConfig, SensorHome
from plaza.verticals.streams_pages import BUYING_POLICY
from plaza.web import SECURITY_HEADERS

CLOCK = SystemClock()
#: Two sensors in Turin 2.5 km apart, one in Milan.
SENSORS = {
    "air-porta-nuova": (45.0703, 7.6869, "air", Terms(600, 3_600_000, 600_000)),
    "noise-via-roma": (45.0677, 7.6825, "noise", Terms(100, 60_000, 60_000)),
    "traffic-milano": (45.4642, 9.1900, "traffic", Terms(50, 3_600_000, 600_000)),
}


@pytest.fixture(scope="module")
def sensors(node: RunningNode, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The three sensors announced under the streams tag; their ids by name."""
    ids = {}
    with node.client() as client:
        gateway = RemoteLedger(client, clock=CLOCK)
        for name, (lat, lon, profile, terms) in SENSORS.items():
            home = SensorHome(tmp_path_factory.mktemp("sensor") / name)
            config = SensorConfig(
                name, lat, lon, terms, profile=profile, description=f"{name}!", preview_every=3
            )
            agent = SensorAgent.open(home, gateway, config, clock=CLOCK)
            agent.announce_if_changed()
            if name == "air-porta-nuova":
                for _ in range(4):  # a preview after the third
                    agent.publish_reading()
            ids[name] = agent.publisher.channel.id.hex()
            agent.close()
    return ids


@pytest.fixture(scope="module")
def web(node: RunningNode, sensors: dict[str, str]) -> Iterator[RunningWeb]:
    with node.client() as client:
        genesis = client.milestone(1).message_id.hex()
    with serve_web_app(node.url, genesis) as running:
        yield running


@pytest.fixture
def http(web: RunningWeb) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=web.url, timeout=10) as client:
        yield client


def _names(http: httpx.Client, query: str = "") -> list[str]:
    reply = http.get(f"/streams/sensors.json?{query}")
    assert reply.status_code == 200, reply.text
    return [sensor["name"] for sensor in reply.json()["sensors"]]


def test_every_announced_sensor_is_listed_on_the_page_and_the_map(
    http: httpx.Client, sensors: dict[str, str]
) -> None:
    page = http.get("/streams")
    assert page.status_code == 200
    for name, sensor_id in sensors.items():
        assert f'href="/streams/{sensor_id}">{name}</a>' in page.text
    assert "3 sensors" in page.text
    assert "coins per 60 s</td>" in page.text, "every price says its unit"
    assert 'href="/streams" aria-current="page"' in page.text  # in the navigation
    assert 'src="/static/stream/streams-map.js"' in page.text
    assert http.get("/static/stream/streams-map.js").status_code == 200
    [air] = [
        s
        for s in http.get("/streams/sensors.json").json()["sensors"]
        if s["id"] == sensors["air-porta-nuova"]
    ]
    assert (air["lat"], air["lon"], air["hourly_price"]) == (45.0703, 7.6869, 600)
    assert air["types"] == [["pm25", "µg/m³"], ["no2", "µg/m³"], ["temperature", "°C"]]


def test_filters_by_data_type_price_and_place(http: httpx.Client) -> None:
    assert _names(http, "type=laeq") == ["noise-via-roma"]
    assert _names(http, "max_price=600") == ["air-porta-nuova", "traffic-milano"]  # noise: 6,000/h
    assert _names(http, "lat=45.07&lon=7.68&radius_km=5") == ["air-porta-nuova", "noise-via-roma"]
    assert "1 sensor<" in http.get("/streams?type=vehicles").text


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ("max_price=cheap", "max_price must be a number"),
        ("lat=45&lon=7", "go together"),
        ("lat=95&lon=7&radius_km=1", "lat must be from -90 to 90"),
        ("type=pm2.5", "a data type&#39;s name"),
    ],
)
def test_a_bad_filter_is_a_400_that_says_why(http: httpx.Client, query: str, says: str) -> None:
    page = http.get(f"/streams?{query}")
    assert page.status_code == 400
    assert says in page.text
    assert http.get(f"/streams/sensors.json?{query}").status_code == 400


def test_a_sensors_page_says_what_where_how_much_and_how_to_buy(
    http: httpx.Client, sensors: dict[str, str]
) -> None:
    page = http.get(f"/streams/{sensors['noise-via-roma']}")
    assert page.status_code == 200
    assert "<h1>noise-via-roma</h1>" in page.text
    assert "laeq in dB(A)" in page.text
    assert "100 coins per 60 s (6,000 coins per hour)" in page.text
    assert "plaza stream buy noise-via-roma --period 1h --market URL" in page.text
    missing = http.get(f"/streams/{'0' * 64}")
    assert missing.status_code == 404
    assert "is announced" in missing.text


def test_without_a_node_the_pages_say_so(tmp_path: Path) -> None:
    with serve_web_app("http://127.0.0.1:9", "00" * 32) as running:
        page = httpx.get(f"{running.url}/streams", timeout=10)
    assert page.status_code == 503
    assert "the node is not answering" in page.text


def test_the_sensor_page_lets_libsodium_compile_and_nothing_else(
    http: httpx.Client, sensors: dict[str, str]
) -> None:
    site = SECURITY_HEADERS["content-security-policy"]
    wasm = site.replace("script-src 'self'", "script-src 'self' 'wasm-unsafe-eval'")
    assert wasm == BUYING_POLICY
    page = http.get(f"/streams/{sensors['air-porta-nuova']}")
    assert page.headers["content-security-policy"] == BUYING_POLICY
    assert http.get("/streams").headers["content-security-policy"] == BUYING_POLICY
    assert http.get("/").headers["content-security-policy"] == site


def test_without_a_marketplace_the_sensor_page_sells_nothing_directly(
    http: httpx.Client, node: RunningNode, sensors: dict[str, str]
) -> None:
    """Every purchase is an order and a contract: a site relaying to no marketplace (or with
    no accounts to log in with) has no buy form (a direct payment) and says how an agent
    buys through one."""
    path = f"/streams/{sensors['air-porta-nuova']}"
    with node.client() as client:
        genesis = client.milestone(1).message_id.hex()
    market = "http://127.0.0.1:9"
    with serve_web_app(node.url, genesis, market_url=market) as no_accounts:
        relaying = httpx.get(no_accounts.url + path, timeout=10).text
    for page in (http.get(path).text, relaying):  # no marketplace; one, but nobody to log in
        assert 'id="buy-form"' not in page
        assert "/static/stream/buy.js" not in page
        assert "Log in to buy" not in page
        assert "this site has none" in page
        assert "<code>plaza stream buy --market URL</code>" in page


def test_buying_on_the_sensor_page_needs_a_login(
    node: RunningNode, sensors: dict[str, str]
) -> None:
    """With a marketplace, a visitor sees "Log in to buy" leading back to the sensor page
    after the login; a logged-in person gets the form that buys through the marketplace."""
    with node.client() as client:
        genesis = client.milestone(1).message_id.hex()
    accounts = memory_accounts(CLOCK)
    market = "http://127.0.0.1:9"  # the page only needs to know there is one to relay to
    path = f"/streams/{sensors['air-porta-nuova']}"
    with (
        serve_web_app(node.url, genesis, accounts=accounts, market_url=market) as running,
        httpx.Client(base_url=running.url, timeout=10) as browser,
    ):
        anonymous = browser.get(path).text
        assert f'href="/login?next={path}">Log in to buy</a>' in anonymous
        assert 'id="buy-form"' not in anonymous
        assert "/static/stream/buy.js" not in anonymous
        assert sign_up(browser, "streams-buyer@example.org").status_code == 303
        browser.cookies.clear()
        login = browser.get(f"/login?next={path}")
        form = {"csrf": csrf_of(login.text), "email": "streams-buyer@example.org"}
        answer = browser.post("/login", data={**form, "password": PASSWORD, "next": path})
        assert answer.headers["location"] == path
        page = browser.get(path).text
        assert 'id="buy-form" class="buy" hidden' in page  # shown by its script
        assert "/static/stream/buy.js" in page
        assert "Log in to buy" not in page


def test_the_ledger_lookup_the_pages_use_lists_data_messages_by_tag(
    http: httpx.Client, node: RunningNode
) -> None:
    tag, writer = secrets.token_bytes(32), SigningKey.generate()
    with node.client() as client:
        gateway = RemoteLedger(client, clock=CLOCK)
        sent = gateway.submit(gateway.compose(writer, DataPayload(tag, b"sealed bytes")).raw)
    found = http.get(f"/explorer/api/tags/{tag.hex()}?limit=50")  # the pages' inbox reads
    assert found.status_code == 200
    assert found.json() == {
        "messages": [
            {"id": sent.hex(), "issuer": writer.public_key.raw.hex(), "data": b"sealed bytes".hex()}
        ]
    }
    assert http.get(f"/explorer/api/tags/{secrets.token_hex(32)}").json() == {"messages": []}
    for bad in ("nothex", "AB" * 32, "ab" * 31):
        assert http.get(f"/explorer/api/tags/{bad}").status_code == 400
    for limit in ("0", "51", "x", "-1"):
        assert http.get(f"/explorer/api/tags/{tag.hex()}?limit={limit}").status_code == 400


def test_a_sensors_page_shows_its_sales_as_the_ledger_does(
    http: httpx.Client, node: RunningNode, sensors: dict[str, str]
) -> None:
    sensor_id = sensors["traffic-milano"]
    [sensor] = [
        s for s in http.get("/streams/sensors.json").json()["sensors"] if s["id"] == sensor_id
    ]
    pay_to = Address.parse(sensor["pay_to"])
    with node.client() as client:
        gateway = RemoteLedger(client, clock=CLOCK)
        transfer = TransferPayload((Output(pay_to.raw, 70),))
        sent = gateway.submit(gateway.compose(node.faucet, transfer).raw)
        gateway.wait_for_confirmation(sent, timeout_s=20)
    page = http.get(f"/streams/{sensor_id}")
    assert "1 payment received on the ledger, 70 coins; 0 refunded; 70 kept" in page.text


def test_a_sensors_page_previews_its_last_readings_times_not_their_values(
    http: httpx.Client, sensors: dict[str, str]
) -> None:
    page = http.get(f"/streams/{sensors['air-porta-nuova']}").text
    preview = page.split('id="preview">', 1)[1].split("</dd>", 1)[0]
    assert preview.count("<time datetime=") == 3
    assert "their values are for buyers" in preview
    quiet = http.get(f"/streams/{sensors['noise-via-roma']}").text
    assert 'id="preview">none announced yet</dd>' in quiet


def test_a_preview_filed_by_another_key_is_ignored(
    http: httpx.Client, node: RunningNode, sensors: dict[str, str]
) -> None:
    sensor_id = sensors["air-porta-nuova"]
    forged = DataPayload(preview_tag(bytes.fromhex(sensor_id)), encode_preview([1_000] * 7))
    with node.client() as client:
        gateway = RemoteLedger(client, clock=CLOCK)
        gateway.submit(gateway.compose(SigningKey.generate(), forged).raw)  # the newest now
    preview = http.get(f"/streams/{sensor_id}").text.split('id="preview">', 1)[1]
    assert preview.split("</dd>", 1)[0].count("<time datetime=") == 3  # still the sensor's
