"""One asset module on its own device: read from a config file, served until stopped.

``plaza demo`` runs every energy module in one process (:mod:`.energy`); a real device
runs only its own asset module, next to its meter, and reaches the rest over the
network: the ledger through a node's HTTP API, the marketplace and its owner's user
module through the URLs its owner's ``/init`` names. :func:`load_device_config` reads
the device's config file (the format is in ``docs/energy.md``, "Running an asset
module"), refusing a bad one with a :class:`DeviceConfigError` that names the field;
:class:`RunningAsset` opens the module from its data directory, serves it and runs its
jobs and cycle on threads.

A config file may carry the device's first ``init`` (the ``/init`` body without the
UUID), applied when the device has no configuration yet: a device shipped
preconfigured. Its owner's ``/init`` configures it afterwards as always.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self

from plaza.adapters.ledger.remote import RemoteLedger
from plaza.api.energy import AssetService
from plaza.api.energy.link import HttpLink
from plaza.bootstrap.clock import SystemClock
from plaza.bootstrap.energy_hosting import Hosted
from plaza.bootstrap.energy_modules import open_asset
from plaza.clients.node import NodeClient
from plaza.clock import Clock
from plaza.energy.errors import EnergyError
from plaza.energy.ledger import LedgerAccess
from plaza.jobs.sqlite import SqliteQueue

__all__ = [
    "CONFIG_FIELDS",
    "DeviceConfig",
    "DeviceConfigError",
    "RunningAsset",
    "load_device_config",
]

#: The fields a device config file may have (docs/energy.md, "Running an asset module").
CONFIG_FIELDS = frozenset({"dataDir", "uuid", "nodeUrl", "host", "port", "cycleSeconds", "init"})
_URL = re.compile(r"https?://[^\s/]+(/[^\s]*)?")
_MAX_UUID = 128


class DeviceConfigError(ValueError):
    """A config file that cannot run a device; the message names the file and the field."""


@dataclass(frozen=True, slots=True)
class DeviceConfig:
    """Where the device keeps its data, where it listens, which node it uses."""

    data_dir: Path
    uuid: str = field(repr=False)  # the secret its owner's /init, /produce and /consume carry
    node_url: str
    host: str = "127.0.0.1"
    port: int = 7001
    cycle_s: float = 1.0
    init: Mapping[str, Any] | None = field(default=None, repr=False)

    @classmethod
    def from_json(cls, data: object, *, base: Path) -> Self:
        """The config in ``data``; a relative ``dataDir`` is relative to ``base``."""
        if not isinstance(data, dict):
            raise DeviceConfigError("the config must be a JSON object")
        unknown = sorted(set(data) - CONFIG_FIELDS)
        if unknown:
            raise DeviceConfigError(f"unknown field(s): {', '.join(unknown)}")
        init = data.get("init")
        if init is not None and not isinstance(init, dict):
            raise DeviceConfigError("init must be an object (the /init body, without uuid)")
        if init is not None and "uuid" in init:
            raise DeviceConfigError("init must not repeat the uuid: the config's uuid is used")
        return cls(
            data_dir=base / _text(data, "dataDir", limit=4096),
            uuid=_text(data, "uuid", limit=_MAX_UUID),
            node_url=_url(data, "nodeUrl"),
            host=_text({"host": "127.0.0.1", **data}, "host", limit=255),
            port=_integer({"port": 7001, **data}, "port", low=1, high=65535),
            cycle_s=_seconds(data),
            init=init,
        )


def _text(data: Mapping[str, Any], name: str, *, limit: int) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise DeviceConfigError(f"{name} must be a non-empty string of at most {limit} characters")
    return value


def _url(data: Mapping[str, Any], name: str) -> str:
    value = _text(data, name, limit=2048)
    if not _URL.fullmatch(value):
        raise DeviceConfigError(f"{name} must be an http(s) URL, got {value!r}")
    return value.rstrip("/")


def _integer(data: Mapping[str, Any], name: str, *, low: int, high: int) -> int:
    value = data.get(name)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise DeviceConfigError(f"{name} must be an integer from {low} to {high}, got {value!r}")
    return value


def _seconds(data: Mapping[str, Any]) -> float:
    value = data.get("cycleSeconds", 1.0)
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0.05 <= value <= 3600:
        raise DeviceConfigError(f"cycleSeconds must be a number from 0.05 to 3600, got {value!r}")
    return float(value)


def load_device_config(path: Path) -> DeviceConfig:
    """The config in the JSON file at ``path``; :class:`DeviceConfigError` says what is wrong."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = getattr(error, "strerror", None) or str(error)
        raise DeviceConfigError(f"{path}: cannot be read: {reason}") from None
    try:
        data = json.loads(text)
    except ValueError as error:
        raise DeviceConfigError(f"{path}: not JSON: {error}") from None
    except RecursionError:
        raise DeviceConfigError(f"{path}: not JSON: nested too deep") from None
    try:
        return DeviceConfig.from_json(data, base=path.parent)
    except DeviceConfigError as error:
        raise DeviceConfigError(f"{path}: {error}") from None


class RunningAsset:
    """The device's asset module, served on ``config.host:config.port`` until :meth:`stop`."""

    def __init__(self, config: DeviceConfig, *, clock: Clock | None = None) -> None:
        clock = clock or SystemClock()
        config.data_dir.mkdir(parents=True, exist_ok=True)
        self.config = config
        self._node = NodeClient(config.node_url)
        self._link = HttpLink()
        queue = SqliteQueue(config.data_dir / "jobs.sqlite3", clock)
        try:
            self._hosted: Hosted[AssetService] = Hosted(
                "asset", queue, host=config.host, port=config.port
            )
        except OSError as error:
            self._close_clients()
            queue.close()
            raise DeviceConfigError(str(error)) from None
        ledger = LedgerAccess(RemoteLedger(self._node, clock=clock))
        self.service = self._hosted.build(
            open_asset(
                config.data_dir,
                uuid=config.uuid,
                ledger=ledger,
                link=self._link,
                queue=queue,
                clock=clock,
            )
        )
        self.url = self._hosted.url

    def start(self) -> None:
        """Apply the config's first ``init`` if the device has none yet, then serve."""
        module = self.service.module
        if self.config.init is not None and not module.configured:
            try:
                module.initialise({**self.config.init, "uuid": self.config.uuid})
            except EnergyError as error:
                raise DeviceConfigError(f"init: {error.message}") from None
        self._hosted.start(threads=True, cycle_s=self.config.cycle_s)

    def stop(self) -> None:
        self._hosted.stop()
        self._close_clients()

    def _close_clients(self) -> None:
        self._link.close()
        self._node.close()
