"""``plaza channel ...`` against a real node: the commands a seller and a buyer type."""

from __future__ import annotations

import json
import stat
from pathlib import Path

from node_server import RunningNode
from typer.testing import CliRunner

from plaza.cli.main import app


def _run(node: RunningNode, home: Path, *args: str, input: str | None = None) -> str:
    result = CliRunner().invoke(
        app, ["channel", *args, "--home", str(home), *_node(args, node)], input=input
    )
    assert result.exit_code == 0, result.output
    return result.output


def _node(args: tuple[str, ...], node: RunningNode) -> list[str]:
    return [] if args[0] in {"whoami", "backup"} else ["--node", node.url]


def test_seller_and_buyer_at_the_command_line(node: RunningNode, tmp_path: Path) -> None:
    seller, buyer = tmp_path / "seller", tmp_path / "buyer"
    created = _run(node, seller, "create", "--mode", "restricted")
    channel_id = created.split()[1]
    _run(
        node,
        seller,
        "announce",
        "--name",
        "air-42",
        "--price",
        "100",
        "--directory",
        channel_id[:20],
    )
    buyer_key = _run(node, buyer, "whoami").split("encryption key")[1].split()[0]

    _run(node, seller, "grant", buyer_key, "--messages", "5")
    _run(node, seller, "publish", "21.5C")
    (tmp_path / "reading.bin").write_bytes(b"\x00\xff")
    _run(node, seller, "publish", "--file", str(tmp_path / "reading.bin"))
    assert channel_id in _run(node, buyer, "inbox")

    lines = _run(node, buyer, "read", channel_id[:12], "--json").splitlines()
    entries = [json.loads(line) for line in lines]
    assert [e.get("content", e.get("content_hex")) for e in entries] == ["21.5C", "00ff"]
    followed = _run(node, buyer, "follow", channel_id[:12], "--count", "2")
    assert "21.5C" in followed

    _run(node, seller, "revoke", buyer_key)
    _run(node, seller, "rotate")
    _run(node, seller, "publish", "secret")
    refused = CliRunner().invoke(
        app, ["channel", "read", channel_id[:12], "--home", str(buyer), "--node", node.url]
    )
    assert refused.exit_code == 1
    assert "revoked" in refused.output
    assert "secret" in _run(node, seller, "read", channel_id[:12])

    for path in [seller / "identity.key", seller / "cursors.sqlite3", *(buyer / "keys").iterdir()]:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_backup_and_restore_at_the_command_line(node: RunningNode, tmp_path: Path) -> None:
    home = tmp_path / "home"
    _run(node, home, "create", "--mode", "private")
    _run(node, home, "publish", "one")
    _run(node, home, "backup", str(tmp_path / "backup.bin"), input="pw\npw\n")
    _run(node, home, "publish", "two")
    (home / "cursors.sqlite3").unlink()
    restored = _run(node, home, "restore", str(tmp_path / "backup.bin"), input="pw\n")
    assert "next position #2" in restored
    assert "#2" in _run(node, home, "publish", "three")
