"""``plaza bench channels``: publish and read rates, live latency, and the envelope's cost.

* Publish and read-and-verify rates are measured in-process (a node on SQLite,
  the cursor in SQLite, the node's proof of work) on a restricted channel, so
  they show the channel's own cost, not HTTP's.
* Latency is from the publisher's call to the reader's verified entry, through
  a live node over HTTP: the reader follows the node's event stream.
* The envelope comparison runs, side by side on one core, what the seeds did
  per message (RSA-2048: PSS sign, OAEP encrypt to the recipient; OAEP decrypt,
  PSS verify) against Plaza's (Ed25519 sign, XChaCha20-Poly1305 seal; open,
  verify), and the sealed-box shape used for key delivery.
"""

from __future__ import annotations

import socket
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import uvicorn
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from plaza.adapters.ledger.local import LocalLedger
from plaza.adapters.ledger.remote import RemoteLedger
from plaza.api import create_app
from plaza.bench._stats import percentile
from plaza.bootstrap import SystemClock, build_node
from plaza.channels import (
    Channel,
    ChannelMode,
    MemoryCursorStore,
    Publisher,
    Reader,
)
from plaza.channels.cursors import SqliteCursorStore
from plaza.channels.envelope import (
    RecordKind,
    Slot,
    associated_data,
    check_record,
    decode_record,
    seal_record,
    sign_record,
)
from plaza.clients.node import NodeClient
from plaza.crypto import (
    EncryptionKey,
    Identity,
    aead_decrypt,
    open_sealed,
    seal,
    verify_signature,
)
from plaza.devnet import Devnet
from plaza.settings import NodeSettings

__all__ = ["ChannelBenchmark", "live_node", "run_channel_benchmark"]

Progress = Callable[[str], None]
PAYLOAD = b"{'sensor': 'air-42', 'pm2.5': 12.4, 'pm10': 20.1, 't': 1767225600}".ljust(100)


@dataclass(frozen=True, slots=True)
class ChannelBenchmark:
    messages: int
    pow_difficulty: int
    publish_per_s: float
    read_verify_per_s: float
    latency_samples: int
    latency_p50_s: float
    latency_p99_s: float
    rsa_envelope_per_s: float
    plaza_envelope_per_s: float
    plaza_sealed_envelope_per_s: float
    envelope_speedup: float


def _rate(count: int, action: Callable[[], object]) -> float:
    started = time.perf_counter()
    for _ in range(count):
        action()
    return count / (time.perf_counter() - started)


def _rsa_round() -> Callable[[], object]:
    """One seed-style envelope: sign and encrypt to the recipient, then decrypt and verify."""
    sender = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    recipient = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.MAX_LENGTH)
    oaep = padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None)
    recipient_public, sender_public = recipient.public_key(), sender.public_key()

    def round_trip() -> None:
        signature = sender.sign(PAYLOAD, pss, hashes.SHA256())
        ciphertext = recipient_public.encrypt(PAYLOAD, oaep)
        sender_public.verify(signature, recipient.decrypt(ciphertext, oaep), pss, hashes.SHA256())

    return round_trip


def _plaza_round() -> Callable[[], object]:
    """One channel envelope: sign and AEAD-seal a record, then open and verify it."""
    channel = Channel.create(ChannelMode.PRIVATE, Identity.generate())
    point, slot = channel.start(), Slot(channel.id, 0, 0)
    ad = associated_data(slot)

    def round_trip() -> None:
        record = sign_record(channel.signing, slot, RecordKind.DATA, 0, PAYLOAD)
        envelope = seal_record(record, point.chain_key, ad)
        opened = decode_record(aead_decrypt(point.chain_key, envelope, ad))
        if not check_record(opened, channel.public_key, slot):
            raise AssertionError("the benchmark's own envelope did not verify")

    return round_trip


def _sealed_round() -> Callable[[], object]:
    """The key-delivery shape: sign, seal to the recipient's X25519 key, open, verify."""
    sender, recipient = Identity.generate(), EncryptionKey.generate()

    def round_trip() -> None:
        sealed = seal(recipient.public_key, sender.signing.sign(PAYLOAD) + PAYLOAD)
        opened = open_sealed(recipient, sealed)
        if not verify_signature(sender.public_key.raw, opened[64:], opened[:64]):
            raise AssertionError("the benchmark's own sealed box did not verify")

    return round_trip


def _measure_local(folder: Path, messages: int, difficulty: int) -> tuple[float, float]:
    """Publish rate and read-and-verify rate on an in-process node on SQLite."""
    settings = NodeSettings(
        data_dir=folder / "local", store="sqlite", pow_difficulty=difficulty, coordinator=False
    )
    runtime, clock = build_node(settings), SystemClock()
    store = SqliteCursorStore(folder / "cursors.sqlite3")
    try:
        gateway = LocalLedger(runtime)
        channel = Channel.create(ChannelMode.RESTRICTED, Identity.generate())
        publisher = Publisher.create(gateway, store, channel, clock=clock)
        publisher.grant(EncryptionKey.generate().public_key)
        publish_rate = _rate(messages, lambda: publisher.publish(PAYLOAD))
        reader = Reader(gateway, publisher.reader_key())
        started = time.perf_counter()
        read = sum(1 for _ in reader.read())
        read_rate = read / (time.perf_counter() - started)
        return publish_rate, read_rate
    finally:
        store.close()
        runtime.close()


@contextmanager
def _live_node(folder: Path, difficulty: int) -> Iterator[str]:
    """A node with its HTTP API on 127.0.0.1 (port chosen by the system), stopped after."""
    settings = NodeSettings(
        data_dir=folder / "live",
        store="sqlite",
        pow_difficulty=difficulty,
        milestone_interval_s=1.0,
    )
    runtime = build_node(settings)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    config = uvicorn.Config(
        create_app(runtime), log_config=None, log_level="warning", access_log=False, ws="none"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{listener.getsockname()[1]}"
    try:
        with NodeClient(url, timeout=2.0) as client:
            deadline = time.monotonic() + 10
            while not (server.started and client.health()) and time.monotonic() < deadline:
                time.sleep(0.02)
        yield url
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        listener.close()
        runtime.close()


@contextmanager
def live_node(folder: Path, pow_difficulty: int, *, own_process: bool) -> Iterator[str]:
    """A live node's URL: a ``plaza node run`` process of its own (as in production), or
    one served in this process, sharing its interpreter with the benchmark's clients."""
    if not own_process:
        with _live_node(folder, pow_difficulty) as url:
            yield url
        return
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    devnet = Devnet(folder / "devnet", nodes=1, base_port=port, pow_difficulty=pow_difficulty)
    devnet.start()
    try:
        yield devnet.nodes[0].url
    finally:
        devnet.stop()


def _measure_latency(url: str, samples: int, interval_s: float) -> list[float]:
    """Seconds from ``publish()`` being called to the following reader holding the entry."""
    clock = SystemClock()
    sent: dict[int, float] = {}
    latencies: list[float] = []
    with NodeClient(url) as publishing, NodeClient(url) as reading:
        gateway = RemoteLedger(publishing, clock=clock)
        channel = Channel.create(ChannelMode.RESTRICTED, Identity.generate())
        publisher = Publisher.create(gateway, MemoryCursorStore(), channel, clock=clock)
        publisher.grant(EncryptionKey.generate().public_key)
        reader = Reader(RemoteLedger(reading, clock=clock), publisher.reader_key())
        ready = threading.Event()

        def follow() -> None:
            for entry in reader.follow():
                if entry.position in sent:
                    latencies.append(time.perf_counter() - sent[entry.position])
                ready.set()
                if len(latencies) >= samples:
                    return

        thread = threading.Thread(target=follow, name="bench-follower")
        thread.start()
        publisher.publish(b"warm-up")
        ready.wait(timeout=10)
        for _ in range(samples):
            sent[publisher.position] = time.perf_counter()
            publisher.publish(PAYLOAD)
            time.sleep(interval_s)
        thread.join(timeout=30)
    return latencies


def run_channel_benchmark(
    *,
    messages: int = 300,
    pow_difficulty: int = 11,
    latency_samples: int = 200,
    latency_interval_s: float = 0.02,
    envelopes: int = 500,
    progress: Progress = lambda _: None,
) -> ChannelBenchmark:
    progress(f"envelopes: RSA-2048 vs Plaza, {envelopes} round trips each")
    rsa_rate = _rate(envelopes, _rsa_round())
    plaza_rate = _rate(envelopes, _plaza_round())
    sealed_rate = _rate(envelopes, _sealed_round())
    with tempfile.TemporaryDirectory(prefix="plaza-bench-channels-") as name:
        folder = Path(name)
        progress(
            f"publishing and reading {messages} messages in-process, {pow_difficulty}-bit work"
        )
        publish_rate, read_rate = _measure_local(folder, messages, pow_difficulty)
        progress(f"latency through a live node: {latency_samples} messages")
        with _live_node(folder, pow_difficulty) as url:
            latencies = _measure_latency(url, latency_samples, latency_interval_s)
    return ChannelBenchmark(
        messages=messages,
        pow_difficulty=pow_difficulty,
        publish_per_s=round(publish_rate, 1),
        read_verify_per_s=round(read_rate, 1),
        latency_samples=len(latencies),
        latency_p50_s=round(percentile(latencies, 0.5), 4),
        latency_p99_s=round(percentile(latencies, 0.99), 4),
        rsa_envelope_per_s=round(rsa_rate, 1),
        plaza_envelope_per_s=round(plaza_rate, 1),
        plaza_sealed_envelope_per_s=round(sealed_rate, 1),
        envelope_speedup=round(plaza_rate / rsa_rate, 2),
    )
