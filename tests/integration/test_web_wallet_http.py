"""The wallet's relays over real HTTP: what the browser may ask for, and every bad request a
browser (or anyone) can send answered with a 4xx and a reason, never a 500.

A real node (the module's, from conftest) behind the web app on a real uvicorn server.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from node_server import RunningNode
from web_server import RunningWeb, serve_web_app

from plaza.clients.node import NodeClient
from plaza.crypto import SigningKey
from plaza.ledger.compose import compose
from plaza.ledger.model import MilestonePayload, Output, TransferPayload
from plaza.ledger.pow import NoWork


@pytest.fixture(scope="module")
def web(node: RunningNode) -> Iterator[RunningWeb]:
    with node.client() as client:
        genesis = client.milestone(1).message_id.hex()
    with serve_web_app(node.url, genesis) as running:
        yield running


@pytest.fixture
def http(web: RunningWeb) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=web.url, timeout=10) as client:
        yield client


def test_the_wallet_page_may_compile_webassembly_and_nothing_else_more(
    http: httpx.Client,
) -> None:
    page = http.get("/wallet")
    assert page.status_code == 200
    policy = page.headers["content-security-policy"]
    assert "script-src 'self' 'wasm-unsafe-eval';" in policy
    assert "unsafe-inline" not in policy
    assert policy.count("content-security-policy") == 0
    assert "'wasm-unsafe-eval'" not in http.get("/market").headers["content-security-policy"]


def test_a_signed_transfer_is_relayed_and_the_node_does_its_work(
    http: httpx.Client, node: RunningNode
) -> None:
    payer = SigningKey.generate()
    with NodeClient(node.url) as client:
        grant = client.faucet(payer.public_key.address)
        client.wait_for_confirmation(grant.message_id, timeout=10)
        before = client.latest_milestone().index
        network = http.get("/wallet/api/network").json()
        milestone = client.get_message(bytes.fromhex(network["milestone"])).payload
        assert isinstance(milestone, MilestonePayload)  # a parent a payment may take alone
        assert milestone.index >= before
        message = compose(
            payer,
            network_id=network["networkId"],
            parents=[bytes.fromhex(tip) for tip in network["tips"]],
            payload=TransferPayload((Output(SigningKey.generate().public_key.address.raw, 5),)),
            issued_at_ms=network["nowMs"],
            work=NoWork(),
        )
        reply = http.post(
            "/wallet/api/messages",
            content=message.raw,
            headers={"content-type": "application/octet-stream"},
        )
        assert reply.status_code == 200, reply.text
        relayed = bytes.fromhex(reply.json()["messageId"])
        assert client.get_message(relayed).payload == message.payload
    view = http.get(f"/wallet/api/addresses/{payer.public_key.address}").json()
    assert view["balance"] > 0
    assert {item["messageId"] for item in view["history"]} >= {grant.message_id.hex()}


BAD = [
    ("get", "/wallet/api/addresses/plz1nope", {}, 400, "not a Plaza address"),
    ("get", "/wallet/qr/plz1nope.svg", {}, 400, "not a Plaza address"),
    ("post", "/wallet/api/faucet", {"content": b"{"}, 400, 'send {"address": "plz1'),
    ("post", "/wallet/api/faucet", {"json": {"address": 7}}, 400, 'send {"address": "plz1'),
    ("post", "/wallet/api/faucet", {"json": {"address": "plz1x"}}, 400, "not a Plaza address"),
    ("post", "/wallet/api/messages", {"content": b"\x01\x02"}, 415, "application/octet-stream"),
    (
        "post",
        "/wallet/api/messages",
        {"content": b"", "headers": {"content-type": "application/octet-stream"}},
        400,
        "a message is 1 to",
    ),
    (
        "post",
        "/wallet/api/messages",
        {"content": b"\x01" * 40, "headers": {"content-type": "application/octet-stream"}},
        400,
        "",
    ),
]


@pytest.mark.parametrize(("method", "path", "send", "status", "says"), BAD)
def test_bad_requests_get_a_reason_and_change_nothing(
    http: httpx.Client, method: str, path: str, send: dict[str, object], status: int, says: str
) -> None:
    reply = http.request(method.upper(), path, **send)  # type: ignore[arg-type]  # kwargs by case
    assert reply.status_code == status, reply.text
    assert says in reply.json()["error"]


def test_an_address_is_a_qr_code_any_browser_can_show(http: httpx.Client) -> None:
    address = SigningKey.generate().public_key.address
    image = http.get(f"/wallet/qr/{address}.svg")
    assert image.status_code == 200
    assert image.headers["content-type"] == "image/svg+xml"
    assert b'<svg xmlns="http://www.w3.org/2000/svg"' in image.content
    assert str(address).encode() in image.content  # its title


def test_the_recovery_words_are_bip39s_english_list(http: httpx.Client) -> None:
    words = http.get("/wallet/words.txt").text.split()
    assert len(words) == 2048
    assert (words[0], words[-1]) == ("abandon", "zoo")
