"""The sensors' map in a real browser: nearby sensors gathered into one numbered marker that
opens when clicked, a marker's popup leading to the sensor's page, the pages breaking no WCAG
A or AA rule, no request off loopback and no console error.

The site is a node with three sensors announced (two in Turin 300 m apart, one in Milan)
and the web app over it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from node_server import node_settings, serve_node
from playwright.sync_api import Page, expect
from web_server import RunningWeb, serve_web_app

from plaza.adapters.ledger.remote import RemoteLedger
from plaza.clock import SystemClock
from plaza.streams import Terms
from plaza.streams.sensor import SensorAgent, SensorConfig, SensorHome

AXE = Path(__file__).parents[2] / "node_modules" / "axe-core" / "axe.min.js"
CLOCK = SystemClock()
SENSORS = {
    "air-porta-nuova": (45.0703, 7.6869, "air"),
    "noise-via-roma": (45.0677, 7.6850, "noise"),
    "traffic-milano": (45.4642, 9.1900, "traffic"),
}


@pytest.fixture(scope="module")
def streams_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningWeb]:
    with serve_node(node_settings(tmp_path_factory.mktemp("node"))) as node:
        with node.client() as client:
            _announce_on(RemoteLedger(client, clock=CLOCK), tmp_path_factory.mktemp("sensors"))
            genesis = client.milestone(1).message_id.hex()
        with serve_web_app(node.url, genesis) as running:
            yield running


def _announce_on(gateway: RemoteLedger, folder: Path) -> None:
    for name, (lat, lon, profile) in SENSORS.items():
        config = SensorConfig(name, lat, lon, Terms(600, 3_600_000, 600_000), profile=profile)
        agent = SensorAgent.open(SensorHome(folder / name), gateway, config, clock=CLOCK)
        agent.announce_if_changed()
        agent.close()


def _axe_violations(visit: Page) -> list[Any]:
    visit.wait_for_load_state("networkidle")
    visit.evaluate(AXE.read_text())
    results: dict[str, Any] = visit.evaluate(
        "async () => await axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21aa']})"
    )
    return [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in results["violations"]]


def test_nearby_sensors_gather_and_a_marker_leads_to_its_sensor(
    visit: Page, streams_site: RunningWeb
) -> None:
    visit.goto(streams_site.url + "/")
    visit.get_by_role("navigation", name="Main").get_by_role("link", name="Streams").click()
    expect(visit.get_by_role("heading", level=1)).to_have_text("Sensor data streams")
    expect(visit.locator("#map")).to_have_attribute("data-markers", "3")
    expect(visit.locator("table.sensors tbody tr")).to_have_count(3)
    expect(visit.locator("#map .sensor-cluster")).to_have_count(1)  # Turin's two, as one
    expect(visit.locator("#map .sensor-cluster")).to_have_text("2")
    expect(visit.locator("#map path.sensor-marker")).to_have_count(1)  # Milan's
    assert _axe_violations(visit) == []

    visit.locator("#map .sensor-cluster").click()  # zooms to Turin: the two part
    expect(visit.locator("#map .sensor-cluster")).to_have_count(0)
    expect(visit.locator("#map path.sensor-marker")).to_have_count(3)
    visit.locator("#map path.sensor-marker").first.click(force=True)
    popup = visit.locator(".leaflet-popup-content a")
    expect(popup).to_have_count(1)
    name = popup.inner_text()
    assert name in {"air-porta-nuova", "noise-via-roma"}
    popup.click()
    expect(visit.get_by_role("heading", level=1)).to_have_text(name)
    expect(visit.get_by_text(f"plaza stream buy {name} --period 1h")).to_be_visible()
    assert _axe_violations(visit) == []


def test_a_click_on_the_map_picks_the_place_to_filter_around(
    visit: Page, streams_site: RunningWeb
) -> None:
    visit.goto(streams_site.url + "/streams")
    expect(visit.locator("#map")).to_have_attribute("data-markers", "3")
    visit.get_by_label("Latitude").fill("45.0690")
    visit.get_by_label("Longitude").fill("7.6860")
    visit.get_by_label("Within").fill("5")
    visit.get_by_role("button", name="Filter").click()
    expect(visit.locator("table.sensors tbody tr")).to_have_count(2)
    expect(visit.locator("#map")).to_have_attribute("data-markers", "2")
