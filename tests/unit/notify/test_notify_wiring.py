"""The composition root can hand notify a ``plaza.jobs`` queue and worker as they are.

``plaza.notify`` may not import ``plaza.jobs`` (they are one layer of
independent adapters), so the fit is structural. mypy checks it here, the way
``bootstrap.py`` will rely on it: if either side's signature drifts, this fails.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[3]

WIRING = """
import httpx

from plaza.notify.webhook import WebhookDeliverer
from plaza.notify.stores import SqliteSubscriptionStore
from plaza.notify.mqtt import MqttPublisher
from plaza.jobs.sqlite import SqliteQueue
from plaza.jobs.redis import RedisQueue
from plaza.jobs import Handler, InlineQueue, JobQueue
from plaza.notify import (
    DeliveryQueue,
    MemoryPublisher,
    MemorySubscriptionStore,
    MqttRelay,
    MqttConnection,
    SubscriptionStore,
)
from plaza.testing import FakeClock


def wire(
    port: JobQueue, inline: InlineQueue, sqlite: SqliteQueue, redis: RedisQueue,
    client: httpx.Client,
) -> None:
    queues: list[DeliveryQueue] = [port, inline, sqlite, redis]
    stores: list[SubscriptionStore] = [MemorySubscriptionStore(), SqliteSubscriptionStore("x")]
    publishers: list[MqttConnection] = [MemoryPublisher(), MqttPublisher()]
    handlers: list[Handler] = [
        WebhookDeliverer(stores[0], client, FakeClock()),
        MqttRelay(publishers[0]),
    ]
    adapters: list[JobQueue] = [inline, sqlite, redis]
"""


def test_jobs_queues_and_notify_handlers_fit_each_other(tmp_path: Path) -> None:
    source = tmp_path / "wiring.py"
    source.write_text(WIRING)
    mypy = Path(sys.executable).parent / "mypy"
    result = subprocess.run(
        [str(mypy), "--config-file", str(ROOT / "pyproject.toml"), str(source)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
