"""What the 402 gateway adds to a paid request: the same upstream called directly and
through ``plaza service gateway``'s app, in one run, request by request.

The upstream is a small FastAPI app answering JSON on loopback; the gateway is
:func:`plaza.services.gateway.create_gateway_app` over it, with its desk on the
live node. Every paid request is prepared first (its 402 offer asked, its hold
submitted and confirmed), so what is timed is the request carrying the proof: the
gateway checks the proof against the node and its book, forwards, signs the receipt
and answers, and releases the hold after answering. Each is timed beside a direct
call of the same upstream path, alternately, so both meet the same machine.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import httpx
from fastapi import FastAPI

from plaza.adapters.ledger.remote import RemoteLedger
from plaza.api.docs import serve_docs
from plaza.api.serving import ThreadedServer
from plaza.bench._stats import percentile
from plaza.clock import SystemClock
from plaza.crypto import SigningKey
from plaza.services.gateway import GatewayBook, GatewayDesk, create_gateway_app
from plaza.services.offers import Offer
from plaza.services.provider import ProviderHome
from plaza.wallet.holds import compose_hold

__all__ = ["GatewayFigures", "measure_gateway"]

CLOCK = SystemClock()
PRICE = 3


@dataclass(frozen=True, slots=True)
class GatewayFigures:
    samples: int
    direct_p50_ms: float
    direct_p99_ms: float
    gateway_p50_ms: float
    gateway_p99_ms: float
    overhead_p50_ms: float
    overhead_p99_ms: float
    paid_answers: int


def _upstream() -> FastAPI:
    """The existing HTTP API the gateway sells, with its docs offline as every Plaza app."""
    app = FastAPI(title="plaza bench upstream", docs_url=None, redoc_url=None)

    @app.get("/v1/echo")
    def echo(n: int) -> dict[str, int]:
        return {"n": n, "square": n * n}

    serve_docs(app)
    return app


def _prepared(
    ledger: RemoteLedger, payer: SigningKey, http: httpx.Client, url: str, samples: int
) -> list[str]:
    """A confirmed hold for each of ``samples`` requests, as their ``Payment-Proof``."""
    proofs, last = [], b""
    for number in range(samples):
        asked = http.get(f"{url}/v1/echo", params={"n": number})
        offer = Offer.from_header(asked.headers["payment-required"])
        offer.verify(offer.pay_to)
        held = compose_hold(
            ledger,
            payer,
            offer.pay_to,
            offer.price,
            expires_at_ms=offer.deadline_ms,
            hashlock=offer.hashlock,
        )
        ledger.submit(held.message.raw)
        proofs.append(f"{offer.offer_id.hex()}:{held.message.id.hex()}")
        last = held.message.id
    ledger.wait_for_confirmation(last, timeout_s=60)
    for proof in proofs:  # each from one payer, in order: the last confirmed, all are
        ledger.wait_for_confirmation(bytes.fromhex(proof.split(":")[1]), timeout_s=60)
    return proofs


def measure_gateway(
    folder: Path, ledger: RemoteLedger, payer: SigningKey, samples: int
) -> GatewayFigures:
    """Time ``samples`` paid requests through the gateway and as many direct ones."""
    home = ProviderHome(folder / "gateway")
    book = GatewayBook(home.path / "gateway.sqlite3")
    try:
        with (
            ThreadedServer(_upstream()) as upstream,
            httpx.Client(timeout=30) as forwarding,
            httpx.Client(timeout=30) as http,
        ):
            desk = GatewayDesk(home.identity(), book, ledger, price=PRICE, clock=CLOCK)
            app = create_gateway_app(desk, upstream.url, forwarding)
            with ThreadedServer(app) as gateway:
                proofs = _prepared(ledger, payer, http, gateway.url, samples)
                return _timed(http, upstream.url, gateway.url, proofs)
    finally:
        book.close()


def _timed(http: httpx.Client, upstream: str, gateway: str, proofs: list[str]) -> GatewayFigures:
    """Each paid request timed right after a direct call of the same path and query."""
    direct: list[float] = []
    through: list[float] = []
    paid = 0
    for number, proof in enumerate(proofs):
        params = {"n": number}
        started = time.perf_counter()
        http.get(f"{upstream}/v1/echo", params=params).raise_for_status()
        direct.append(time.perf_counter() - started)
        started = time.perf_counter()
        answer = http.get(f"{gateway}/v1/echo", params=params, headers={"Payment-Proof": proof})
        through.append(time.perf_counter() - started)
        paid += answer.status_code == 200 and "payment-receipt" in answer.headers
    direct_p50, through_p50 = percentile(direct, 0.5), percentile(through, 0.5)
    direct_p99, through_p99 = percentile(direct, 0.99), percentile(through, 0.99)
    return GatewayFigures(
        samples=len(through),
        direct_p50_ms=round(direct_p50 * 1000, 2),
        direct_p99_ms=round(direct_p99 * 1000, 2),
        gateway_p50_ms=round(through_p50 * 1000, 2),
        gateway_p99_ms=round(through_p99 * 1000, 2),
        overhead_p50_ms=round((through_p50 - direct_p50) * 1000, 2),
        overhead_p99_ms=round((through_p99 - direct_p99) * 1000, 2),
        paid_answers=paid,
    )
