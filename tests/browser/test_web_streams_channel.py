"""The browser's channel reader (``static/stream/channel.js``) against the channel test
vectors of docs/protocol.md: the sealed delivery opened with the reader's key, the keys
record entering epoch 1 through the reader's wrap, the data record opened and its channel
signature checked, byte for byte what the Python reader reads; and a forged or foreign
message skipped."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page
from web_server import RunningWeb

from plaza.ledger.codec import decode_message
from plaza.ledger.model import DataPayload
from plaza.testing.channel_vectors import channel_vectors


def _message(raw_hex: str) -> dict[str, str]:
    message = decode_message(bytes.fromhex(raw_hex))
    assert isinstance(message.payload, DataPayload)
    return {"issuer": message.issuer.hex(), "data": message.payload.data.hex()}


def _read(page: Page, arg: dict[str, Any]) -> Any:
    return page.evaluate(
        """async (arg) => {
          const c = await import('/static/stream/channel.js');
          const p = await import('/static/plaza/wallet/protocol.js');
          const s = window.sodium; await s.ready;
          const reader = s.crypto_box_seed_keypair(p.fromHex(arg.readerSeed));
          const grant = c.openDelivery(s, reader, p.fromHex(arg.sealed));
          const walk = c.cursor(grant.key);
          const tag = c.positionTag(walk);
          const foreign = c.step(s, walk, [arg.forged], reader);
          const keys = c.step(s, walk, [arg.keys], reader);
          const data = c.step(s, walk, [arg.forged, arg.data], reader);
          return {
            readerPublicKey: p.toHex(reader.publicKey),
            inbox: p.toHex(c.inboxTag(reader.publicKey)),
            sender: grant.sender, position: grant.key.position, epoch: grant.key.epoch,
            firstTag: tag, foreign: foreign === undefined, keys, data,
            epochKey: p.toHex(walk.epochKey),
          };
        }""",
        arg,
    )


def test_the_browser_reads_the_protocol_vectors_channel(visit: Page, site: RunningWeb) -> None:
    vectors = channel_vectors()
    keys, data = (
        _message(vectors["keys_record"]["message"]),
        _message(vectors["data_record"]["message"]),
    )
    forged = {**data, "data": "00" + data["data"][2:]}  # the right issuer, a broken envelope
    visit.goto(site.url + "/wallet")
    read = _read(
        visit,
        {
            "readerSeed": vectors["inputs"]["reader_encryption_seed"],
            "sealed": vectors["delivery"]["sealed"],
            "keys": keys,
            "data": data,
            "forged": forged,
        },
    )
    derived = vectors["derived"]
    assert read["readerPublicKey"] == vectors["inputs"]["reader_public_key"]
    assert read["inbox"] == derived["reader_inbox_tag"]
    assert read["sender"] == vectors["inputs"]["owner_public_key"]
    assert (read["position"], read["epoch"]) == (0, 1)
    assert read["firstTag"] == derived["chain"][0]["tag"]
    assert read["foreign"]  # nothing at position 0 opened from the forgery
    assert read["keys"] is None  # the keys record starting the granted epoch
    assert read["epochKey"] == derived["epoch_key_1"]
    assert read["data"]["position"] == 1
    assert read["data"]["content"] == bytes.fromhex(vectors["data_record"]["content"]).decode()
