"""No 500 for any input (issue 16, item 1), over real HTTP.

Each hostile body of the issue's report is sent to every path and method of the
generic marketplace (before authentication) and to every POST endpoint of the four
energy modules: each answers its API's own 4xx refusal, never a 5xx, and no server
thread logs an error (``serve_market`` fails the test if one does).
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from energy_stack import Flow, energy_flow
from market_server import RunningMarket, serve_market
from node_server import RunningNode
from web_server import serve_web_app

from plaza.adapters.ledger.local import LocalLedger
from plaza.api.energy.asset import LETTERS
from plaza.crypto import Address
from plaza.ledger.model import Output, TransferPayload

JSON = {"content-type": "application/json"}
NOT_ASCII = '{"encrypted":"Ü"}'.encode()
DEEP = b"[" * 100_000 + b"]" * 100_000
DEEP_OBJECT = b'{"a":' * 5_000 + b"1" + b"}" * 5_000
HUGE_NUMBER = b'{"energy":' + b"9" * 5_000 + b',"uuid":"x"}'
HOSTILE = {"not ascii": NOT_ASCII, "deep": DEEP, "deep object": DEEP_OBJECT, "huge": HUGE_NUMBER}


class _Errors(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread != threading.main_thread().ident:
            self.lines.append(record.getMessage())


@pytest.fixture
def server_errors() -> Iterator[list[str]]:
    handler = _Errors()
    logging.getLogger().addHandler(handler)
    try:
        yield handler.lines
    finally:
        logging.getLogger().removeHandler(handler)


def _operations(http: httpx.Client, url: str) -> list[tuple[str, str]]:
    spec: dict[str, Any] = http.get(url + "/openapi.json").json()
    return [
        (method.upper(), re.sub(r"\{[^}]+\}", "x", path))
        for path, operations in spec["paths"].items()
        for method in operations
    ]


@pytest.fixture(scope="module")
def market(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningMarket]:
    with serve_market(tmp_path_factory.mktemp("market")) as running:
        yield running


def test_a_body_that_is_not_ascii_base64_is_a_400_on_every_marketplace_path(
    market: RunningMarket,
) -> None:
    with httpx.Client(timeout=10) as http:
        operations = _operations(http, market.url)
        assert len(operations) > 20
        for method, path in operations:
            if path.endswith("/events"):
                continue  # an event stream answers its 401 before reading a body
            reply = http.request(method, market.url + path, content=NOT_ASCII, headers=JSON)
            assert reply.status_code < 500, (method, path, reply.text)
            if reply.status_code >= 400:
                body = reply.json()  # the market's error, or TMF630's on the telco routes
                assert "error" in body or body.get("@type") == "Error", (method, path, reply.text)


@pytest.fixture(scope="module")
def flow(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flow]:
    with energy_flow(tmp_path_factory.mktemp("energy")) as running:
        yield running


def test_hostile_bodies_are_the_energy_modules_own_400_on_every_post(
    flow: Flow, server_errors: list[str]
) -> None:
    flow.stack.add_asset("fuzzed", "ba4a33f0-ee20-41e4-9fcd-9f91ecf77d0f").start(threads=False)
    signed_up = flow.http.post(flow.stack.owner.url + "/api/owners", json={"name": "Eve"}).json()
    headers = {**JSON, "Authorization": f"Bearer {signed_up['apiKey']}"}  # the owner API's
    checked = 0
    for hosted in flow.stack.modules():
        for method, path in _operations(flow.http, hosted.url):
            if method != "POST":
                continue
            for name, body in HOSTILE.items():
                reply = flow.http.post(hosted.url + path, content=body, headers=headers)
                assert 400 <= reply.status_code < 500, (hosted.url, path, name, reply.text)
                if name != "not ascii" and _reads_json_first(hosted.name, path):
                    assert reply.status_code == 400, (hosted.url, path, name, reply.text)
                answer = reply.json()
                assert answer["success"] is False, (path, name, answer)
                assert answer["code"], (path, name, answer)
                checked += 1
    assert checked > 60
    assert server_errors == []


def _reads_json_first(module: str, path: str) -> bool:
    """Whether the endpoint parses its body before any other check: not the owner API's
    (its bearer token first), nor an asset's letters before the asset's /init."""
    return not path.startswith("/api/") and not (module.startswith("asset") and path in LETTERS)


def _fund(flow: Flow, owner_id: str, funds: int) -> None:
    wallet = flow.stack.owner.service.owner_wallet(owner_id)["walletAddress"]
    ledger = LocalLedger(flow.node.runtime)
    payload = TransferPayload((Output(Address.parse(wallet).raw, funds),))
    ledger.submit(ledger.compose(flow.node.treasury, payload).raw)
    flow.node.milestone()


def test_a_page_past_any_integer_is_a_400_on_the_transaction_history(
    flow: Flow, server_errors: list[str]
) -> None:
    signed_up = flow.http.post(flow.stack.owner.url + "/api/owners", json={"name": "Ada"}).json()
    _fund(flow, signed_up["ownerId"], 1_000_000)
    device_id = flow.device(signed_up["ownerId"], "paged", "provider")
    headers = {"Authorization": f"Bearer {signed_up['apiKey']}"}
    url = f"{flow.stack.owner.url}/api/devices/{device_id}/transactions"
    assert flow.http.get(url, headers=headers).status_code == 200
    for page in ("9223372036854775807", "1000000001", "0", "-1", "9" * 5_000):
        reply = flow.http.get(url, params={"page": page}, headers=headers)
        assert reply.status_code in (400, 422), (page, reply.text)
        assert reply.json()["success"] is False
    assert server_errors == []


WEB_PROBES = [
    "/market?page=9223372036854775807",
    "/market?page=" + "9" * 5_000,
    "/market?per_page=9223372036854775807",
    "/market?min_price=99999999999999999999&max_price=-1",
    "/market?lat=1e308&lon=nan&radius_km=inf",
    "/market?lat=-0.000000000001&lon=180.000000000001&radius_km=0.0000",
    "/market?from=0001-01-01T00:00%2B14:00&until=9999-12-31T23:59:59.999999-14:00",
    "/market?from=9999-12-31T23:59:59-23:59",
    "/market?vertical=%C3%9C&kind=%00&q=%F0%9F%92%A9&status=%FF",
    "/market/map.json?page=9223372036854775807&lat=90&lon=180&radius_km=20040",
    "/market/" + "x" * 5_000,
    "/market/%C3%9C%00",
    "/explorer/milestones/9223372036854775807",
    "/explorer/milestones/" + "9" * 5_000,
    "/explorer/milestones/-1",
    "/explorer/search?q=" + "9" * 100,
    "/explorer/search?q=%C3%9C",
    "/explorer/messages/" + "0" * 64,
    "/explorer/messages/%C3%9C",
    "/explorer/messages/" + "0" * 64 + "/state",
    "/explorer/addresses/plz1%C3%9C",
    "/explorer/addresses/plz1" + "q" * 5_000,
    "/explorer/tags?tag=%C3%9C&cursor=%C3%9C",
    "/explorer/tags?tag=" + "x" * 5_000 + "&cursor=9223372036854775807",
    "/energy?page=9223372036854775807",
]


def test_hostile_query_parameters_are_the_web_apps_own_4xx(
    node: RunningNode, server_errors: list[str]
) -> None:
    with node.client() as client:
        genesis = client.milestone(1).message_id.hex()
    with serve_web_app(node.url, genesis) as web, httpx.Client(timeout=10) as http:
        for probe in WEB_PROBES:
            reply = http.get(web.url + probe)
            assert reply.status_code < 500, (probe[:80], reply.status_code, reply.text[:300])
    assert server_errors == []
