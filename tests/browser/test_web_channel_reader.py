"""A channel's states decoded in the browser for a reader holding its key (issue 11, item 8):
channels published by Python's publisher on a real node, their reader keys pasted into the
explorer's channel page, which walks each chain, opens every state and checks the channel
key's signature, with no key sent to the site."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from node_server import node_settings, serve_node
from playwright.sync_api import Page, expect
from web_server import RunningWeb, serve_web_app

from plaza.adapters.ledger.remote import RemoteLedger
from plaza.bootstrap import SystemClock
from plaza.channels import Channel, ChannelMode, MemoryCursorStore, Publisher, encode_reader_key
from plaza.crypto import Identity

STATES = [{"state": "offer received", "step": 1}, {"state": "contract sent", "step": 2}]


@dataclass
class Published:
    web: RunningWeb
    keys: dict[str, str]  # mode to a reader key from position 0 (hex); "private-1" from 1


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Published]:
    clock = SystemClock()
    with (
        serve_node(node_settings(tmp_path_factory.mktemp("node"))) as node,
        node.client() as client,
    ):
        gateway = RemoteLedger(client, clock=clock)
        keys: dict[str, str] = {}
        for mode in (ChannelMode.PRIVATE, ChannelMode.PUBLIC):
            channel = Channel.create(mode, Identity.generate())
            publisher = Publisher.create(gateway, MemoryCursorStore(), channel, clock=clock)
            for state in STATES:
                publisher.publish(json.dumps(state).encode())
            keys[mode.label] = encode_reader_key(publisher.reader_key(0)).hex()
            keys[f"{mode.label}-1"] = encode_reader_key(publisher.reader_key(1)).hex()
        genesis = client.milestone(1).message_id.hex()
        with serve_web_app(node.url, genesis) as web:
            yield Published(web, keys)


def _read(page: Page, key: str) -> None:
    page.get_by_label("Reader key (hex)").fill(key)
    page.get_by_role("button", name="Read the channel").click()


def test_a_reader_reads_a_private_and_a_public_channel_in_the_browser(
    visit: Page, published: Published
) -> None:
    sent: list[str] = []

    def record(request: Any) -> None:
        sent.append(f"{request.url} {request.post_data_buffer or b''!r}")

    visit.on("request", record)
    visit.goto(published.web.url + "/explorer")
    visit.get_by_role("link", name="Read a channel with its reader key").click()
    summary = visit.locator("#channel-summary")
    expect(summary).to_have_text("Paste a reader key to read the channel.")
    _read(visit, "01zz")
    expect(visit.locator("#channel-key-error")).to_have_text("not lowercase hex")
    _read(visit, "02" + "00" * 120)
    expect(visit.locator("#channel-key-error")).to_contain_text("not a reader key this page knows")
    for mode in ("private", "public"):
        _read(visit, published.keys[mode])
        expect(summary).to_contain_text(f"{mode} channel")
        expect(summary).to_contain_text("2 states read from position 0, each signed")
        states = visit.locator("#channel-states li")
        expect(states).to_have_count(2)
        expect(states.first).to_contain_text('"state": "offer received"')
        expect(states.nth(1)).to_contain_text("Position 1, data")
        expect(states.nth(1)).to_contain_text('"state": "contract sent"')
    _read(visit, published.keys["private-1"])  # from position 1: the first state is out of reach
    expect(summary).to_contain_text("1 state read from position 1")
    expect(visit.locator("#channel-states li")).to_have_count(1)
    for key in published.keys.values():
        assert not [line for line in sent if key[2:66] in line or key[-120:] in line]
