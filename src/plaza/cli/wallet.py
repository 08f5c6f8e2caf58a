"""``plaza wallet ...``: create or restore a wallet, receive, send, balance, history, faucet.

Amounts are integer base units. The wallet file defaults to
``.plaza/wallet.json`` (``--wallet`` or ``PLAZA_WALLET``), the node to
``http://127.0.0.1:8650`` (``--node`` or ``PLAZA_NODE``). The password is
asked with hidden input, or read from ``PLAZA_WALLET_PASSWORD`` in scripts.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from plaza.cli._wallet_io import (
    DEFAULT_NODE,
    DEFAULT_WALLET,
    AccountOption,
    NodeOption,
    WalletOption,
    ask_password,
    ask_phrase,
    balance_lines,
    history_lines,
    kdf_params,
    open_wallet,
    print_qr,
    remote_gateway,
    reported_errors,
    stdout,
)
from plaza.clock import SystemClock
from plaza.ledger.model import MessageMetadata
from plaza.settings import WalletSettings
from plaza.wallet import DEFAULT_ACCOUNT, FaucetGrant, RecoveryPhrase, Wallet, WalletExists
from plaza.wallet.spending import parse_recipient

__all__ = ["wallet_app"]

wallet_app = typer.Typer(
    help="Keep coins: create or restore a wallet, receive, send, balance and history.",
    no_args_is_help=True,
)

WaitOption = Annotated[bool, typer.Option("--wait", help="Wait until a milestone confirms it.")]
TimeoutOption = Annotated[float, typer.Option(min=0.1, help="Seconds to wait at most.")]


def _show_phrase(phrase: RecoveryPhrase) -> None:
    """The words in four columns, after a warning; the only time they are ever shown."""
    stdout.print(
        "[bold yellow]Write down this recovery phrase now.[/] It is shown only once. "
        "Anyone who has it owns this wallet's coins; keep it offline."
    )
    cells = [f"{n:>2}. {word:<9}" for n, word in enumerate(phrase.reveal().split(), start=1)]
    for row in range(0, len(cells), 4):
        stdout.print("  " + " ".join(cells[row : row + 4]))


def _confirmation(metadata: MessageMetadata | None) -> str:
    if metadata is None:
        return "pending (not confirmed yet)"
    return f"{metadata.state.value} at milestone {metadata.milestone_index}"


@wallet_app.command()
def create(wallet: WalletOption = DEFAULT_WALLET, node: NodeOption = DEFAULT_NODE) -> None:
    """Create a wallet with a new seed and show its 24-word recovery phrase, once."""
    settings = WalletSettings()
    with reported_errors(), remote_gateway(node) as gateway:
        if wallet.exists():
            raise WalletExists(wallet)
        password = ask_password(settings, new=True)
        created, phrase = Wallet.create(
            wallet, password, gateway=gateway, clock=SystemClock(), kdf=kdf_params(settings)
        )
        address = created.receive_address()
    _show_phrase(phrase)
    stdout.print(f"Wallet created at {escape(str(wallet))}")
    stdout.print(f"Receive address: {address}")


@wallet_app.command()
def restore(
    wallet: WalletOption = DEFAULT_WALLET,
    node: NodeOption = DEFAULT_NODE,
    scan: Annotated[
        bool, typer.Option(help="Ask the node which accounts and addresses the seed has used.")
    ] = True,
) -> None:
    """Recreate a wallet from its recovery phrase (asked, or PLAZA_WALLET_MNEMONIC)."""
    settings = WalletSettings()
    with reported_errors(), remote_gateway(node) as gateway:
        if wallet.exists():
            raise WalletExists(wallet)
        phrase = ask_phrase(settings)
        password = ask_password(settings, new=True)
        restored = Wallet.restore(
            wallet,
            password,
            phrase,
            gateway=gateway,
            clock=SystemClock(),
            kdf=kdf_params(settings),
            scan=scan,
        )
    stdout.print(f"Wallet restored at {escape(str(wallet))}")
    for account in restored.accounts():
        stdout.print(f"  account {escape(account.name)}: {account.address_count} address(es)")


@wallet_app.command()
def accounts(
    wallet: WalletOption = DEFAULT_WALLET,
    node: NodeOption = DEFAULT_NODE,
    add: Annotated[str | None, typer.Option("--add", help="Create an account named so.")] = None,
) -> None:
    """List the wallet's accounts, or add one with --add NAME."""
    with open_wallet(wallet, node) as opened:
        if add is not None:
            created = opened.add_account(add)
            stdout.print(f"Account {escape(created.name)} created (index {created.index})")
        rows = [(a, opened.receive_address(a.name)) for a in opened.accounts()]
    for account, address in rows:
        stdout.print(
            f"{escape(account.name):<16} index {account.index:<4} "
            f"addresses {account.address_count:<4} receive at {address}"
        )


def address(
    wallet: WalletOption = DEFAULT_WALLET,
    node: NodeOption = DEFAULT_NODE,
    account: AccountOption = DEFAULT_ACCOUNT,
    new: Annotated[bool, typer.Option("--new", help="Derive a further address.")] = False,
    plain: Annotated[
        bool, typer.Option("--plain", help="Print only the address (for scripts).")
    ] = False,
) -> None:
    """Show the address to receive coins at, with a QR code."""
    with open_wallet(wallet, node) as opened:
        receive = opened.receive_address(account, new=new)
    if plain:
        typer.echo(str(receive))
        return
    stdout.print(f"Receive address of account {escape(account)} (#{receive.index}):")
    typer.echo(str(receive))
    print_qr(str(receive))


wallet_app.command("address")(address)
wallet_app.command("receive", help="Show the address to receive coins at, with a QR code.")(address)


@wallet_app.command()
def balance(
    wallet: WalletOption = DEFAULT_WALLET,
    node: NodeOption = DEFAULT_NODE,
    account: AccountOption = DEFAULT_ACCOUNT,
) -> None:
    """Show the confirmed balance, what is in flight, and what is available to send."""
    with open_wallet(wallet, node) as opened:
        result = opened.balance(account)
    for line in balance_lines(result):
        stdout.print(escape(line))


@wallet_app.command()
def send(
    to: Annotated[str, typer.Argument(help="The recipient's address, plz1…")],
    amount: Annotated[int, typer.Argument(help="Base units to send.")],
    wallet: WalletOption = DEFAULT_WALLET,
    node: NodeOption = DEFAULT_NODE,
    account: AccountOption = DEFAULT_ACCOUNT,
    wait: WaitOption = False,
    timeout: TimeoutOption = 30.0,
) -> None:
    """Send AMOUNT base units to the address TO."""
    with open_wallet(wallet, node) as opened:
        payment = opened.send(to, amount, account=account, wait=wait, timeout_s=timeout)
    for transfer in payment.transfers:
        stdout.print(
            f"sent {transfer.total} from {transfer.payer} in message "
            f"{transfer.message_id.hex()}: {_confirmation(transfer.metadata)}"
        )


@wallet_app.command()
def history(
    wallet: WalletOption = DEFAULT_WALLET,
    node: NodeOption = DEFAULT_NODE,
    account: Annotated[
        str | None, typer.Option("--account", "-a", help="Only this account (default: all).")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="Most recent entries.")] = 20,
) -> None:
    """Show the latest transfers from and to the wallet, with their confirmation state."""
    with open_wallet(wallet, node) as opened:
        lines = opened.history(account, limit=limit)
        several = len(opened.accounts()) > 1
    if not lines:
        stdout.print("no transfers yet")
        return
    for line in history_lines(lines, show_account=several and account is None):
        stdout.print(escape(line))


@wallet_app.command()
def faucet(
    wallet: WalletOption = DEFAULT_WALLET,
    node: NodeOption = DEFAULT_NODE,
    account: AccountOption = DEFAULT_ACCOUNT,
    to: Annotated[
        str | None, typer.Option("--address", help="Fund this address instead (no wallet needed).")
    ] = None,
    wait: WaitOption = False,
    timeout: TimeoutOption = 30.0,
) -> None:
    """Devnet: get coins from the node's faucet (rate limited per address and client)."""
    if to is None:
        with open_wallet(wallet, node) as opened:
            grant = opened.request_faucet(account, wait=wait, timeout_s=timeout)
    else:
        grant = _faucet_to(to, node, wait=wait, timeout=timeout)
    stdout.print(
        f"faucet sent {grant.amount} to {grant.address} in message "
        f"{grant.message_id.hex()}: {_confirmation(grant.metadata)}"
    )


def _faucet_to(text: str, node: str, *, wait: bool, timeout: float) -> FaucetGrant:
    with reported_errors(), remote_gateway(node) as gateway:
        grant = gateway.request_faucet(parse_recipient(text))
        if not wait:
            return grant
        metadata = gateway.wait_for_confirmation(grant.message_id, timeout_s=timeout)
    return FaucetGrant(grant.message_id, grant.address, grant.amount, metadata)
