"""The auditors' pages over real HTTP, over the four energy modules' real stores: an auditor
reads every contract and each one's twins decrypted and checked; a trader is refused, a
stranger sent to log in, and the pages are never cached.

Accounts in memory (the web's, as the browser tests use them); the contract made by the
energy flow on its fake clock; the web app behind a real uvicorn server.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from account_site import PASSWORD, log_in
from energy_stack import Flow, energy_flow
from web_server import memory_accounts

from plaza.api.serving import ThreadedServer
from plaza.bootstrap import SystemClock
from plaza.bootstrap.web import EnergyAuditor
from plaza.clients.node import NodeClient
from plaza.market.auth import Role
from plaza.web import WebSources, create_web_app


def _contract_made(flow: Flow) -> None:
    alice = flow.owner("alice", funds=1_000_000)
    bob = flow.owner("bob", funds=1_000_000)
    flow.device(alice, "solar", "provider", energyPrice=20)
    flow.device(bob, "ev", "consumer", energyPrice=20, maxEnergyPrice=30)
    flow.meter("solar", "/produce", 1_500)
    flow.meter("ev", "/consume", 200)
    flow.settle()
    for _ in range(3):
        flow.round()


@contextmanager
def _audit_site(flow: Flow) -> Iterator[str]:
    service = flow.stack.marketplace.service
    accounts = memory_accounts(SystemClock())
    accounts.service.create("auditor@example.org", PASSWORD, roles=(Role.AUDITOR,))
    accounts.service.create("trader@example.org", PASSWORD)
    book = flow.stack.bidmanager.service.bidmanager.book
    with NodeClient("http://127.0.0.1:9") as node:  # these pages ask the backend, not a node
        audits = EnergyAuditor(service.records, service.marketplace)
        sources = WebSources(book=book, node=node, audits=audits)
        with ThreadedServer(create_web_app(sources, accounts=accounts)) as server:
            yield server.url


def test_an_auditor_reads_every_contract_and_its_twins_decrypted(tmp_path: Path) -> None:
    with energy_flow(tmp_path) as flow:
        _contract_made(flow)
        [made] = flow.stack.marketplace.service.records.contracts(limit=10)
        with _audit_site(flow) as url, httpx.Client(base_url=url, timeout=30) as http:
            assert http.get("/audit").headers["location"] == "/login"
            log_in(http, "auditor@example.org")
            listed = http.get("/audit")
            assert listed.status_code == 200
            assert listed.headers["cache-control"] == "no-store"
            assert f'href="/audit/{made.contract_id}"' in listed.text
            assert made.provider in listed.text
            assert made.consumer in listed.text
            page = http.get(f"/audit/{made.contract_id}")
            assert page.status_code == 200, page.text[-500:]
            assert page.headers["cache-control"] == "no-store"
            assert "Verified: the ledger agrees" in page.text
            for twin in (
                "The contract&#39;s twin",
                "The offer&#39;s twin",
                "The request&#39;s twin",
            ):
                assert f">{twin}</h2>" in page.text
            states = re.findall(r"<dt>contractId</dt><dd>([^<]+)</dd>", page.text)
            assert made.contract_id in states, "the contract's states, decrypted"
            assert http.get("/audit/c-unknown").status_code == 404
            assert http.get("/audit/" + "x" * 200).status_code == 400


def test_a_trader_is_refused_the_audit(tmp_path: Path) -> None:
    with (
        energy_flow(tmp_path) as flow,
        _audit_site(flow) as url,
        httpx.Client(base_url=url, timeout=30) as http,
    ):
        log_in(http, "trader@example.org")
        refused = http.get("/audit")
        assert refused.status_code == 403
        assert "Only auditors and operators read the audit pages." in refused.text
        assert "Open the audit" not in http.get("/account").text
