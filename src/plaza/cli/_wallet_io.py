"""What the ``plaza wallet`` commands share: secrets in, wallets opened, errors and tables out.

Every wallet error ends a command with one line on stderr and exit status 1,
never a traceback; the wallet's messages are written for that and carry no
secret. Passwords and recovery phrases come from ``PLAZA_WALLET_PASSWORD`` /
``PLAZA_WALLET_MNEMONIC`` or a hidden prompt, never from a command-line
argument, which would land in shell history and process listings.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import segno
import typer
from rich.console import Console
from rich.markup import escape

from plaza.adapters.ledger.remote import RemoteLedger
from plaza.clients.node import NodeClient
from plaza.clock import SystemClock
from plaza.settings import WalletSettings
from plaza.wallet import (
    AccountBalance,
    HistoryLine,
    KdfParams,
    LedgerAccessError,
    Wallet,
    WalletError,
)

__all__ = [
    "DEFAULT_NODE",
    "DEFAULT_WALLET",
    "AccountOption",
    "NodeOption",
    "WalletOption",
    "ask_password",
    "ask_phrase",
    "balance_lines",
    "history_lines",
    "kdf_params",
    "open_wallet",
    "print_qr",
    "remote_gateway",
    "reported_errors",
    "stderr",
    "stdout",
]

DEFAULT_WALLET = Path(".plaza/wallet.json")
DEFAULT_NODE = "http://127.0.0.1:8650"

WalletOption = Annotated[
    Path,
    typer.Option("--wallet", envvar="PLAZA_WALLET", help="The wallet file.", show_default=True),
]
NodeOption = Annotated[
    str, typer.Option("--node", envvar="PLAZA_NODE", help="The node's URL.", show_default=True)
]
AccountOption = Annotated[str, typer.Option("--account", "-a", help="Account name.")]

# soft_wrap: an address or id is never broken across lines, whatever the terminal width.
stdout = Console(highlight=False, soft_wrap=True)
stderr = Console(stderr=True, highlight=False, soft_wrap=True)

_KDF = {
    "moderate": KdfParams.MODERATE,
    "interactive": KdfParams.INTERACTIVE,
    "minimum": KdfParams.MINIMUM,
}


@contextmanager
def reported_errors() -> Iterator[None]:
    """Turn a wallet or ledger error into one clear line on stderr and exit status 1."""
    try:
        yield
    except (WalletError, LedgerAccessError) as error:
        stderr.print(f"[bold red]error:[/] {escape(str(error))}")
        for note in getattr(error, "__notes__", ()):
            stderr.print(f"  {escape(note)}")
        raise typer.Exit(1) from None


def kdf_params(settings: WalletSettings) -> KdfParams:
    return _KDF[settings.kdf]


def ask_password(settings: WalletSettings, *, new: bool) -> str:
    """The password from the environment, else a hidden prompt (asked twice for a new one)."""
    if settings.password is not None:
        return settings.password.get_secret_value()
    prompt = "New wallet password" if new else "Wallet password"
    answer: str = typer.prompt(prompt, hide_input=True, confirmation_prompt=new)
    return answer


def ask_phrase(settings: WalletSettings) -> str:
    if settings.mnemonic is not None:
        return settings.mnemonic.get_secret_value()
    answer: str = typer.prompt("Recovery phrase (24 words)", hide_input=True)
    return answer


@contextmanager
def remote_gateway(node: str) -> Iterator[RemoteLedger]:
    with NodeClient(node) as client:
        yield RemoteLedger(client, clock=SystemClock())


@contextmanager
def open_wallet(path: Path, node: str) -> Iterator[Wallet]:
    """The unlocked wallet at ``path`` on the node at ``node``, errors reported."""
    settings = WalletSettings()
    with reported_errors(), remote_gateway(node) as gateway:
        password = ask_password(settings, new=False)
        yield Wallet.open(path, password, gateway=gateway, clock=SystemClock())


def print_qr(text: str) -> None:
    """A QR code of ``text`` in the terminal, in upper case: bech32 allows it, and QR's
    alphanumeric mode then makes the code smaller and easier to scan."""
    buffer = io.StringIO()
    segno.make(text.upper(), error="m").terminal(out=buffer, compact=True)
    typer.echo(buffer.getvalue().rstrip("\n"))


def _time(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S")


def balance_lines(balance: AccountBalance) -> list[str]:
    """One line per address, then the account's sum; plain lines, so nothing wraps an address."""
    lines = [f"account {balance.account}"]
    for entry in balance.addresses:
        lines.append(
            f"  #{entry.address.index:<3} {entry.address}  confirmed {entry.confirmed}  "
            f"in flight {entry.in_flight}  available {entry.available}"
        )
    lines.append(
        f"balance: {balance.confirmed} confirmed, {balance.in_flight} in flight, "
        f"{balance.available} available"
    )
    return lines


def history_lines(lines: list[HistoryLine], *, show_account: bool) -> list[str]:
    """Newest first: time, amount, state, address and message id (shortened)."""
    rendered = []
    for line in lines:
        movement = line.movement
        state = movement.state.value
        if movement.conflict.value:
            state += f" ({movement.conflict.name.lower()})"
        if movement.milestone_index is not None:
            state += f" at milestone {movement.milestone_index}"
        account = f"{line.account:<12} " if show_account else ""
        rendered.append(
            f"{_time(movement.issued_at_ms)}  {account}{movement.delta:>+14d}  {state:<32} "
            f"{str(movement.address)[:14]}…  {movement.message_id.hex()[:16]}…"
        )
    return rendered
