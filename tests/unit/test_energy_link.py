"""Letters on their way: the outbox's delivery jobs against a fake link, and the HTTP link
against a real server."""

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
from plaza.energy.link import DELIVER_JOB, Link, Outbox, Refusal, post_json
from plaza.jobs import InlineQueue, JobState, RetryPolicy, Worker
from plaza.market.auth import MemoryNonceStore
from plaza.testing import FakeClock

ASSET = Identity.generate()
MARKETPLACE = Identity.generate()
URL = "http://marketplace.test"


class FakeLink:
    """Records every post; answers with what ``failure`` says (None: success)."""

    def __init__(self) -> None:
        self.posts: list[tuple[str, str, bytes]] = []
        self.failure: PeerFailed | None = None

    def post(self, url: str, path: str, document: bytes) -> dict[str, Any]:
        self.posts.append((url, path, document))
        if self.failure is not None:
            raise self.failure
        return {"success": True}


class Harness:
    def __init__(self, link: Link | None = None) -> None:
        self.clock = FakeClock()
        self.queue = InlineQueue(self.clock, policy=RetryPolicy(max_attempts=3))
        self.link = FakeLink()
        self.refused: list[Refusal] = []
        self.outbox = Outbox(
            self.queue, link or self.link, sender=lambda: "asset-1", identity=lambda: ASSET,
            clock=self.clock, on_refused=self.refused.append,
        )  # fmt: skip
        self.worker = Worker(self.queue, self.outbox.handlers())

    def send(
        self, body: dict[str, Any], *, key: str | None = None, url: str = URL, path: str = "/offer"
    ) -> None:
        self.outbox.send(
            url=url, path=path, recipient=ModuleKey.of(MARKETPLACE), audience="marketplace",
            body=body, key=key,
        )  # fmt: skip

    def opened(self, index: int = -1) -> Any:
        """The ``index``-th posted letter, opened by the marketplace at the clock's time."""
        return open_letter(
            self.link.posts[index][2], identity=MARKETPLACE, audience="marketplace",
            now_ms=self.clock.now_ms(), nonces=MemoryNonceStore(),
            known_key={"asset-1": ASSET.public_key}.get,
        )  # fmt: skip


@pytest.fixture
def harness() -> Iterator[Harness]:
    running = Harness()
    yield running
    running.queue.close()


def test_a_queued_letter_is_sealed_and_posted_by_its_job(harness: Harness) -> None:
    harness.send({"transaction": {"energyAmount": 310}})
    assert harness.link.posts == [], "nothing is posted while answering"
    assert harness.outbox.handlers().keys() == {DELIVER_JOB}
    assert harness.worker.run_until_idle() == 1
    ((url, path, _),) = harness.link.posts
    assert (url, path) == (URL, "/offer")
    letter = harness.opened()
    assert (letter.sender, letter.audience) == ("asset-1", "marketplace")
    assert letter.body == {"transaction": {"energyAmount": 310}}


def test_a_letter_sent_twice_under_one_key_is_delivered_once(harness: Harness) -> None:
    harness.send({"n": 1}, key="offer:tx-1")
    harness.send({"n": 1}, key="offer:tx-1")
    assert harness.worker.run_until_idle() == 1
    assert len(harness.link.posts) == 1


def test_a_refused_letter_is_dead_at_once_and_reported_with_its_body(harness: Harness) -> None:
    harness.link.failure = PeerFailed(URL, "/offer", "unknown asset", refused=True)
    harness.send({"transaction": {"energyAmount": 310}})
    assert harness.worker.run_until_idle() == 1
    # the body as queued, so the sender can tell what the refused letter held
    assert harness.refused == [
        Refusal(URL, "/offer", "unknown asset", {"transaction": {"energyAmount": 310}}, {})
    ]
    (dead,) = harness.queue.dead_letters()
    assert dead.state is JobState.DEAD
    assert dead.attempts == 1, "a refusal is not retried"
    assert "PermanentFailure" in (dead.last_error or "")
    harness.clock.advance(seconds=3600)
    assert harness.worker.run_until_idle() == 0
    assert len(harness.link.posts) == 1


def test_a_refusal_passes_the_peers_details_on(harness: Harness) -> None:
    dead = {"dead": ["offer:o1", "request:r1"]}
    harness.link.failure = PeerFailed(URL, "/match", "gone", refused=True, details=dead)
    harness.send({"offer": {}, "request": {}})
    assert harness.worker.run_until_idle() == 1
    (refusal,) = harness.refused
    assert (refusal.url, refusal.path, refusal.reason) == (URL, "/offer", "gone")
    assert refusal.body == {"offer": {}, "request": {}}
    assert refusal.details == dead
    with pytest.raises(AttributeError):
        refusal.reason = "other"  # type: ignore[misc]


def test_an_unreachable_peer_is_retried_with_a_fresh_letter(harness: Harness) -> None:
    harness.link.failure = PeerFailed(URL, "/offer", "unreachable: refused", refused=False)
    harness.send({"n": 1})
    assert harness.worker.run_until_idle() == 1
    assert harness.refused == []
    assert harness.queue.dead_letters() == []
    assert harness.worker.run_until_idle() == 0, "not before its backoff"

    harness.clock.advance(seconds=600)  # longer than a letter stays fresh
    harness.link.failure = None
    assert harness.worker.run_until_idle() == 1
    assert len(harness.link.posts) == 2
    assert harness.opened().issued_at_ms == harness.clock.now_ms(), "sealed at delivery"
    assert harness.queue.statistics().get("dead", 0) == 0


def test_a_peer_down_for_good_ends_in_the_dead_letters_unreported(harness: Harness) -> None:
    harness.link.failure = PeerFailed(URL, "/offer", "unreachable", refused=False)
    harness.send({"n": 1})
    for _ in range(3):
        harness.worker.run_until_idle()
        harness.clock.advance(seconds=3600)
    (dead,) = harness.queue.dead_letters()
    assert dead.attempts == 3
    assert harness.refused == [], "on_refused is for refusals, not outages"


def test_an_outbox_without_on_refused_still_gives_up_on_a_refusal() -> None:
    clock = FakeClock()
    queue = InlineQueue(clock)
    link = FakeLink()
    link.failure = PeerFailed(URL, "/x", "no", refused=True)
    outbox = Outbox(queue, link, sender=lambda: "a", identity=lambda: ASSET, clock=clock)
    outbox.send(url=URL, path="/x", recipient=ModuleKey.of(MARKETPLACE), audience="m", body={})
    Worker(queue, outbox.handlers()).run_until_idle()
    assert len(queue.dead_letters()) == 1
    queue.close()


# --- HttpLink against a real server -------------------------------------------------


def peer_app() -> FastAPI:
    app = FastAPI()

    @app.post("/ok")
    async def ok(request: Request) -> JSONResponse:
        return JSONResponse({"success": True, "echo": (await request.body()).decode(),
                             "type": request.headers["content-type"]})  # fmt: skip

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
        raise WrongState("request:r1 is no longer open (cancelled)",
                         details={"dead": ["request:r1"]})  # fmt: skip

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
    http = HttpLink(timeout_s=5)
    harness = Harness(http)
    try:
        harness.send({"offer": {}, "request": {}}, url=peer, path="/match")
        assert harness.worker.run_until_idle() == 1
    finally:
        harness.queue.close()
        http.close()
    assert harness.refused == [
        Refusal(peer, "/match", "request:r1 is no longer open (cancelled)",
                {"offer": {}, "request": {}}, {"dead": ["request:r1"]})
    ]  # fmt: skip


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
