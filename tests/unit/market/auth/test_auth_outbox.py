"""Letters on their way: the outbox's delivery jobs against a fake link; questions and their
signed answers."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from plaza.crypto import Identity
from plaza.jobs import InlineQueue, JobState, RetryPolicy, Worker
from plaza.market.auth import (
    DeliveryFailed,
    DocumentFormat,
    MalformedSignedRequest,
    MemoryNonceStore,
)
from plaza.market.auth.letters import Letter, LetterFormat
from plaza.market.auth.outbox import DELIVER_JOB, Link, Outbox, Refusal
from plaza.market.auth.questions import Questions
from plaza.testing import FakeClock

ASSET = Identity.generate()
MARKETPLACE = Identity.generate()
URL = "http://marketplace.test"
LETTERS = LetterFormat("plaza-test-letter-v1")
DOCUMENTS = DocumentFormat("plaza-test-document-v1")


class FakeLink:
    """Records every post; answers with what ``failure`` says (None: success)."""

    def __init__(self) -> None:
        self.posts: list[tuple[str, str, bytes]] = []
        self.failure: DeliveryFailed | None = None
        self.meanwhile: Callable[[], None] = lambda: None  # what happens as it is posted

    def post(self, url: str, path: str, document: bytes) -> dict[str, Any]:
        self.posts.append((url, path, document))
        self.meanwhile()
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
            self.queue,
            link or self.link,
            letters=LETTERS,
            sender=lambda: "asset-1",
            identity=lambda: ASSET,
            clock=self.clock,
            on_refused=self.refused.append,
        )
        self.worker = Worker(self.queue, self.outbox.handlers())

    def send(
        self, body: dict[str, Any], *, key: str | None = None, url: str = URL, path: str = "/offer"
    ) -> None:
        recipient = MARKETPLACE.encryption.public_key.raw.hex()
        self.outbox.send(
            url=url, path=path, recipient=recipient, audience="marketplace", body=body, key=key
        )

    def opened(self, index: int = -1) -> Any:
        """The ``index``-th posted letter, opened by the marketplace at the clock's time."""
        return LETTERS.open(
            self.link.posts[index][2],
            key=MARKETPLACE.encryption,
            audience="marketplace",
            now_ms=self.clock.now_ms(),
            nonces=MemoryNonceStore(),
            known_key={"asset-1": ASSET.public_key}.get,
        )


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
    harness.link.failure = DeliveryFailed(URL, "/offer", "unknown asset", refused=True)
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
    harness.link.failure = DeliveryFailed(URL, "/match", "gone", refused=True, details=dead)
    harness.send({"offer": {}, "request": {}})
    assert harness.worker.run_until_idle() == 1
    (refusal,) = harness.refused
    assert (refusal.url, refusal.path, refusal.reason) == (URL, "/offer", "gone")
    assert refusal.body == {"offer": {}, "request": {}}
    assert refusal.details == dead
    with pytest.raises(AttributeError):
        refusal.reason = "other"  # type: ignore[misc]


def test_an_unreachable_peer_is_retried_with_a_fresh_letter(harness: Harness) -> None:
    harness.link.failure = DeliveryFailed(URL, "/offer", "unreachable: refused", refused=False)
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
    harness.link.failure = DeliveryFailed(URL, "/offer", "unreachable", refused=False)
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
    link.failure = DeliveryFailed(URL, "/x", "no", refused=True)
    outbox = Outbox(
        queue, link, letters=LETTERS, sender=lambda: "a", identity=lambda: ASSET, clock=clock
    )
    recipient = MARKETPLACE.encryption.public_key.raw.hex()
    outbox.send(url=URL, path="/x", recipient=recipient, audience="m", body={})
    Worker(queue, outbox.handlers()).run_until_idle()
    assert len(queue.dead_letters()) == 1
    queue.close()


# --- questions --------------------------------------------------------------------

QUESTIONS = Questions(LETTERS, DOCUMENTS)


class Answering:
    """A :class:`Link` to a peer that opens the question and answers with ``reply``."""

    def __init__(self, reply: Any = None) -> None:
        self.reply = reply
        self.asked: list[Letter] = []

    def post(self, url: str, path: str, document: bytes) -> dict[str, Any]:
        letter = LETTERS.open(
            document,
            key=MARKETPLACE.encryption,
            audience="marketplace",
            now_ms=0,
            nonces=MemoryNonceStore(),
            known_key={"asset-1": ASSET.public_key}.get,
        )
        self.asked.append(letter)
        if self.reply is not None:
            return {"success": True, "answer": self.reply(letter)}
        return QUESTIONS.answer(letter, {"onboarded": True}, MARKETPLACE)


def ask(link: Link) -> dict[str, Any]:
    return QUESTIONS.ask(
        link,
        url=URL,
        path="/onboarded",
        body={"assetId": "a-1"},
        sender="asset-1",
        identity=ASSET,
        recipient=MARKETPLACE.encryption.public_key,
        signer=MARKETPLACE.public_key,
        audience="marketplace",
        now_ms=0,
    )


def test_a_question_gets_its_signed_answer() -> None:
    link = Answering()
    message = ask(link)
    (letter,) = link.asked
    assert letter.body["assetId"] == "a-1"
    assert message == {"onboarded": True, "ask": letter.body["ask"]}


def test_an_answer_signed_by_another_is_not_believed() -> None:
    other = Identity.generate()
    link = Answering(lambda letter: DOCUMENTS.sign({"ask": letter.body["ask"]}, other))
    with pytest.raises(DeliveryFailed, match="no valid answer: the document is signed by another"):
        ask(link)


def test_an_answer_to_another_question_is_not_believed() -> None:
    link = Answering(lambda letter: DOCUMENTS.sign({"ask": "0" * 32}, MARKETPLACE))
    with pytest.raises(DeliveryFailed, match="not to this question") as raised:
        ask(link)
    assert raised.value.refused


@pytest.mark.parametrize("question", [None, "", "XYZ", "0" * 31])
def test_a_question_without_a_valid_ask_is_refused(question: object) -> None:
    letter = Letter("asset-1", ASSET.public_key, "marketplace", 0, {"ask": question})
    with pytest.raises(MalformedSignedRequest, match="ask"):
        QUESTIONS.answer(letter, {}, MARKETPLACE)


# --- letters addressed to a participant, looked up when they leave ------------------

MOVED = "http://marketplace.moved.test"


class Addressed(Harness):
    """An outbox with an address book: the letter names its recipient, not a URL."""

    def __init__(self) -> None:
        super().__init__()
        self.book = {"marketplace": URL}
        self.outbox = Outbox(
            self.queue,
            self.link,
            letters=LETTERS,
            sender=lambda: "asset-1",
            identity=lambda: ASSET,
            clock=self.clock,
            on_refused=self.refused.append,
            address=self.book.get,
        )
        self.worker = Worker(self.queue, self.outbox.handlers())

    def send_to_marketplace(self, body: dict[str, Any]) -> None:
        recipient = MARKETPLACE.encryption.public_key.raw.hex()
        self.outbox.send(path="/offer", recipient=recipient, audience="marketplace", body=body)


@pytest.fixture
def addressed() -> Iterator[Addressed]:
    running = Addressed()
    yield running
    running.queue.close()


def test_a_letter_goes_where_its_recipient_is_when_it_leaves(addressed: Addressed) -> None:
    addressed.send_to_marketplace({"n": 1})
    addressed.book["marketplace"] = MOVED  # the peer restarted elsewhere meanwhile
    assert addressed.worker.run_until_idle() == 1
    assert [(url, path) for url, path, _ in addressed.link.posts] == [(MOVED, "/offer")]
    assert addressed.opened().body == {"n": 1}


def test_a_letter_to_a_registered_recipient_is_never_given_up(addressed: Addressed) -> None:
    """The queue's policy allows 3 attempts; the letter is tried 60 times over days, each
    retry at most the policy's cap (an hour) after the last, and arrives in the end."""
    addressed.link.failure = DeliveryFailed(URL, "/offer", "unreachable", refused=False)
    addressed.send_to_marketplace({"n": 1})
    for _ in range(60):
        addressed.clock.advance(ms=RetryPolicy().max_delay_ms)
        assert addressed.worker.run_until_idle() == 1, "retried within the capped backoff"
    assert addressed.queue.dead_letters() == []
    addressed.link.failure = None
    addressed.book["marketplace"] = MOVED
    addressed.clock.advance(ms=RetryPolicy().max_delay_ms)
    assert addressed.worker.run_until_idle() == 1
    assert addressed.queue.statistics()["done"] == 1
    assert len(addressed.link.posts) == 61
    assert addressed.link.posts[-1][0] == MOVED


def test_a_letter_whose_recipient_is_gone_is_dropped_with_a_log_line(
    addressed: Addressed, caplog: pytest.LogCaptureFixture
) -> None:
    addressed.send_to_marketplace({"n": 1})
    del addressed.book["marketplace"]  # unregistered: no address for it any more
    with caplog.at_level(logging.WARNING, logger="plaza.market.auth.outbox"):
        assert addressed.worker.run_until_idle() == 1
    assert addressed.link.posts == [], "nothing is posted to where it used to be"
    (dead,) = addressed.queue.dead_letters()
    assert "marketplace is no longer registered" in (dead.last_error or "")
    assert any(
        "dropped" in r.getMessage() and "marketplace" in r.getMessage() for r in caplog.records
    )
    assert addressed.refused == [], "no refusal: nobody refused it"


def test_a_refusal_where_the_recipient_no_longer_is_is_retried(addressed: Addressed) -> None:
    """Another service listens at the old port now and refuses: the recipient had moved."""
    addressed.link.failure = DeliveryFailed(URL, "/offer", "not sealed to me", refused=True)
    addressed.link.meanwhile = lambda: addressed.book.update(marketplace=MOVED)
    addressed.send_to_marketplace({"n": 1})
    assert addressed.worker.run_until_idle() == 1
    assert addressed.refused == []
    assert addressed.queue.dead_letters() == []
    addressed.link.failure = None
    addressed.clock.advance(seconds=10)
    assert addressed.worker.run_until_idle() == 1
    assert [url for url, _, _ in addressed.link.posts] == [URL, MOVED]


def test_the_recipient_refusing_at_its_address_is_final(addressed: Addressed) -> None:
    addressed.link.failure = DeliveryFailed(URL, "/offer", "unknown asset", refused=True)
    addressed.send_to_marketplace({"n": 1})
    assert addressed.worker.run_until_idle() == 1
    assert [r.url for r in addressed.refused] == [URL]
    assert len(addressed.queue.dead_letters()) == 1


def test_a_payload_queued_with_a_url_by_an_older_release_still_delivers(
    addressed: Addressed,
) -> None:
    recipient = MARKETPLACE.encryption.public_key.raw.hex()
    old = {"url": URL, "path": "/offer", "recipient": recipient, "audience": "marketplace"}
    addressed.queue.enqueue(DELIVER_JOB, {**old, "body": {"n": 1}})
    addressed.book["marketplace"] = MOVED
    assert addressed.worker.run_until_idle() == 1
    assert addressed.link.posts[-1][:2] == (MOVED, "/offer"), "to where its recipient is now"
    plain = Harness()
    plain.queue.enqueue(DELIVER_JOB, {**old, "body": {"n": 2}})
    assert plain.worker.run_until_idle() == 1
    assert plain.link.posts[-1][:2] == (URL, "/offer"), "no address book: the queued url"
    plain.queue.close()


def test_an_outbox_without_an_address_book_needs_each_letters_url(harness: Harness) -> None:
    with pytest.raises(ValueError, match="url"):
        harness.outbox.send(path="/x", recipient="00", audience="m", body={})
    assert harness.queue.statistics()["pending"] == 0
