"""No secret reaches a repr, an error message or a log line."""

from __future__ import annotations

from channels_support import local_node, new_publisher

from plaza.channels import ChannelMode, Reader, WrongKey
from plaza.channels.chain import ChainPoint
from plaza.channels.model import InFlight
from plaza.crypto import Identity


def test_reprs_show_public_facts_only() -> None:
    with local_node() as node:
        publisher, _, _ = new_publisher(node, ChannelMode.RESTRICTED)
        reader_identity = Identity.generate()
        key = publisher.grant(reader_identity.encryption.public_key)
        channel, state = publisher.channel, publisher.state
        secrets = [
            channel.secret_bytes,
            channel.root,
            channel.epoch_master,
            channel.owner_key,
            channel.hint_master,
            channel.signing.seed_bytes,
            state.chain,
            key.chain,
            key.epoch_key,
            key.hint_key,
        ]
        shown = " ".join(
            [
                repr(channel),
                repr(state),
                repr(key),
                repr(ChainPoint(3, state.chain)),
                repr(InFlight(state.chain, b"raw")),
                str(WrongKey(3)),
                repr(Reader(node.gateway, key)),
            ]
        )
        for secret in secrets:
            assert secret is not None
            assert secret.hex() not in shown
            assert secret.hex()[:16] not in shown
