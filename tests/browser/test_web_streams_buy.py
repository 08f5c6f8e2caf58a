"""Buying a sensor's stream in a real browser (issue 12's browser test): find the sensor on
the map, log in to buy (a visitor is offered no form that pays), buy its stream with the
browser's own wallet through the marketplace, and see readings arrive in the table.

The wallet is made on the wallet page and funded by the devnet faucet; the purchase is a
request meeting the sensor's standing offer, and the contract's payment carries an X25519
key derived in the page from the wallet's seed; the sensor agent (running against the same
node, selling through the marketplace only) seals its grant to that key, and the page walks
the channel and opens each reading itself. This browser's storage holds no unlocked secret.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from streams_selling import selling_sensor
from web_server import RunningWeb

from plaza.streams import Terms
from plaza.streams.sensor import SensorConfig

PASSPHRASE = "a long passphrase"
PASSWORD = "a stream buyer's password"
EMAIL = "reader@example.org"
#: A coin a second, two seconds at least; a reading every half second.
CONFIG = SensorConfig(
    "air-porta-nuova",
    45.0703,
    7.6869,
    Terms(1, 1_000, 2_000),
    description="PM2.5, NO2 and temperature at Porta Nuova",
    interval_s=0.5,
    poll_s=0.1,
)


@pytest.fixture(scope="module")
def selling(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningWeb]:
    """A node, a marketplace on it, a sensor agent selling there only, and the web app."""
    with selling_sensor(tmp_path_factory.mktemp("selling"), CONFIG) as running:
        yield running.web


def _wallet(visit: Page, url: str) -> None:
    """An account, then a wallet made and funded in the browser; then logged out (the
    browser's storage keeps the wallet, locked)."""
    visit.goto(url + "/signup")
    visit.get_by_label("Email").fill(EMAIL)
    visit.get_by_label("Password", exact=True).fill(PASSWORD)
    visit.get_by_label("Password again").fill(PASSWORD)
    visit.get_by_role("button", name="Sign up").click()
    expect(visit.get_by_role("heading", level=1)).to_have_text("Your account")
    visit.goto(url + "/wallet")
    # what the page kept before the stream keys were derived: an unlocked key, which goes
    legacy = '{"x": {"privateKey": "ab"}}'
    visit.evaluate(f"() => localStorage.setItem('plaza.streams.v1', '{legacy}')")
    visit.get_by_label("Passphrase (at least 10 characters)", exact=True).fill(PASSPHRASE)
    visit.get_by_label("The passphrase again").fill(PASSPHRASE)
    visit.get_by_role("button", name="Create a wallet").click()
    visit.get_by_role("button", name="I have written them down").click()
    visit.get_by_role("button", name="Get coins from the devnet faucet").click()
    balance = visit.locator("#wallet-balance")
    expect(balance).to_have_text(re.compile(r"^[1-9][0-9,]* coins$"), timeout=15_000)
    visit.context.clear_cookies()


def _log_in_to_buy(visit: Page) -> None:
    """A visitor is offered a login, not a form that pays; the login leads back."""
    expect(visit.get_by_role("button", name="Buy the stream")).to_have_count(0)
    visit.get_by_role("link", name="Log in to buy").click()
    expect(visit.get_by_role("heading", level=1)).to_have_text("Log in")
    visit.get_by_label("Email").fill(EMAIL)
    visit.get_by_label("Password").fill(PASSWORD)
    visit.get_by_role("button", name="Log in").click()
    expect(visit.get_by_role("heading", level=1)).to_have_text("air-porta-nuova")


def _nothing_unlocked_is_stored(visit: Page, sensor: str) -> None:
    """This browser's storage: the wallet locked under its passphrase, the sensors it
    bought from (public ids) and the key it registered in the marketplace (public); no
    stream key, no seed."""
    stored = visit.evaluate("() => Object.fromEntries(Object.entries(localStorage))")
    assert set(stored) == {"plaza.wallet.v1", "plaza.streams.v2", "plaza.streams.participants"}
    assert json.loads(stored["plaza.streams.v2"]) == [sensor]
    [registered] = json.loads(stored["plaza.streams.participants"])  # a public key
    assert re.fullmatch("[0-9a-f]{64}", registered)
    locked = json.loads(stored["plaza.wallet.v1"])
    assert set(locked) == {"version", "kdf", "opslimit", "memlimit", "salt", "nonce", "box"}
    assert locked["kdf"] == "argon2id13"
    assert len(locked["box"]) == 2 * (32 + 16)  # the seed, sealed (XSalsa20-Poly1305)


def _subscriptions(visit: Page) -> None:
    """The sensors page lists this browser's subscriptions once its passphrase opens them."""
    visit.get_by_role("link", name="All sensors").click()
    visit.locator("#subscriptions-passphrase").fill(PASSPHRASE)
    visit.get_by_role("button", name="Show my subscriptions").click()


def _downloads(visit: Page) -> None:
    """What the page opened downloads as the CLI writes it: CSV and JSON, made in the page."""
    shown = visit.locator("#readings-body tr").count()
    with visit.expect_download() as made:
        visit.get_by_role("button", name="Download CSV").click()
    assert made.value.suggested_filename == "air-porta-nuova-readings.csv"
    lines = Path(made.value.path()).read_text().splitlines()
    assert lines[0] == "position,at_ms,no2,pm25,temperature"
    assert len(lines) - 1 >= shown
    first = dict(zip(lines[0].split(","), lines[1].split(","), strict=True))
    assert float(first["pm25"]) > 0
    with visit.expect_download() as made:
        visit.get_by_role("button", name="Download JSON").click()
    rows = json.loads(Path(made.value.path()).read_text())
    assert {"position", "at_ms", "pm25", "no2", "temperature"} == set(rows[0])
    positions = [row["position"] for row in rows]
    assert positions == sorted(positions)  # oldest first, from the granted position
    assert len(rows) >= shown


def test_find_a_sensor_on_the_map_buy_its_stream_and_see_readings_arrive(
    visit: Page, selling: RunningWeb
) -> None:
    _wallet(visit, selling.url)
    visit.get_by_role("navigation", name="Main").get_by_role("link", name="Streams").click()
    expect(visit.locator("#map")).to_have_attribute("data-markers", "1", timeout=15_000)
    visit.locator("#map path.sensor-marker").click(force=True)
    visit.locator(".leaflet-popup-content a").click()
    expect(visit.get_by_role("heading", level=1)).to_have_text("air-porta-nuova")
    _log_in_to_buy(visit)

    duration = visit.get_by_label("How long")
    expect(duration).to_have_value("2s")  # the sensor's minimum
    duration.fill("an hour")
    visit.get_by_label("Wallet passphrase").fill(PASSPHRASE)
    visit.get_by_role("button", name="Buy the stream").click()
    expect(visit.locator("#buy-status")).to_contain_text("a duration like 10m, 1h or 90s")
    duration.fill("1s")
    visit.get_by_role("button", name="Buy the stream").click()
    expect(visit.locator("#buy-status")).to_contain_text("at least 2 s")

    duration.fill("5s")
    visit.get_by_label("Wallet passphrase").fill("not the passphrase")
    visit.get_by_role("button", name="Buy the stream").click()
    expect(visit.locator("#buy-status")).to_have_text("Not bought: wrong passphrase")

    visit.get_by_label("Wallet passphrase").fill(PASSPHRASE)
    visit.get_by_role("button", name="Buy the stream").click()
    expect(visit.locator("#buy-status")).to_contain_text("Granted until", timeout=30_000)
    expect(visit.locator("#buy-status")).to_contain_text("The marketplace has the payment.")
    rows = visit.locator("#readings-body tr")
    expect(rows.nth(2)).to_be_visible(timeout=20_000)  # three readings, opened in the page
    cells = rows.first.locator("td")
    expect(cells).to_have_count(5)  # position, time, pm25, no2, temperature
    assert float(cells.nth(2).inner_text()) > 0
    expect(visit.locator("#readings-chart")).to_be_visible()
    plotted = visit.evaluate(
        "() => { const c = Chart.getChart('readings-chart');"
        " return [c.data.labels.length, c.data.datasets.map((d) => d.label)]; }"
    )
    assert plotted[0] >= 3
    assert plotted[1] == ["pm25", "no2", "temperature"]
    _downloads(visit)
    _nothing_unlocked_is_stored(visit, visit.url.rsplit("/", 1)[1])

    # five seconds later the next key epoch leaves this browser out, and the page says so
    status = visit.locator("#buy-status")
    expect(status).to_contain_text("access ended at position", timeout=20_000)
    expect(status).to_contain_text("renew to read on")

    # the sensors page lists this browser's subscriptions; a renewal opens the stream again
    _subscriptions(visit)
    subscriptions = visit.locator("#subscriptions-list li")
    expect(subscriptions).to_have_count(1)
    expect(subscriptions).to_contain_text("air-porta-nuova: ended")
    visit.get_by_role("link", name="air-porta-nuova").first.click()
    expect(visit.locator("#buy-status")).to_contain_text("You bought this stream in this browser")
    visit.get_by_label("Wallet passphrase").fill(PASSPHRASE)
    visit.get_by_role("button", name="Open what I bought").click()
    expect(visit.locator("#buy-status")).to_contain_text("Your access ended at")
    visit.get_by_label("How long").fill("1m")
    visit.get_by_label("Wallet passphrase").fill(PASSPHRASE)
    visit.get_by_role("button", name="Renew the stream").click()
    expect(visit.locator("#buy-status")).to_contain_text("Granted until", timeout=30_000)
    expect(visit.locator("#readings-body tr").first).to_be_visible(timeout=20_000)
    _subscriptions(visit)
    expect(subscriptions).to_contain_text(re.compile(r"air-porta-nuova: until .* UTC, \d+ s left"))
