"""The sensor owner's dashboard over real HTTP and a real node (issue 12, item 5): a logged-in
person sees the sensors whose announcement names their account, each with its revenue and
its subscribers' time left, as the sensor reported them on the ledger; nobody else's, and
no report filed by another key. Nobody logged in is sent to log in. The sensors sell
through a real marketplace: the sale and the refund are contracts paid in full and short."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import httpx
import pytest
from account_site import log_in
from market_server import serve_market
from node_server import RunningNode
from stream_market_buyer import MarketBuyer, market_buyer
from web_server import memory_accounts, serve_web_app

from plaza.adapters.ledger.remote import RemoteLedger
from plaza.clock import SystemClock
from plaza.crypto import EncryptionKey, Identity
from plaza.ledger.model import DataPayload
from plaza.streams import STREAMS_TAG, Sensor, Terms
from plaza.streams.buyer import discover
from plaza.streams.report import SalesReport, Subscriber, encode_report, report_tag
from plaza.streams.sensor import SensorAgent, SensorConfig, SensorHome
from plaza.wallet import KdfParams, Wallet

CLOCK = SystemClock()
PASSWORD = "a password long enough"
T = TypeVar("T")
#: 100 base units buy an hour; ten minutes at least (17 units).
TERMS = Terms(price=100, period_ms=3_600_000, minimum_ms=600_000)


def _eventually(probe: Callable[[], T | None], *, timeout_s: float = 20.0) -> T:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = probe()
        if found is not None:
            return found
        time.sleep(0.05)
    raise AssertionError(f"nothing within {timeout_s} s")


def _agent(gateway: RemoteLedger, folder: Path, name: str, owner: str, market: str) -> SensorAgent:
    config = SensorConfig(
        name,
        45.07,
        7.68,
        TERMS,
        owner=owner,
        interval_s=60,
        report_every_s=0.01,
        directory=STREAMS_TAG,  # where the pages look
    )
    home = SensorHome(folder / name)
    agent = SensorAgent.open(home, gateway, config, clock=CLOCK, market_url=market)
    agent.start()
    return agent


def _sold(agent: SensorAgent, sensor: Sensor, buyer: MarketBuyer) -> None:
    """A buyer pays a contract for an hour (100) and another too little (5 of 100); the
    sensor serves the first, refunds the second, and reports."""
    buyer.buy(sensor, 3600)
    buyer.buy(sensor, 3600, pay=5)

    def served() -> bool | None:
        agent.step()
        report = agent.sales_report()
        return True if report.revenue == 100 and report.refunded == 5 else None

    _eventually(served)
    agent.step()  # files the report once the refund is recorded too


@pytest.fixture(scope="module")
def site(
    node: RunningNode, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, dict[str, str], str]]:
    """The web app with accounts over the node; a sensor of the owner's that sold once and
    refunded once, and a stranger's sensor; the URL, the sensors' ids and the buyer's key."""
    accounts = memory_accounts(CLOCK)
    owner = accounts.service.create("owner@example.org", PASSWORD).user_id
    stranger = accounts.service.create("stranger@example.org", PASSWORD).user_id
    tmp_path = tmp_path_factory.mktemp("owner")
    with (
        node.client() as client,
        serve_market(tmp_path / "market", node_url=node.url) as market,
    ):
        gateway = RemoteLedger(client, clock=CLOCK, follow_timeout=20.0)
        wallet, _ = Wallet.create(
            tmp_path / "buyer.json", PASSWORD, gateway=gateway, clock=CLOCK, kdf=KdfParams.MINIMUM
        )
        wallet.request_faucet(wait=True)
        mine = _agent(gateway, tmp_path, "air-mine", owner, market.url)
        theirs = _agent(gateway, tmp_path, "noise-theirs", stranger, market.url)
        reader = EncryptionKey.generate()
        try:
            channel = mine.publisher.channel.id
            [sensor] = [s for s in discover(gateway) if s.channel_id == channel]
            with market_buyer(market.url, wallet, reader) as buyer:
                _sold(mine, sensor, buyer)
            assert mine.report_if_changed() is None  # the same sales are not filed again
            theirs.step()
            assert theirs.report_if_changed() is None  # nothing sold: no report at all
            ids = {"mine": sensor.id, "theirs": theirs.publisher.channel.id.hex()}
            _forge_a_report(gateway, sensor)
        finally:
            mine.close()
            theirs.close()
        genesis = client.milestone(1).message_id.hex()
    with serve_web_app(node.url, genesis, accounts=accounts) as running:
        yield running.url, ids, reader.public_key.raw[:8].hex()


def _forge_a_report(gateway: RemoteLedger, sensor: Sensor) -> None:
    """Anyone may file under the report's tag: a newer report claiming a fortune."""
    forged = SalesReport.of(CLOCK.now_ms(), 999_999, 0, [Subscriber(b"\xee" * 32, 2**40, 1, 1)])
    payload = DataPayload(report_tag(sensor.channel_id), encode_report(forged))
    gateway.submit(gateway.compose(Identity.generate().signing, payload).raw)


def test_an_owner_sees_their_sensors_revenue_and_subscribers_with_time_left(
    site: tuple[str, dict[str, str], str],
) -> None:
    url, ids, buyer_key = site
    with httpx.Client(base_url=url, timeout=30) as http:
        assert http.get("/streams/mine").headers["location"] == "/login"
        log_in(http, "owner@example.org", PASSWORD)
        page = http.get("/streams/mine")
        assert page.status_code == 200, page.text[-500:]
        assert page.headers["cache-control"] == "no-store"
        assert f'href="/streams/{ids["mine"]}"' in page.text
        assert ids["theirs"] not in page.text
        assert '<dd class="revenue">100 coins</dd>' in page.text
        assert '<dd class="refunded">5 coins</dd>' in page.text
        assert '<dd class="subscribers">1 now, 1 in all</dd>' in page.text
        assert "999,999" not in page.text  # the forged report, filed by another key
        row = re.search(rf"<code>{buyer_key}…</code>.*?</tr>", page.text, re.S)
        assert row, "the buyer is listed by its key's first bytes"
        left = re.findall(r'class="num">([\d,]+) s</td>', row.group(0))
        assert left
        assert 3_500 < int(left[0].replace(",", "")) <= 3_600  # an hour bought
        assert "received in 2 payments, 5 sent back" in page.text
        assert 'href="/streams/mine"' in http.get("/streams").text
        dashboard = http.get("/dashboard")
        assert dashboard.status_code == 200
        assert 'href="/streams/mine"' in dashboard.text  # the vertical's dashboard section


def test_another_account_sees_none_of_them(site: tuple[str, dict[str, str], str]) -> None:
    url, ids, _ = site
    with httpx.Client(base_url=url, timeout=30) as http:
        log_in(http, "stranger@example.org", PASSWORD)
        page = http.get("/streams/mine")
        assert page.status_code == 200
        assert ids["mine"] not in page.text
        assert f'href="/streams/{ids["theirs"]}"' in page.text
        assert "No sales report yet" in page.text  # it sold nothing
