"""``plaza market ...`` against a real marketplace: what a provider and a consumer type."""

from __future__ import annotations

import json
import re
import stat
from pathlib import Path

import pytest
from market_server import RunningMarket
from typer.testing import CliRunner

from plaza.adapters.ledger.remote import RemoteLedger
from plaza.bootstrap import SystemClock
from plaza.cli.main import app
from plaza.clients.node import NodeClient
from plaza.wallet import KdfParams, Wallet


def _run(market: RunningMarket, home: Path | None, *args: str, code: int = 0) -> str:
    where = ["--url", market.url] + (["--home", str(home)] if home is not None else [])
    result = CliRunner().invoke(app, ["market", *args, *where])
    assert result.exit_code == code, result.output
    return result.output


def test_provider_and_consumer_trade_at_the_command_line(
    market: RunningMarket, tmp_path: Path
) -> None:
    solar, ev = tmp_path / "solar", tmp_path / "ev"
    provider_id = _run(market, solar, "register", "--name", "solar", "--role", "provider").split()[
        1
    ]
    _run(market, ev, "register", "--name", "ev", "--role", "consumer")
    assert stat.S_IMODE((solar / "identity.key").stat().st_mode) == 0o600

    offered = _run(market, solar, "offer", "--quantity", "50", "--price", "9", "--kind", "cli")
    offer_id = offered.split()[0]
    bought = _run(market, ev, "request", "--quantity", "20", "--price", "10", "--kind", "cli")
    [contract_id] = re.findall(r"^contract  (\S+)", bought, re.M)
    assert f"provider {provider_id}" in bought

    assert contract_id in _run(market, solar, "contracts")
    listed = _run(market, None, "orders", "--kind", "cli")
    assert "50 units @ 9 coins per unit  remaining 30 units" in listed, "numbers with units"
    assert re.search(r"20 units @ \d+ coins per unit = \d+ coins", bought), bought
    assert _run(market, ev, "verify", contract_id).startswith("OK")
    assert "Energy provision finished" in _run(market, ev, "deliver", contract_id)
    assert "Payment requested" in _run(market, solar, "request-payment", contract_id)
    assert "signature" in _run(market, solar, "contract", contract_id)
    assert "removed" in _run(market, solar, "cancel", offer_id)


def test_verify_refuses_a_contract_signed_by_another_marketplace_key(
    market: RunningMarket, tmp_path: Path
) -> None:
    solar, ev = tmp_path / "solar", tmp_path / "ev"
    _run(market, solar, "register", "--name", "solar", "--role", "provider")
    _run(market, ev, "register", "--name", "ev", "--role", "consumer", "--role", "provider")
    _run(market, solar, "offer", "--quantity", "5", "--price", "1", "--kind", "cli-2")
    bought = _run(market, ev, "request", "--quantity", "5", "--price", "1", "--kind", "cli-2")
    [contract_id] = re.findall(r"^contract  (\S+)", bought, re.M)
    pinned = json.loads((ev / "marketplace.json").read_text())
    (ev / "marketplace.json").write_text(json.dumps({**pinned, "signing_key": "00" * 32}))
    assert _run(market, ev, "verify", contract_id, code=1).startswith("FAILED")


def test_commands_without_a_registered_home_explain_themselves(
    market: RunningMarket, tmp_path: Path
) -> None:
    output = _run(market, tmp_path / "nobody", "contracts", code=1)
    assert "plaza market register" in output


def test_a_home_is_never_switched_to_a_wallets_identity(
    market: RunningMarket, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``register --wallet`` makes the participant the wallet's main address, but only in a
    home without another identity: its contracts are signed for that one."""
    monkeypatch.setenv("PLAZA_WALLET_PASSWORD", "a long test passphrase")
    wallet_path = tmp_path / "w.json"
    with NodeClient("http://127.0.0.1:9") as unused:  # creating a wallet asks no node
        gateway = RemoteLedger(unused, clock=SystemClock())
        wallet, _ = Wallet.create(
            wallet_path,
            "a long test passphrase",
            gateway=gateway,
            clock=SystemClock(),
            kdf=KdfParams.MINIMUM,
        )
    address = str(wallet.receive_address().address)
    joined = _run(market, tmp_path / "ev", "register", "--name", "ev", "--wallet", str(wallet_path))
    assert joined.split()[1] == address
    _run(market, tmp_path / "solar", "register", "--name", "solar")
    refused = _run(
        market,
        tmp_path / "solar",
        "register",
        "--name",
        "solar",
        "--wallet",
        str(wallet_path),
        code=1,
    )
    assert "holds another identity" in refused
