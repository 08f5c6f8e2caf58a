"""The orchestrator's report of access configured, against a marketplace answered in process:
a report the market finds early (its clock behind the orchestrator's, the window not started
there yet) is sent again at the next round, once; one it took is never sent again."""

from __future__ import annotations

import json
from typing import Any

import httpx

from plaza.clients.market import MarketClient
from plaza.crypto import Identity
from plaza.telco.access import AccessState
from plaza.telco.orchestrator import Orchestrator
from plaza.testing.clock import FakeClock
from plaza.verticals.telco_views import iso

_MARKET = Identity.generate()
_INFO = {
    "audience": "test",
    "marketplace_id": "market",
    "signing_key": _MARKET.signing.public_key.raw.hex(),
    "encryption_key": _MARKET.encryption.public_key.raw.hex(),
    "policy": "cda",
    "node_url": None,
    "time_ms": 0,
}


class _Market:
    """One confirmed order whose window has started; PATCHes answered from ``answers``."""

    def __init__(self, orchestrator: str, now_ms: int, answers: list[tuple[int, Any]]) -> None:
        self.order = {
            "id": "po-1",
            "state": "inProgress",
            "resource": {"id": "ast-1"},
            "relatedParty": [
                {"id": "sp", "role": "customer"},
                {"id": orchestrator, "role": "orchestrator"},
            ],
            "requestedStartDate": iso(now_ms - 1_000),
            "requestedCompletionDate": iso(now_ms + 60_000),
        }
        self.answers = answers
        self.patches = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/info"):
            return httpx.Response(200, json=_INFO)
        if request.method == "PATCH":
            self.patches += 1
            status, body = self.answers.pop(0)
            return httpx.Response(status, json=body)
        if request.url.path.endswith("/productOrder"):
            return httpx.Response(200, json=[self.order])
        return httpx.Response(200, json=self.order)


def _orchestrator(market: _Market, identity: Identity, clock: FakeClock) -> Orchestrator:
    transport = httpx.MockTransport(market)
    client = MarketClient("http://market.test", identity=identity, clock=clock, transport=transport)
    http = httpx.Client(transport=transport)
    return Orchestrator(client, clock=clock, http=http)


def test_a_report_the_market_finds_early_is_sent_again_once() -> None:
    clock, identity = FakeClock(), Identity.generate()
    early = {"code": "window_not_started", "message": "access is configured in the window"}
    market = _Market(str(identity.address), clock.now_ms(), [(409, early), (200, {})])
    orchestrator = _orchestrator(market, identity, clock)
    assert orchestrator.round() == 1  # access configured, the report refused as early
    entry = orchestrator.access.get("po-1")
    assert entry is not None
    assert (entry.state, entry.reported, market.patches) == (AccessState.ACTIVE, False, 1)
    orchestrator.round()
    entry = orchestrator.access.get("po-1")
    assert entry is not None
    assert (entry.reported, market.patches) == (True, 2)
    orchestrator.round()
    assert market.patches == 2  # taken: never sent again


def test_a_report_refused_for_another_reason_is_not_sent_again() -> None:
    clock, identity = FakeClock(), Identity.generate()
    refused = {"code": "wrong_state", "message": json.dumps("no")}
    market = _Market(str(identity.address), clock.now_ms(), [(409, refused)])
    orchestrator = _orchestrator(market, identity, clock)
    orchestrator.round()
    orchestrator.round()
    assert market.patches == 1
