"""``plaza energy asset run --config <file>``: one device's asset module, a real process.

The device is started the way a third party would run it (docs/energy.md, "Running an
asset module"): a child process on a free port, from a config file, the ledger node
unreachable (nothing here needs it). It answers over HTTP and is stopped by SIGTERM;
a bad config file is refused with a line that names the problem, never a traceback.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from plaza.bootstrap.energy_device import CONFIG_FIELDS, DeviceConfig
from plaza.cli.main import app
from plaza.crypto import EncryptionKey, Identity, SigningKey
from plaza.energy.envelope import ModuleKey
from plaza.energy.reads import read_credentials

DOC = Path(__file__).parents[2] / "docs" / "energy.md"
UUID = "ba4a33f0-ee20-41e4-9fcd-9f91ecf77d0f"
OWNER = Identity(SigningKey(bytes([7]) * 32), EncryptionKey(bytes([8]) * 32))
MARKETPLACE = Identity(SigningKey(bytes([9]) * 32), EncryptionKey(bytes([10]) * 32))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _init() -> dict[str, Any]:
    return {
        "assetId": "solar-roof-7",
        "type": "provider",
        "assetOwner": "owner-1",
        "marketplaceAPI": "http://127.0.0.1:9",
        "marketplacePublicKey": ModuleKey.of(MARKETPLACE).to_text(),
        "assetOwnerAPI": "http://127.0.0.1:9",
        "assetOwnerPublicKey": ModuleKey.of(OWNER).to_text(),
        "minOfferAmount": 200,
        "energyPrice": 150,
    }


def _config(path: Path, **fields: Any) -> Path:
    config = {"dataDir": "device", "uuid": UUID, "nodeUrl": "http://127.0.0.1:9", **fields}
    path.write_text(json.dumps(config))
    return path


def _answering(url: str, process: subprocess.Popen[bytes], within_s: float = 30.0) -> None:
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        assert process.poll() is None, f"the asset module exited with {process.returncode}"
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise TimeoutError(f"{url} did not answer within {within_s} s")


@pytest.fixture
def device(tmp_path: Path) -> Any:
    port = _free_port()
    config = _config(tmp_path / "device.json", port=port, cycleSeconds=0.2, init=_init())
    command = [sys.executable, "-m", "plaza.cli.main", "energy", "asset", "run"]
    log = (tmp_path / "device.log").open("wb")
    process = subprocess.Popen(
        [*command, "--config", str(config)], stdout=log, stderr=log, env=os.environ.copy()
    )
    log.close()
    url = f"http://127.0.0.1:{port}"
    try:
        _answering(url, process)
        yield url, process
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=20)


def test_a_device_runs_from_its_config_file_and_answers_its_owner_only(device: Any) -> None:
    url, process = device
    anonymous = httpx.get(f"{url}/status", timeout=5)
    assert anonymous.status_code == 401
    assert anonymous.json()["code"] == "not_authenticated"

    update = httpx.post(f"{url}/init", json={"uuid": UUID, "energyPrice": 160}, timeout=5)
    assert update.status_code == 200, update.text
    key = ModuleKey.from_text(update.json()["publicKey"])
    headers = read_credentials(
        "/status",
        sender="owner-1",
        identity=OWNER,
        recipient=key,
        audience="solar-roof-7",
        now_ms=int(time.time() * 1000),
    )
    status = httpx.get(f"{url}/status", headers=headers, timeout=5).json()
    assert (status["assetId"], status["type"], status["pool"]) == ("solar-roof-7", "provider", 0)
    assert status["walletAddress"] == update.json()["walletAddress"]

    process.terminate()
    assert process.wait(timeout=20) == 0


def _refused(args: list[str]) -> str:
    result = CliRunner().invoke(app, ["energy", "asset", "run", *args])
    assert isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    return result.output


def test_a_bad_config_file_is_refused_with_a_clear_line(tmp_path: Path) -> None:
    assert "cannot be read" in _refused(["--config", str(tmp_path / "absent.json")])
    (tmp_path / "broken.json").write_text('{"dataDir": ')
    assert "not JSON" in _refused(["--config", str(tmp_path / "broken.json")])
    unknown = _config(tmp_path / "unknown.json", colour="red")
    assert "unknown field(s): colour" in _refused(["--config", str(unknown)])
    port = _config(tmp_path / "port.json", port=70000)
    assert "port must be an integer from 1 to 65535" in _refused(["--config", str(port)])
    node = _config(tmp_path / "node.json", nodeUrl="node:8650")
    assert "nodeUrl must be an http(s) URL" in _refused(["--config", str(node)])
    init = _config(tmp_path / "init.json", port=_free_port(), init={**_init(), "seed": "x"})
    assert "init: seed is refused" in " ".join(_refused(["--config", str(init)]).split())


def test_a_bad_config_file_exits_without_a_traceback_in_a_real_process(tmp_path: Path) -> None:
    config = _config(tmp_path / "device.json", uuid="")
    command = [sys.executable, "-m", "plaza.cli.main", "energy", "asset", "run"]
    done = subprocess.run(
        [*command, "--config", str(config)], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 2
    assert "uuid must be a non-empty string" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout


def test_the_documented_config_file_is_one_the_command_reads(tmp_path: Path) -> None:
    section = DOC.read_text().split("## Running an asset module", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```json\n(.*?)```", section, re.DOTALL)
    assert block is not None, "docs/energy.md shows no config file"
    config = DeviceConfig.from_json(json.loads(block.group(1)), base=tmp_path)
    assert (config.data_dir, config.port) == (tmp_path / "solar-roof-7", 7001)
    rows = re.findall(r"^\| (`[^|]+) \|", section, re.MULTILINE)
    assert set(re.findall(r"`(\w+)`", " ".join(rows))) == CONFIG_FIELDS
