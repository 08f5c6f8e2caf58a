"""``plaza bench network``: a real devnet of node processes on loopback, measured.

* propagation: a message submitted to node 0, until each other node streams it;
* transfer confirmation: a transfer submitted to any node, until node 0 streams
  its confirmation;
* confirmed transfers per second: clients submitting as fast as they can;
* states_identical: once traffic stops, every node reports the same state root
  at the same milestone.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from plaza.bench._stats import percentile
from plaza.clients.errors import ClientError
from plaza.clients.node import NodeClient
from plaza.crypto import SigningKey
from plaza.devnet import Devnet
from plaza.ledger.model import DataPayload, Output, TransferPayload
from plaza.node import DataDir

__all__ = ["NetworkBenchmark", "run_network_benchmark"]

Progress = Callable[[str], None]
PROPAGATION_TAG = b"bench-propagation"
TRANSFER_TAG = b"bench-transfer"


@dataclass(frozen=True, slots=True)
class NetworkBenchmark:
    nodes: int
    milestone_interval_s: float
    pow_difficulty: int
    propagation_samples: int
    propagation_p50_s: float
    propagation_p99_s: float
    transfer_samples: int
    transfer_confirm_p50_s: float
    transfer_confirm_p99_s: float
    confirmed_transfers: int
    confirmed_transfers_per_s: float
    states_identical: bool


class _Collector(threading.Thread):
    """Reads one node's event stream, noting when each message id arrives."""

    def __init__(self, url: str, *, kinds: str, tag: bytes) -> None:
        super().__init__(daemon=True)
        self.arrivals: dict[bytes, float] = {}
        self._client = NodeClient(url)
        self._stream = self._client.events(kinds=[kinds], tag=tag, read_timeout=None)

    def run(self) -> None:
        with contextlib.suppress(ClientError, ValueError, OSError):
            for event in self._stream:
                if event.message_id is not None:
                    self.arrivals.setdefault(event.message_id, time.perf_counter())

    def close(self) -> None:
        """Stop reading; the thread ends when its blocked read fails, without being waited for."""
        with contextlib.suppress(Exception):  # closing a stream mid-read may raise anything
            self._stream.close()
        self._client.close()


def _propagation(devnet: Devnet, faucet: SigningKey, samples: int) -> list[float]:
    collectors = [
        _Collector(node.url, kinds="message", tag=PROPAGATION_TAG) for node in devnet.nodes[1:]
    ]
    for collector in collectors:
        collector.start()
    sent: dict[bytes, float] = {}
    with NodeClient(devnet.nodes[0].url) as client:
        for number in range(samples):
            payload = DataPayload(PROPAGATION_TAG, number.to_bytes(4, "big"))
            started = time.perf_counter()
            sent[client.compose_and_submit(faucet, payload).id] = started
            time.sleep(0.05)
    time.sleep(1.0)
    for collector in collectors:
        collector.close()
    return [
        collector.arrivals[m] - t
        for collector in collectors
        for m, t in sent.items()
        if m in collector.arrivals
    ]


def _transfers(
    devnet: Devnet, faucet: SigningKey, *, seconds: float, workers: int, pause: float
) -> tuple[list[float], float]:
    """Submit transfers on every node from ``workers`` threads; latencies and confirmed rate."""
    collector = _Collector(devnet.nodes[0].url, kinds="confirmed", tag=TRANSFER_TAG)
    collector.start()
    sent: dict[bytes, float] = {}
    counter = itertools.count()
    deadline = time.perf_counter() + seconds

    def submit(worker: int) -> None:
        with NodeClient(devnet.nodes[worker % len(devnet.nodes)].url) as client:
            while time.perf_counter() < deadline:
                payee = next(counter).to_bytes(32, "big")
                payload = TransferPayload((Output(payee, 1),), TRANSFER_TAG)
                started = time.perf_counter()
                with contextlib.suppress(ClientError):
                    sent[client.compose_and_submit(faucet, payload).id] = started
                time.sleep(pause)

    threads = [threading.Thread(target=submit, args=(w,)) for w in range(workers)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    time.sleep(devnet.milestone_interval_s * 3)
    collector.close()
    confirmed = {m: collector.arrivals[m] for m in sent if m in collector.arrivals}
    elapsed = (max(confirmed.values(), default=began) - began) or 1.0
    return [confirmed[m] - sent[m] for m in confirmed], len(confirmed) / elapsed


def _states_identical(devnet: Devnet, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        states = set()
        for node in devnet.nodes:
            with NodeClient(node.url) as client:
                info = client.info()
                states.add((info.latest_milestone_index, info.state_root))
        if len(states) == 1:
            return True
        time.sleep(0.1)
    return False


def _measure(
    devnet: Devnet,
    throughput_seconds: float,
    latency_seconds: float,
    propagation_samples: int,
    progress: Progress,
) -> tuple[list[float], list[float], float, bool]:
    faucet = DataDir(devnet.nodes[0].data_dir).key("faucet")
    assert faucet is not None
    progress("measuring propagation")
    propagation = _propagation(devnet, faucet, samples=propagation_samples)
    progress("measuring transfer confirmation latency at a steady rate")
    nodes = len(devnet.nodes)
    latencies, _ = _transfers(devnet, faucet, seconds=latency_seconds, workers=nodes, pause=0.1)
    progress(f"measuring confirmed transfers per second for {throughput_seconds:.0f} s")
    workers = 2 * (os.cpu_count() or 2)
    _, rate = _transfers(devnet, faucet, seconds=throughput_seconds, workers=workers, pause=0)
    progress("comparing the nodes' states")
    return propagation, latencies, rate, _states_identical(devnet)


def run_network_benchmark(
    *,
    nodes: int = 3,
    milestone_interval_s: float = 1.0,
    pow_difficulty: int = 11,
    throughput_seconds: float = 10.0,
    latency_seconds: float = 8.0,
    propagation_samples: int = 100,
    base_port: int = 18650,
    progress: Progress = lambda _: None,
) -> NetworkBenchmark:
    with tempfile.TemporaryDirectory(prefix="plaza-bench-net-") as folder:
        devnet = Devnet(
            Path(folder),
            nodes=nodes,
            base_port=base_port,
            milestone_interval_s=milestone_interval_s,
            pow_difficulty=pow_difficulty,
        )
        progress(f"starting a {nodes}-node devnet")
        devnet.start()
        try:
            measured = _measure(
                devnet, throughput_seconds, latency_seconds, propagation_samples, progress
            )
        finally:
            devnet.stop()
    return _figures(devnet, throughput_seconds, measured)


def _figures(
    devnet: Devnet,
    throughput_seconds: float,
    measured: tuple[list[float], list[float], float, bool],
) -> NetworkBenchmark:
    """The report of a run on ``devnet``: the network's shape as it ran, each phase's
    percentiles, and the throughput phase's rate also as the transfers it confirmed."""
    propagation, latencies, rate, identical = measured
    return NetworkBenchmark(
        nodes=len(devnet.nodes),
        milestone_interval_s=devnet.milestone_interval_s,
        pow_difficulty=devnet.pow_difficulty,
        propagation_samples=len(propagation),
        propagation_p50_s=round(percentile(propagation, 0.5), 4),
        propagation_p99_s=round(percentile(propagation, 0.99), 4),
        transfer_samples=len(latencies),
        transfer_confirm_p50_s=round(percentile(latencies, 0.5), 4),
        transfer_confirm_p99_s=round(percentile(latencies, 0.99), 4),
        confirmed_transfers=round(rate * throughput_seconds),
        confirmed_transfers_per_s=round(rate, 1),
        states_identical=identical,
    )
