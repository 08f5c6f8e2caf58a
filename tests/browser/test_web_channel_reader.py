"""A channel's states decoded in the browser for a reader holding its key (issue 11, item 8):
channels published by Python's publisher on a real node, their reader keys pasted into the
explorer's channel page, which walks each chain, opens every state and checks the channel
key's signature, with no key sent to the site. A restricted channel opens epoch by epoch:
an auditor's key every epoch, a reader's the epoch it was handed, saying where it stops."""

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
from plaza.crypto import EncryptionKey, Identity

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
        keys.update(_restricted(gateway, clock))
        genesis = client.milestone(1).message_id.hex()
        with serve_web_app(node.url, genesis) as web:
            yield Published(web, keys)


def _restricted(gateway: RemoteLedger, clock: SystemClock) -> dict[str, str]:
    """A restricted channel: two states in epoch 0, a reader granted (epoch 1), a third
    state, a rotation (epoch 2) and a fourth. The auditor's key (the epoch master) and
    the reader's key (epoch 1's key only)."""
    channel = Channel.create(ChannelMode.RESTRICTED, Identity.generate())
    publisher = Publisher.create(gateway, MemoryCursorStore(), channel, clock=clock)
    for state in STATES:
        publisher.publish(json.dumps(state).encode())
    reader = publisher.grant(EncryptionKey.generate().public_key)
    publisher.publish(json.dumps({"state": "paid", "step": 3}).encode())
    publisher.rotate()
    publisher.publish(json.dumps({"state": "fulfilled", "step": 4}).encode())
    return {
        "restricted": encode_reader_key(publisher.reader_key(0)).hex(),
        "restricted-reader": encode_reader_key(reader).hex(),
    }


def _read(page: Page, key: str) -> None:
    page.get_by_label("Reader key (hex)").fill(key)
    page.get_by_role("button", name="Read the channel").click()


def test_a_reader_reads_private_public_and_restricted_channels_in_the_browser(
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
    _restricted_read(visit, published)
    for key in published.keys.values():
        assert not [line for line in sent if key[2:66] in line or key[-120:] in line]


def _restricted_read(page: Page, published: Published) -> None:
    """The auditor's key opens every epoch; the reader's opens the epoch it was handed and
    says why it stops at the next (its wrap is sealed to an X25519 key the page lacks)."""
    summary, states = page.locator("#channel-summary"), page.locator("#channel-states li")
    _read(page, published.keys["restricted"])
    expect(summary).to_contain_text("restricted channel")
    expect(summary).to_contain_text("6 states read from position 0, each signed")
    expect(states).to_have_count(6)
    expect(states.nth(2)).to_contain_text("Position 2, keys (epoch 1)")
    expect(states.nth(3)).to_contain_text('"state": "paid"')
    expect(states.nth(4)).to_contain_text("Position 4, keys (epoch 2)")
    expect(states.nth(5)).to_contain_text('"state": "fulfilled"')
    _read(page, published.keys["restricted-reader"])
    expect(summary).to_contain_text("3 states read from position 2")
    expect(summary).to_contain_text("Reading stops: epoch 2 starts at position 4")
    expect(states).to_have_count(3)  # its keys record, the state, the next keys record
    expect(states.nth(1)).to_contain_text('"state": "paid"')
    expect(states.nth(2)).to_contain_text("Position 4, keys (epoch 2)")
