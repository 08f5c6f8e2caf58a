"""Three real node processes under steady traffic, and the faults a network must survive.

(a) a node killed with SIGKILL and restarted catches up; (b) a node cut off
from its peers for 30 s converges once the link heals; (c) a peer flooding
tampered, invalid and oversized messages is dropped while the others confirm.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from network_kit import CuttableLink, Traffic, assert_same_milestones, converged_state
from node_processes import free_base_port

from plaza.adapters.ledger.remote import RemoteLedger
from plaza.channels import CarrierWriter
from plaza.clients.errors import NotFoundError
from plaza.clients.node import NodeClient
from plaza.clock import SystemClock
from plaza.crypto import SigningKey
from plaza.devnet import Devnet
from plaza.ledger.codec import message_id
from plaza.ledger.model import DataPayload
from plaza.network import HandshakeFailed
from plaza.network.frames import MAX_FRAME_SIZE, FrameType, MessageFrame, encode_frame
from plaza.network.handshake import dial_handshake
from plaza.network.transport import ConnectionClosed, dial
from plaza.node import DataDir

pytestmark = pytest.mark.slow

INTERVAL_S = 0.5


def _faucet(devnet: Devnet) -> SigningKey:
    key = DataDir(devnet.nodes[0].data_dir).key("faucet")
    assert key is not None
    return key


def _latest(devnet: Devnet, index: int) -> int:
    with NodeClient(devnet.nodes[index].url) as client:
        return client.latest_milestone().index


def _wait_for_milestone(devnet: Devnet, index: int, target: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while _latest(devnet, index) < target:
        assert time.monotonic() < deadline, f"node {index} stuck before milestone {target}"
        time.sleep(0.1)


@pytest.fixture
def devnet_factory(tmp_path: Path) -> Iterator[list[Devnet]]:
    started: list[Devnet] = []
    yield started
    for devnet in started:
        devnet.stop()


def _start(started: list[Devnet], home: Path, **options: object) -> Devnet:
    devnet = Devnet(
        home,
        nodes=3,
        milestone_interval_s=INTERVAL_S,
        pow_difficulty=0,
        **options,  # type: ignore[arg-type]
    )
    started.append(devnet)
    devnet.start()
    return devnet


def _send_carried(devnet: Devnet, tag: bytes) -> bytes:
    """One data message in a carrier through node 0, as the marketplace sends its twins."""
    with NodeClient(devnet.nodes[0].url) as client:
        writer = CarrierWriter(RemoteLedger(client, clock=SystemClock()))
        carried = writer.compose(SigningKey.generate(), DataPayload(tag, b"21.5 C"))
        writer.submit(carried.raw)
        assert writer.flush() == 1
        return carried.id


def _has_carried(devnet: Devnet, index: int, tag: bytes, carried_id: bytes) -> bool:
    with NodeClient(devnet.nodes[index].url) as client:
        if client.find_by_tag(tag).ids != (carried_id,):
            return False
        return client.get_message(carried_id).id == carried_id


def _wait_for_carried(devnet: Devnet, index: int, tag: bytes, carried_id: bytes) -> None:
    deadline = time.monotonic() + 30
    while not _has_carried(devnet, index, tag, carried_id):
        assert time.monotonic() < deadline, f"node {index} never filed the carried message"
        time.sleep(0.1)


def test_killed_node_restarts_and_catches_up(tmp_path: Path, devnet_factory: list[Devnet]) -> None:
    devnet = _start(devnet_factory, tmp_path / "devnet", base_port=free_base_port(3))
    traffic = Traffic(devnet, _faucet(devnet))
    traffic.start()
    _wait_for_milestone(devnet, 2, 4)
    gossiped = _send_carried(devnet, b"carried-gossip")
    _wait_for_carried(devnet, 2, b"carried-gossip", gossiped)  # peers file it from its carrier
    devnet.kill_node(2)
    missed = _send_carried(devnet, b"carried-missed")
    _wait_for_milestone(devnet, 0, _latest(devnet, 0) + 8)  # the network moves on without it
    devnet.start_node(2)
    _wait_for_milestone(devnet, 2, _latest(devnet, 0))
    traffic.stop()

    latest, _ = converged_state(devnet)
    assert_same_milestones(devnet, latest)
    assert traffic.accepted > 50
    _wait_for_carried(devnet, 2, b"carried-missed", missed)  # and from a carrier it synced


def test_partitioned_node_converges_after_healing(
    tmp_path: Path, devnet_factory: list[Devnet]
) -> None:
    links: dict[int, CuttableLink] = {}

    def route(dialer: int, dialed: int) -> tuple[str, int]:
        if dialer != 2:
            return "127.0.0.1", base + dialed
        links[dialed] = CuttableLink(base + dialed)
        links[dialed].start()
        return "127.0.0.1", links[dialed].port

    base = free_base_port(3)
    devnet = _start(devnet_factory, tmp_path / "devnet", base_port=base, route=route)
    traffic = Traffic(devnet, _faucet(devnet))
    traffic.start()
    try:
        _wait_for_milestone(devnet, 2, 4)
        for link in links.values():
            link.cut()
        cut_at = _latest(devnet, 0)
        time.sleep(30)
        assert _latest(devnet, 2) <= cut_at + 1, "the cut node kept receiving milestones"
        assert _latest(devnet, 0) > cut_at + 30
        for link in links.values():
            link.heal()
        _wait_for_milestone(devnet, 2, _latest(devnet, 0), timeout=60)
        traffic.stop()
        latest, _ = converged_state(devnet)
        assert_same_milestones(devnet, latest)
    finally:
        traffic.stop()
        devnet.stop()
        for link in links.values():
            link.close()


def _tampered(raw: bytes) -> bytes:
    tampered = bytearray(raw)
    tampered[-80] ^= 0xFF  # inside the signature
    return bytes(tampered)


async def _flood(url: str, rogue: SigningKey, network_id: int, valid_raw: bytes) -> str:
    """Authenticate as an allowed peer, then send garbage until the node hangs up."""
    connection = await dial(url)
    await dial_handshake(connection, rogue, network_id, lambda _key: None)
    junk = [
        encode_frame(MessageFrame(_tampered(valid_raw))),
        encode_frame(MessageFrame(valid_raw[:-1])),
        bytes([FrameType.STATUS, 1, 2]),
        bytes([99]) + b"unknown frame type",
        bytes([FrameType.MESSAGE]) + bytes(MAX_FRAME_SIZE + 1),
    ]
    try:
        for _ in range(200):
            for frame in junk:
                await connection.send(frame)
                await asyncio.sleep(0)
        await asyncio.wait_for(connection.recv(), 10)
    except (ConnectionClosed, TimeoutError) as ended:
        return type(ended).__name__
    finally:
        await connection.close()
    return "still connected"


def test_misbehaving_peer_is_dropped_and_banned(
    tmp_path: Path, devnet_factory: list[Devnet]
) -> None:
    rogue = SigningKey.generate()
    devnet = _start(
        devnet_factory,
        tmp_path / "devnet",
        base_port=free_base_port(3),
        allow=(rogue.public_key.raw,),
    )
    faucet = _faucet(devnet)
    target = devnet.nodes[0]
    with NodeClient(target.url) as client:
        valid = client.compose_and_submit(faucet, DataPayload(b"genuine", b""))
        raw = client.get_message(valid.id).raw
        network_id = client.info().network_id
    peering = target.url.replace("http", "ws") + "/api/v1/peering"

    assert asyncio.run(_flood(peering, rogue, network_id, raw)) == "ConnectionClosed"
    with pytest.raises(HandshakeFailed, match="banned"):
        asyncio.run(_flood(peering, rogue, network_id, raw))
    with NodeClient(target.url) as client:
        peers = client._http.get("/api/v1/peers").json()
    assert rogue.public_key.raw.hex() not in {peer["public_key"] for peer in peers["peers"]}
    assert peers["statistics"]["banned"] == 1

    for node in devnet.nodes:
        with NodeClient(node.url) as client, pytest.raises(NotFoundError):
            client.metadata(message_id(_tampered(raw)))
    before = _latest(devnet, 2)
    _wait_for_milestone(devnet, 2, before + 4)
    latest, _ = converged_state(devnet)
    assert_same_milestones(devnet, latest)
