"""``plaza wallet`` commands against a real node: output people read, and clear errors.

The commands run in this process (Typer's runner) to keep the suite fast; the
README test runs them as real processes.
"""

from __future__ import annotations

import re
import stat
from pathlib import Path

import pytest
from node_helpers import address_of
from node_server import RunningNode
from typer.testing import CliRunner, Result

from plaza.cli.main import app
from plaza.crypto import SigningKey

PASSWORD = "correct horse battery staple"


@pytest.fixture
def run(node: RunningNode, tmp_path: Path) -> CliRunnerCall:
    return CliRunnerCall(node.url, tmp_path / "wallet.json")


class CliRunnerCall:
    """``plaza wallet ...`` with a wallet file, the test node and a password in the env."""

    def __init__(self, url: str, wallet: Path) -> None:
        self.wallet = wallet
        self.env = {
            "PLAZA_NODE": url,
            "PLAZA_WALLET": str(wallet),
            "PLAZA_WALLET_PASSWORD": PASSWORD,
            "PLAZA_WALLET_KDF": "minimum",
            "PLAZA_WALLET_MNEMONIC": None,
        }

    def __call__(self, *args: str, input: str | None = None, **env: str | None) -> Result:
        return CliRunner().invoke(app, ["wallet", *args], input=input, env={**self.env, **env})


def ok(result: Result) -> str:
    assert result.exit_code == 0, result.output
    return result.output


def failed(result: Result) -> str:
    """The one-line error of a failed command; never a traceback."""
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    return result.output


def phrase_of(output: str) -> str:
    return " ".join(re.findall(r"\d+\. (\w+)", output))


def test_create_shows_24_words_once_and_a_private_file(run: CliRunnerCall) -> None:
    output = ok(run("create"))

    assert len(phrase_of(output).split()) == 24
    assert "shown only once" in output
    assert re.search(r"Receive address: plz1\w{58}", output)
    assert stat.S_IMODE(run.wallet.stat().st_mode) == 0o600
    assert "already exists" in failed(run("create"))
    assert phrase_of(ok(run("balance"))) == ""


def test_password_prompt_confirms_a_new_password(run: CliRunnerCall) -> None:
    typed = "typed password 1\ntyped password 1\n"

    created = run("create", input=typed, PLAZA_WALLET_PASSWORD=None)
    opened = run("address", "--plain", input="typed password 1\n", PLAZA_WALLET_PASSWORD=None)

    ok(created)
    assert "typed password 1" not in created.output
    assert ok(opened).strip().splitlines()[-1].startswith("plz1")


def test_clear_errors(run: CliRunnerCall, node: RunningNode) -> None:
    ok(run("create"))
    stranger = str(address_of(SigningKey.generate()))

    wrong = failed(run("balance", PLAZA_WALLET_PASSWORD="not the password"))
    bad_address = failed(run("send", "plz1qqqqqqqq", "5"))
    too_much = failed(run("send", stranger, "5000"))
    unreachable = failed(run("balance", "--node", "http://127.0.0.1:9"))
    missing = failed(run("balance", "--wallet", str(run.wallet.parent / "none.json")))
    other = str(run.wallet.parent / "w2.json")
    weak = failed(run("create", "--wallet", other, PLAZA_WALLET_PASSWORD="short"))

    assert "wrong password" in wrong
    assert "not the password" not in wrong
    assert "not a valid recipient address" in bad_address
    assert "insufficient balance" in too_much
    assert "5000 needed, 0 available" in too_much
    assert "cannot reach the node at http://127.0.0.1:9" in unreachable
    assert "no wallet at" in missing
    assert "at least 8 characters" in weak


def test_faucet_send_balance_history_receive(run: CliRunnerCall, tmp_path: Path) -> None:
    ok(run("create"))
    bob = tmp_path / "bob.json"
    ok(run("create", "--wallet", str(bob)))
    bob_address = ok(run("address", "--plain", "--wallet", str(bob))).strip()

    granted = ok(run("faucet", "--wait"))
    sent = ok(run("send", bob_address, "1234", "--wait"))
    history = ok(run("history"))
    receive = ok(run("receive"))

    assert "confirmed at milestone" in granted
    assert "sent 1234" in sent
    assert "confirmed at milestone" in sent
    assert "balance: 1234 confirmed" in ok(run("balance", "--wallet", str(bob)))
    assert re.search(r"-1234\s+confirmed at milestone", history)
    assert bob_address not in receive
    assert "▀" in receive or "▄" in receive  # the QR code
    assert re.search(r"^plz1\w{58}$", receive, re.M)


def test_accounts_and_faucet_to_any_address(run: CliRunnerCall) -> None:
    ok(run("create"))
    target = str(address_of(SigningKey.generate()))

    added = ok(run("accounts", "--add", "savings"))
    fresh = ok(run("address", "--account", "savings", "--new", "--plain")).strip()
    listed = ok(run("accounts"))
    funded = ok(run("faucet", "--address", target))

    assert "Account savings created (index 1)" in added
    assert re.search(r"savings\s+index 1\s+addresses 2\s+receive at " + fresh, listed)
    assert target in funded
    assert "unknown" not in failed(run("balance", "--account", "nope"))
    assert "no account named 'nope'" in failed(run("balance", "--account", "nope"))


def test_restore_from_the_phrase(run: CliRunnerCall, tmp_path: Path) -> None:
    phrase = phrase_of(ok(run("create")))
    first = ok(run("address", "--plain")).strip()
    copy = str(tmp_path / "restored.json")

    restored = run("restore", "--wallet", copy, "--no-scan", PLAZA_WALLET_MNEMONIC=phrase)
    bad = run("restore", "--wallet", copy + "2", PLAZA_WALLET_MNEMONIC="one two three")

    assert "Wallet restored" in ok(restored)
    assert ok(run("address", "--plain", "--wallet", copy)).strip() == first
    assert "invalid recovery phrase: wrong word count 3" in failed(bad)
