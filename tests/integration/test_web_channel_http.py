"""The channel reader's one read over HTTP: the data messages under a tag, public ledger
data; a malformed tag a 400 that says why, a node that does not answer a 503."""

from __future__ import annotations

import httpx
import pytest
from node_server import RunningNode
from web_server import serve_web_app

from plaza.adapters.ledger.remote import RemoteLedger
from plaza.bootstrap import SystemClock
from plaza.crypto import Identity
from plaza.ledger.model import DataPayload

TAG = bytes(range(32))


@pytest.mark.parametrize("tag", ["00" * 31, "AB" * 32, "zz" * 32, "00" * 33])
def test_a_malformed_tag_is_refused(node: RunningNode, tag: str) -> None:
    with serve_web_app(node.url, "00" * 32) as web:
        answer = httpx.get(f"{web.url}/explorer/api/tags/{tag}")
    assert answer.status_code == 400
    assert answer.json() == {"error": "a tag is 64 lower-case hex digits"}


def test_the_data_messages_under_a_tag_are_listed(node: RunningNode) -> None:
    with node.client() as client:
        gateway = RemoteLedger(client, clock=SystemClock())
        issuer = Identity.generate().signing
        sent = gateway.submit(gateway.compose(issuer, DataPayload(TAG, b"a state")).raw)
    with serve_web_app(node.url, "00" * 32) as web:
        listed = httpx.get(f"{web.url}/explorer/api/tags/{TAG.hex()}").json()
        empty = httpx.get(f"{web.url}/explorer/api/tags/{'ff' * 32}").json()
    assert listed == {
        "messages": [
            {"id": sent.hex(), "issuer": issuer.public_key.raw.hex(), "data": b"a state".hex()}
        ]
    }
    assert empty == {"messages": []}


def test_a_node_that_does_not_answer_is_a_503() -> None:
    with serve_web_app("http://127.0.0.1:9", "00" * 32) as web:
        answer = httpx.get(f"{web.url}/explorer/api/tags/{TAG.hex()}")
    assert answer.status_code == 503
