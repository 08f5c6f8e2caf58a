"""``plaza bench telco``: matching on creation with a full book, and orders through TMF622.

Marketplaces (the production wiring of :func:`plaza.bootstrap.build_market`,
SQLite) are served on loopback in this process; every timed call is a signed
request to the TMF API.

* **The book**: ``book`` open offerings and requests (half each) of the six asset
  types, around twenty European cities (within ~30 km of each), in windows over
  the next month, at prices from 50 to 500, each offering on an asset of its
  provider's; put on the marketplace's book in process (not timed, and without
  a node: the figure is matching, not the channels, which the orders measure).
* ``match_on_create_p99_ms``: creating an offering or a request (alternately, of
  a random type and place) through the TMF API with that book open, to its
  answer carrying the suggestions; ``samples`` of them, one at a time.
* ``orders_per_s``: on a second marketplace recording twins on a node (run as
  its own process, with proof of work and its own milestones), ``orders`` product orders through
  TMF622, each from a request matched with its offering on creation and paid by
  a hold confirmed on the node beforehand, placed by its service provider (the
  marketplace checks the hold on the node and keeps the order) and confirmed by
  its asset provider (the marketplace makes the match, signs the contract,
  stages its twins for the channels), ``threads`` pairs at once: orders over the
  wall time of placing and confirming, the twin outbox emptied of the deals'
  states first. ``order_p99_ms`` is the latency of one (both calls); ``order_twins_drain_s``
  how long after the last order the outbox took to write every state the
  orders staged to the node (``twins_waiting`` what it had left when the wait
  ended: 0).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from plaza.adapters.ledger.remote import RemoteLedger
from plaza.api.market import MarketApiConfig
from plaza.api.serving import ThreadedServer
from plaza.bench._stats import percentile
from plaza.bench.telco_book import (
    DAY_MS,
    HOUR_MS,
    OFFERING,
    ORDER,
    REQUEST,
    RESOURCE,
    TYPES,
    Book,
    Party,
    fill,
    in_threads,
    period,
)
from plaza.bootstrap import MarketRuntime, SystemClock, build_market
from plaza.clients.node import NodeClient
from plaza.market.auth import Role
from plaza.settings import MarketSettings
from plaza.wallet.holds import compose_hold

__all__ = ["TelcoPlan", "run_telco_benchmark"]

_CONFIRM_TIMEOUT_S = 120.0

Progress = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class TelcoPlan:
    book: int = 10_000  # open offerings and requests before matching is timed
    samples: int = 300  # offerings and requests created, timed, with the book open
    orders: int = 400  # product orders placed, timed
    threads: int = 8
    assets: int = 500  # the book's offerings are on these, in turn
    pow_difficulty: int = 11
    milestone_interval_s: float = 1.0
    seed: int = 14


def _match_on_create(
    providers: list[Party], consumers: list[Party], plan: TelcoPlan, book: Book
) -> list[float]:
    """Latencies (ms) of creating an offering or a request with the book open."""
    provider, consumer = providers[0], consumers[0]
    asset_ids = [provider.call("POST", RESOURCE, book.asset(f"sample {i}"))["id"] for i in range(8)]
    latencies = []
    for i in range(plan.samples):
        if i % 2:
            path, party, body = REQUEST, consumer, book.request()
        else:
            path, party, body = OFFERING, provider, book.offering(asset_ids[i % len(asset_ids)])
        began = time.perf_counter()
        created = party.call("POST", path, body)
        latencies.append((time.perf_counter() - began) * 1000)
        if "match" not in created:
            raise RuntimeError(f"{path} answered no suggestions")
    return latencies


@dataclass
class _Deal:
    consumer: Party
    provider: Party
    seller: str
    offer_id: str
    request_id: str
    hold_id: str = ""


def _deal(provider: Party, consumer: Party, place: dict[str, str], window: dict[str, str]) -> _Deal:
    """One asset offered in ``window`` at ``place`` and a request there that matches it alone."""
    asset = {
        "name": "deal",
        "category": "cell_site",
        "place": place,
        "resourceCharacteristic": TYPES["cell_site"],
    }
    asset_id = provider.call("POST", RESOURCE, asset)["id"]
    price = [{"price": {"value": 100, "unit": "coin"}}]
    offering = {"resource": {"id": asset_id}, "validFor": window, "productOfferingPrice": price}
    offered = provider.call("POST", OFFERING, offering)
    request = {
        "category": "cell_site",
        "place": place,
        "radiusKm": 1.0,
        "validFor": window,
        "maxPrice": {"value": 150},
    }
    wanted = consumer.call("POST", REQUEST, request)
    if [found["id"] for found in wanted["match"]] != [offered["id"]]:
        raise RuntimeError("a deal's request did not match its offering alone")
    return _Deal(consumer, provider, provider.id, offered["id"], wanted["id"])


def _deals(
    providers: list[Party], consumers: list[Party], plan: TelcoPlan, now_ms: int
) -> list[_Deal]:
    """An offering and a request matching it on creation, far from the book and each other."""
    deals: list[list[_Deal]] = [[] for _ in range(plan.threads)]
    per_thread = plan.orders // plan.threads
    start = now_ms + DAY_MS
    window = period(start, start + 2 * HOUR_MS)

    def make(number: int) -> None:
        for i in range(per_thread):
            lat = -50.0 - (number * per_thread + i) // 100 * 0.5
            lon = -170.0 + (number * per_thread + i) % 100 * 1.0
            place = {"id": f"geo:{lat:.4f},{lon:.4f}"}
            deals[number].append(_deal(providers[number], consumers[number], place, window))

    in_threads(plan.threads, make)
    return [deal for thread in deals for deal in thread]


def _hold_all(node_url: str, deals: list[_Deal], arbiter: str, expires_at_ms: int) -> None:
    """Fund each service provider, then hold each deal's price for its provider, confirmed."""
    with NodeClient(node_url) as client:
        ledger = RemoteLedger(client, clock=SystemClock())
        grants = {deal.consumer.id: deal.consumer for deal in deals}
        for party in grants.values():
            grant = ledger.request_faucet(party.identity.address)
            ledger.wait_for_confirmation(grant.message_id, timeout_s=_CONFIRM_TIMEOUT_S)
        held = []
        for deal in deals:
            hold = compose_hold(
                ledger,
                deal.consumer.identity.signing,
                deal.seller,
                100,
                expires_at_ms=expires_at_ms,
                arbiter=arbiter,
            )
            ledger.submit(hold.message.raw)
            deal.hold_id = hold.hold_id.hex()
            held.append(hold.message.id)
        for message_id in held:
            ledger.wait_for_confirmation(message_id, timeout_s=_CONFIRM_TIMEOUT_S)


def _place(deals: list[_Deal], threads: int) -> tuple[float, list[float]]:
    """Place every deal's order and have its asset provider confirm it, ``threads`` at once;
    the wall time and each order's latency (ms), placing and confirmation."""
    latencies: list[float] = []
    lock = threading.Lock()

    def place(number: int) -> None:
        for deal in deals[number::threads]:
            body = {
                "productOrderItem": [
                    {"id": "1", "action": "add", "productOffering": {"id": deal.offer_id}}
                ],
                "productRequest": {"id": deal.request_id},
                "payment": [{"id": deal.hold_id, "@referredType": "HeldPayment"}],
            }
            began = time.perf_counter()
            order = deal.consumer.call("POST", ORDER, body)
            confirmed = deal.provider.call(
                "PATCH", f"{ORDER}/{order['id']}", {"state": "inProgress"}
            )
            with lock:
                latencies.append((time.perf_counter() - began) * 1000)
            if confirmed["state"] != "inProgress":
                raise RuntimeError(f"an order was confirmed {confirmed['state']}")

    return in_threads(threads, place), latencies


@contextmanager
def _market(data_dir: Path, node_url: str = "") -> Iterator[tuple[str, MarketRuntime]]:
    """A marketplace served here (recording twins on ``node_url``, if given): its URL."""
    settings = MarketSettings(data_dir=data_dir, node_url=node_url)
    market = build_market(settings, config=MarketApiConfig(periodic_interval_s=1.0))
    try:
        with ThreadedServer(market.app()) as server:
            yield server.url, market
    finally:
        market.close()


@contextmanager
def _node(data_dir: Path, plan: TelcoPlan) -> Iterator[str]:
    """A node in a process of its own, as it would run beside a marketplace (and off this
    process's interpreter lock), its faucet open to the benchmark's many parties: its URL."""
    port = _free_port()
    command = [sys.executable, "-m", "plaza.cli.main", "node", "run", "--data-dir", str(data_dir)]
    options = [
        "--port",
        str(port),
        "--pow-difficulty",
        str(plan.pow_difficulty),
        "--milestone-interval",
        str(plan.milestone_interval_s),
    ]
    env = {**os.environ, "PLAZA_FAUCET_REQUESTS_PER_S": "1000", "PLAZA_FAUCET_BURST": "1000"}
    log = (data_dir.parent / "node.log").open("wb")
    process = subprocess.Popen(  # noqa: S603 - this interpreter, our command
        [*command, *options], stdout=log, stderr=log, env=env
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while not _healthy(url):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the node did not start; see {log.name}")
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(30)
        log.close()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def _healthy(url: str) -> bool:
    try:
        return httpx.get(f"{url}/health", timeout=1.0).status_code == 200
    except httpx.HTTPError:
        return False


def _ms(values: list[float], fraction: float) -> float:
    return round(percentile(values, fraction), 2)


def _matching(scratch: Path, plan: TelcoPlan, say: Progress) -> dict[str, object]:
    with _market(scratch / "book") as (url, market):
        provider = Party(url, "operator", Role.PROVIDER)
        consumer = Party(url, "service provider", Role.CONSUMER)
        try:
            book = Book(plan.seed, SystemClock().now_ms())
            say(f"putting {plan.book} offerings and requests of six types on the book")
            began = time.perf_counter()
            fill(market, (provider, consumer), book, size=plan.book, assets=plan.assets)
            fill_s = time.perf_counter() - began
            say(f"creating {plan.samples} offerings and requests through TMF620, book open")
            matching = _match_on_create([provider], [consumer], plan, book)
        finally:
            provider.close()
            consumer.close()
    return {
        "offers": plan.book // 2 + plan.samples // 2,
        "requests": plan.book // 2 + plan.samples - plan.samples // 2,
        "book_fill_s": round(fill_s, 1),
        "match_on_create_p50_ms": _ms(matching, 0.5),
        "match_on_create_p99_ms": _ms(matching, 0.99),
    }


def _drain(market: MarketRuntime) -> tuple[float, int]:
    """Wait for the twin outbox to write every state; how long, and what was left."""
    twins = market.services.twins
    began = time.perf_counter()
    while twins is not None and twins.statistics()["queued"]:
        if time.perf_counter() - began > _CONFIRM_TIMEOUT_S:
            break
        time.sleep(0.05)
    left = twins.statistics()["queued"] if twins is not None else 0
    return time.perf_counter() - began, left


def _ordering(scratch: Path, plan: TelcoPlan, say: Progress) -> dict[str, object]:
    clock = SystemClock()
    with (
        _node(scratch / "node", plan) as node_url,
        _market(scratch / "orders", node_url) as (
            url,
            market,
        ),
    ):
        providers = [Party(url, f"operator {n}", Role.PROVIDER) for n in range(plan.threads)]
        consumers = [Party(url, f"provider {n}", Role.CONSUMER) for n in range(plan.threads)]
        try:
            say(f"{plan.orders} deals matched on creation, their holds confirmed on the node")
            deals = _deals(providers, consumers, plan, clock.now_ms())
            arbiter = str(market.services.identity.signing.public_key.address)
            _hold_all(node_url, deals, arbiter, clock.now_ms() + 3 * DAY_MS)
            _drain(market)
            say(f"placing {len(deals)} orders through TMF622, {plan.threads} at once")
            elapsed, latencies = _place(deals, plan.threads)
            drained, waiting = _drain(market)
        finally:
            for party in (*providers, *consumers):
                party.close()
    return {
        "orders": len(latencies),
        "orders_per_s": round(len(latencies) / elapsed, 1),
        "order_p99_ms": _ms(latencies, 0.99),
        "order_twins_drain_s": round(drained, 1),
        "twins_waiting": waiting,
        "threads": plan.threads,
    }


def run_telco_benchmark(plan: TelcoPlan, progress: Progress | None = None) -> dict[str, object]:
    """Matching on creation with the book full, then orders through TMF622."""
    say = progress or (lambda _text: None)
    with tempfile.TemporaryDirectory(prefix="plaza-bench-telco-") as scratch:
        figures = _matching(Path(scratch), plan, say)
        figures.update(_ordering(Path(scratch), plan, say))
    return figures
