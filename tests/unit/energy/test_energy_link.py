"""Energy's letters on their way: its outbox's names, and the HTTP link against a real server
(the outbox's delivery rules are tested in unit/market/auth)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse

from plaza.api.energy.link import HttpLink
from plaza.api.energy.replies import install_replies, post_route
from plaza.api.serving import ThreadedServer
from plaza.crypto import Identity
from plaza.energy.envelope import ModuleKey, open_letter
from plaza.energy.errors import PeerFailed, WrongState
from plaza.energy.link import DELIVER_JOB, EnergyOutbox
from plaza.jobs import InlineQueue, Worker
from plaza.market.auth import DeliveryFailed, MemoryNonceStore
from plaza.market.auth.outbox import Refusal, post_json
from plaza.testing import FakeClock

ASSET = Identity.generate()
MARKETPLACE = Identity.generate()
URL = "http://marketplace.test"


class FakeLink:
    """Records every post."""

    def __init__(self) -> None:
        self.posts: list[tuple[str, str, bytes]] = []

    def post(self, url: str, path: str, document: bytes) -> dict[str, Any]:
        self.posts.append((url, path, document))
        return {"success": True}


def test_the_energy_outbox_seals_energy_letters_to_a_module_key() -> None:
    """The market's outbox (tests in unit/market/auth) under the energy names: its job, its
    letters' domain, a recipient named by its ModuleKey."""
    clock, link = FakeClock(), FakeLink()
    queue = InlineQueue(clock)
    outbox = EnergyOutbox(
        queue,
        link,
        sender=lambda: "asset-1",
        identity=lambda: ASSET,
        clock=clock,
        address={"marketplace": URL}.get,
    )
    recipient = ModuleKey.of(MARKETPLACE)
    outbox.send(path="/offer", recipient=recipient, audience="marketplace", body={"n": 1})
    assert outbox.handlers().keys() == {DELIVER_JOB} == {"energy.deliver"}
    assert Worker(queue, outbox.handlers()).run_until_idle() == 1
    letter = open_letter(
        link.posts[0][2],
        identity=MARKETPLACE,
        audience="marketplace",
        now_ms=clock.now_ms(),
        nonces=MemoryNonceStore(),
        known_key={"asset-1": ASSET.public_key}.get,
    )
    assert letter.body == {"n": 1}
    assert link.posts[0][:2] == (URL, "/offer"), "posted where the address book says"
    queue.close()


def test_peer_failed_is_the_markets_delivery_failure_in_the_energy_code() -> None:
    error = PeerFailed(URL, "/x", "no", refused=True)
    assert isinstance(error, DeliveryFailed)
    assert (error.code, error.status, error.message) == ("peer_failed", 502, f"{URL}/x: no")


# --- HttpLink against a real server -------------------------------------------------


def peer_app() -> FastAPI:
    app = FastAPI()

    @app.post("/ok")
    async def ok(request: Request) -> JSONResponse:
        return JSONResponse(
            {
                "success": True,
                "echo": (await request.body()).decode(),
                "type": request.headers["content-type"],
            }
        )

    @app.post("/refuse")
    async def refuse() -> JSONResponse:
        return JSONResponse({"success": False, "error": "unknown asset"}, status_code=404)

    @app.post("/unhappy")
    async def unhappy() -> JSONResponse:
        return JSONResponse({"success": False}, status_code=200)

    @app.post("/broken")
    async def broken() -> JSONResponse:
        return JSONResponse({"success": False, "error": "database locked"}, status_code=503)

    @app.post("/crash")
    async def crash() -> PlainTextResponse:
        return PlainTextResponse("Internal Server Error", status_code=500)

    @app.post("/html")
    async def html() -> PlainTextResponse:
        return PlainTextResponse("<h1>Bad request</h1>", status_code=400)

    @app.post("/odd_details")
    async def odd_details() -> JSONResponse:
        details = {"dead": ["offer:o1", 7], "why": "gone", "count": 2, "list": ["a", "b"]}
        return JSONResponse({"success": False, "error": "no", "details": details}, 409)

    @app.post("/not_details")
    async def not_details() -> JSONResponse:
        return JSONResponse({"success": False, "error": "no", "details": ["offer:o1"]}, 409)

    # a module's own refusal, through the energy reply convention
    install_replies(app)
    router = APIRouter()

    def dead(body: bytes) -> None:
        raise WrongState(
            "request:r1 is no longer open (cancelled)", details={"dead": ["request:r1"]}
        )

    post_route(router, "/match", dead, summary="refuses with details", sealed=False)
    app.include_router(router)
    return app


@pytest.fixture(scope="module")
def peer() -> Iterator[str]:
    with ThreadedServer(peer_app()) as server:
        yield server.url


@pytest.fixture
def link() -> Iterator[HttpLink]:
    http = HttpLink(timeout_s=5)
    yield http
    http.close()


def failure(link: HttpLink, url: str, path: str) -> PeerFailed:
    with pytest.raises(PeerFailed) as raised:
        link.post(url, path, b"{}")
    assert (raised.value.peer, raised.value.path) == (url, path)
    return raised.value


def test_a_successful_reply_is_returned(link: HttpLink, peer: str) -> None:
    reply = post_json(link, peer + "/", "/ok", {"energy": 310, "uuid": "u-1"})
    assert reply["success"] is True
    assert reply["echo"] == '{"energy": 310, "uuid": "u-1"}'
    assert reply["type"] == "application/json"


@pytest.mark.parametrize(
    ("path", "reason"),
    [("/refuse", "unknown asset"), ("/unhappy", "refused"), ("/html", "HTTP 400 without")],
)
def test_a_peer_that_answers_no_has_refused(
    link: HttpLink, peer: str, path: str, reason: str
) -> None:
    error = failure(link, peer, path)
    assert error.refused
    assert reason in error.reason


def test_a_refusal_without_details_has_none(link: HttpLink, peer: str) -> None:
    assert failure(link, peer, "/refuse").peer_details == {}


def test_the_details_of_a_refusal_are_carried_into_peer_failed(link: HttpLink, peer: str) -> None:
    error = failure(link, peer, "/match")
    assert error.refused
    assert error.reason == "request:r1 is no longer open (cancelled)"
    assert error.peer_details == {"dead": ["request:r1"]}


def test_details_that_are_not_strings_or_lists_of_strings_are_left_out(
    link: HttpLink, peer: str
) -> None:
    assert failure(link, peer, "/odd_details").peer_details == {"why": "gone", "list": ["a", "b"]}
    assert failure(link, peer, "/not_details").peer_details == {}


def test_the_outbox_hands_on_refused_the_details_of_a_real_refusal(peer: str) -> None:
    clock, http, refused = FakeClock(), HttpLink(timeout_s=5), list[Refusal]()
    queue = InlineQueue(clock)
    outbox = EnergyOutbox(
        queue,
        http,
        sender=lambda: "asset-1",
        identity=lambda: ASSET,
        clock=clock,
        address={"m": peer}.get,
        on_refused=refused.append,
    )
    try:
        recipient = ModuleKey.of(MARKETPLACE)
        body = {"offer": {}, "request": {}}
        outbox.send(path="/match", recipient=recipient, audience="m", body=body)
        assert Worker(queue, outbox.handlers()).run_until_idle() == 1
    finally:
        queue.close()
        http.close()
    reason = "request:r1 is no longer open (cancelled)"
    assert refused == [Refusal(peer, "/match", reason, body, {"dead": ["request:r1"]})]


@pytest.mark.parametrize(
    ("path", "reason"), [("/broken", "database locked"), ("/crash", "HTTP 500 without")]
)
def test_a_server_error_is_not_a_refusal(link: HttpLink, peer: str, path: str, reason: str) -> None:
    error = failure(link, peer, path)
    assert not error.refused
    assert reason in error.reason
    assert error.status == 502


def test_a_peer_that_is_down_is_not_a_refusal(link: HttpLink) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    error = failure(link, f"http://127.0.0.1:{port}", "/offer")
    assert not error.refused
    assert error.reason.startswith("unreachable")


def test_a_peers_details_are_not_this_modules_own() -> None:
    """A module failing because a peer refused does not answer with the peer's details."""
    error = PeerFailed("http://peer", "/match", "gone", refused=True, details={"dead": ["x"]})
    assert error.peer_details == {"dead": ["x"]}
    assert error.details == {}
