"""``plaza sensor city``'s sensors on a real node: a dozen-style city of four, announced with
their profiles around the centre, publishing, and the same sensors after a restart."""

from __future__ import annotations

import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from node_server import RunningNode

from plaza.adapters.ledger.remote import RemoteLedger
from plaza.clock import SystemClock
from plaza.market.matching.filters import haversine_km
from plaza.market.model import Location
from plaza.streams.buyer import discover
from plaza.streams.city import City, city_configs

CLOCK = SystemClock()
TURIN = Location(45.0703, 7.6869)


@pytest.fixture
def gateway(node: RunningNode) -> Iterator[RemoteLedger]:
    with node.client() as client:
        yield RemoteLedger(client, clock=CLOCK)


def test_a_city_of_sensors_announces_publishes_and_comes_back_the_same(
    gateway: RemoteLedger, tmp_path: Path
) -> None:
    tag = f"city-{secrets.token_hex(4)}".encode()
    configs = city_configs(4, TURIN.lat, TURIN.lon, interval_s=0.2, directory=tag)
    assert [c.name for c in configs] == ["air-01", "noise-02", "parking-03", "traffic-04"]
    city = City.start(tmp_path / "city", gateway, configs, clock=CLOCK)
    try:
        deadline = time.monotonic() + 15
        while min(a.publisher.position for a in city.agents) < 3 and time.monotonic() < deadline:
            time.sleep(0.1)
        channels = {a.config.name: a.publisher.channel.id for a in city.agents}
        assert min(a.publisher.position for a in city.agents) >= 3
    finally:
        city.close()
    found = {s.announcement.name: s for s in discover(gateway, directory=tag)}
    assert sorted(found) == sorted(channels)
    for sensor in found.values():
        place = Location(sensor.announcement.latitude, sensor.announcement.longitude)
        assert haversine_km(TURIN, place) < 2
    assert {t.name for t in found["noise-02"].announcement.data_types} == {"laeq"}

    again = City.start(tmp_path / "city", gateway, configs, clock=CLOCK)
    try:
        assert {a.config.name: a.publisher.channel.id for a in again.agents} == channels
    finally:
        again.close()
    assert len(discover(gateway, directory=tag)) == 4  # nothing changed: not re-announced
    assert len(gateway.find_by_tag(tag)) == 4


def test_plaza_sensor_city_runs_as_a_process_until_sigterm(
    node: RunningNode, gateway: RemoteLedger, tmp_path: Path
) -> None:
    tag = f"city-cli-{secrets.token_hex(4)}"
    command = [sys.executable, "-m", "plaza.cli.main", "sensor", "city", "--count", "3"]
    options = ["--interval", "0.3", "--data", str(tmp_path / "city"), "--node", node.url]
    with subprocess.Popen([*command, *options, "--tag", tag], stdout=subprocess.PIPE) as city:
        try:
            deadline = time.monotonic() + 30
            while len(discover(gateway, directory=tag.encode())) < 3:
                assert time.monotonic() < deadline, "the city never announced its sensors"
                time.sleep(0.2)
        finally:
            city.terminate()
        assert city.wait(timeout=30) == 0
        assert city.stdout is not None
        assert len(city.stdout.read().splitlines()) == 3  # one line per sensor
