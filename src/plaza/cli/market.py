"""``plaza market ...``: run a marketplace, and trade on one as a participant.

``run`` serves the marketplace API (settings from options and ``PLAZA_MARKET_*``).
The other commands are a participant's: its identity lives in ``--home``
(see :mod:`plaza.cli._market_home`), the marketplace is at ``--url``, and every
request is signed with the home's key. ``verify`` checks a contract's signature
locally, against the marketplace key pinned when the home registered. ``pay``
sends the consumer's payment from its wallet and reports it; it needs a home
registered with ``--wallet``, whose participant id is the wallet's main address.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from plaza.cli._market_assets import asset_app
from plaza.cli._market_common import (
    DEFAULT_HOME,
    DEFAULT_URL,
    HomeOption,
    UrlOption,
    err,
    market_client,
)
from plaza.cli._market_home import MarketHome
from plaza.cli._market_pay import check_payable, earlier_payment, send_payment
from plaza.cli._market_roles import audit_app, auditor_app, operator_app
from plaza.cli._wallet_io import DEFAULT_NODE, DEFAULT_WALLET, WalletOption, open_wallet
from plaza.clients.market import ContractRecord, MarketClient, OrderTerms, SubmissionRecord
from plaza.clients.node import ClientError
from plaza.crypto import Identity
from plaza.market.auth import Role
from plaza.market.contracts import ContractSignatureInvalid
from plaza.market.model import Order, Side
from plaza.verticals import Units, registry

__all__ = ["market_app"]

market_app = typer.Typer(
    help="Run a marketplace, or trade on one: assets, offers, requests, contracts.",
    no_args_is_help=True,
)
market_app.add_typer(asset_app, name="asset")
market_app.add_typer(operator_app, name="operator")
market_app.add_typer(auditor_app, name="auditor")
market_app.add_typer(audit_app, name="audit")
_err = err
_client = market_client


def _units(kind: str) -> Units:
    """How the kind's vertical says its numbers read (plain units for a kind none declares)."""
    return registry.units().get(kind, Units())


def _order_line(order: Order) -> str:
    units = _units(order.kind)
    return (
        f"{order.id}  {order.side.value:<7}  {order.kind}  {units.show_quantity(order.quantity)}"
        f" @ {units.show_price(order.unit_price)}"
        f"  remaining {units.show_quantity(order.remaining)}  {order.status.value}  {order.owner}"
    )


def _contract_line(record: ContractRecord) -> str:
    match = record.signed.match
    units = _units(match.kind)
    phase = record.settlement.phase.value if record.settlement else "-"
    return (
        f"{match.id}  {match.kind}  {units.show_quantity(match.quantity)}"
        f" @ {units.show_price(match.unit_price)} = {record.signed.total:,} coins"
        f"  provider {match.provider}  consumer {match.consumer}  {phase}"
    )


@market_app.command("run")
def run(
    data_dir: Annotated[Path | None, typer.Option(help="Keys, journal, databases.")] = None,
    host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on (8660).")] = None,
    node_url: Annotated[str | None, typer.Option(help="The ledger node's URL.")] = None,
    policy: Annotated[str | None, typer.Option(help="Matching policy (one_to_one).")] = None,
    jobs: Annotated[str | None, typer.Option(help="inline, sqlite or redis.")] = None,
    periodic_interval: Annotated[
        float | None, typer.Option(help="Seconds between periodic rounds.")
    ] = None,
    database_url: Annotated[
        str | None,
        typer.Option(
            help="postgresql://… (default: SQLite in the data directory); "
            "PLAZA_MARKET_DATABASE_URL keeps a password out of the process list.",
            show_default=False,
        ),
    ] = None,
    database_schema: Annotated[
        str | None, typer.Option(help="PostgreSQL schema, which must exist.")
    ] = None,
    workers: Annotated[
        int, typer.Option(min=1, help="Processes serving one PostgreSQL database.")
    ] = 1,
) -> None:
    """Serve the marketplace API; a fresh data directory gets new marketplace keys."""
    _serve(
        {
            "data_dir": data_dir,
            "host": host,
            "port": port,
            "node_url": node_url,
            "policy": policy,
            "jobs": jobs,
            "periodic_interval_s": periodic_interval,
            "database_url": database_url,
            "database_schema": database_schema,
        },
        workers=workers,
    )


def _serve(options: dict[str, object], *, workers: int) -> None:
    """``plaza market run``: the marketplace server is imported for this command only, so
    the client commands start without it."""
    from plaza.cli._market_run import run_market  # noqa: PLC0415 - see the docstring

    run_market(options, workers=workers)


@market_app.command("register")
def register(
    name: Annotated[str, typer.Option(help="Display name, shown to other participants.")],
    role: Annotated[
        list[Role] | None, typer.Option(help="provider and/or consumer (repeat).")
    ] = None,
    wallet: Annotated[
        Path | None,
        typer.Option(help="Be this wallet's main address (password: PLAZA_WALLET_PASSWORD)."),
    ] = None,
    home: HomeOption = DEFAULT_HOME,
    url: UrlOption = DEFAULT_URL,
) -> None:
    """Make this home's identity (0600) and register it; pins the marketplace's key.

    With --wallet the identity is the keys of the wallet's main address, so the
    participant id is that address and `pay` spends from it."""
    market_home = MarketHome(home)
    if wallet is None:
        market_home.identity(create=True)
    else:
        _adopt_wallet(market_home, wallet)
    with _client(home, url) as client:
        participant = client.register(name, roles=role or [Role.PROVIDER, Role.CONSUMER])
        market_home.pin(url, client.info())
    typer.echo(f"participant  {participant.id}")
    typer.echo(f"roles        {', '.join(sorted(participant.roles))}")


def _adopt_wallet(market_home: MarketHome, wallet: Path) -> Identity:
    with open_wallet(wallet, DEFAULT_NODE) as opened:  # the node is not asked anything
        identity = opened.export_identity()
    try:
        return market_home.adopt(identity)
    except FileExistsError as error:
        _err.print(f"[red]error:[/] {error}")
        raise typer.Exit(1) from None


def _submit(
    side: Side, terms: OrderTerms, home: Path, url: str, key: str | None, seal: bool
) -> None:
    with _client(home, url, seal=seal) as client:
        outcome: SubmissionRecord = client.submit(side, terms, idempotency_key=key)
    typer.echo(_order_line(outcome.order) + ("  (replayed)" if outcome.replayed else ""))
    for record in outcome.contracts:
        typer.echo("contract  " + _contract_line(record))


def _terms(kind: str, quantity: int, price: int, starts_in: float, valid_for: float) -> OrderTerms:
    start = time.time_ns() // 1_000_000 + round(starts_in * 1000)
    return OrderTerms(kind, quantity, price, start, start + round(valid_for * 1000))


QuantityOption = Annotated[int, typer.Option(help="Units.")]
PriceOption = Annotated[int, typer.Option(help="Base units per unit.")]
KindOption = Annotated[str, typer.Option(help="What is traded.")]
StartsOption = Annotated[float, typer.Option(help="Seconds until the period starts.")]
ValidOption = Annotated[float, typer.Option(help="Seconds the period lasts.")]
KeyOption = Annotated[str | None, typer.Option(help="Idempotency key: a retry makes no copy.")]
SealOption = Annotated[bool, typer.Option(help="Seal the body to the marketplace's key.")]


def _order_command(side: Side, summary: str) -> Callable[..., None]:
    """``offer`` and ``request``: the same options, one side each."""

    def command(
        quantity: QuantityOption,
        price: PriceOption,
        kind: KindOption = "energy",
        starts_in: StartsOption = 0.0,
        valid_for: ValidOption = 3600.0,
        idempotency_key: KeyOption = None,
        seal: SealOption = False,
        home: HomeOption = DEFAULT_HOME,
        url: UrlOption = DEFAULT_URL,
    ) -> None:
        terms = _terms(kind, quantity, price, starts_in, valid_for)
        _submit(side, terms, home, url, idempotency_key, seal)

    command.__doc__ = f"{summary}; prints the order and any contracts it made at once."
    return command


market_app.command("offer")(_order_command(Side.OFFER, "Offer something"))
market_app.command("request")(_order_command(Side.REQUEST, "Request something"))


@market_app.command("orders")
def orders(
    kind: Annotated[str | None, typer.Option(help="Only this kind.")] = None,
    side: Annotated[Side | None, typer.Option(help="offer or request.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=500)] = 100,
    url: UrlOption = DEFAULT_URL,
) -> None:
    """The public marketplace page: active offers and requests, best price first."""
    try:
        with MarketClient(url) as client:
            found = client.orders(kind=kind, side=side, limit=limit)
    except ClientError as error:
        _err.print(f"[red]error:[/] {error}")
        raise typer.Exit(1) from None
    for order in found:
        typer.echo(_order_line(order))


@market_app.command("cancel")
def cancel(order_id: str, home: HomeOption = DEFAULT_HOME, url: UrlOption = DEFAULT_URL) -> None:
    """Cancel one of your open orders."""
    with _client(home, url) as client:
        typer.echo(_order_line(client.cancel(order_id)))


@market_app.command("contracts")
def contracts(home: HomeOption = DEFAULT_HOME, url: UrlOption = DEFAULT_URL) -> None:
    """Your contracts, newest first."""
    with _client(home, url) as client:
        for record in client.contracts():
            typer.echo(_contract_line(record))


@market_app.command("contract")
def contract(
    contract_id: str, home: HomeOption = DEFAULT_HOME, url: UrlOption = DEFAULT_URL
) -> None:
    """One contract: its signed terms and where its settlement stands."""
    with _client(home, url) as client:
        record = client.contract(contract_id)
    typer.echo(_contract_line(record))
    typer.echo(f"signature    {record.signed.signature.hex()}")
    typer.echo(f"marketplace  {record.signed.marketplace_key.hex()}")


@market_app.command("deliver")
def deliver(
    contract_id: str, home: HomeOption = DEFAULT_HOME, url: UrlOption = DEFAULT_URL
) -> None:
    """Report the provision finished (either party)."""
    with _client(home, url) as client:
        typer.echo(_contract_line(client.report_delivery(contract_id)))


@market_app.command("request-payment")
def request_payment(
    contract_id: str, home: HomeOption = DEFAULT_HOME, url: UrlOption = DEFAULT_URL
) -> None:
    """Ask the consumer to pay (the provider, after delivery)."""
    with _client(home, url) as client:
        typer.echo(_contract_line(client.request_payment(contract_id)))


@market_app.command("pay")
def pay(
    contract_id: str,
    wallet: WalletOption = DEFAULT_WALLET,
    node: Annotated[
        str | None,
        typer.Option(envvar="PLAZA_NODE", help="The ledger node (default: the marketplace's)."),
    ] = None,
    home: HomeOption = DEFAULT_HOME,
    url: UrlOption = DEFAULT_URL,
) -> None:
    """Pay a contract (the consumer): send its total to the provider, report the message.

    The marketplace checks the transfer on the ledger and fulfils the contract once
    a milestone confirms it. Safe to run again: a contract is never paid twice."""
    with _client(home, url) as client:
        record = client.contract(contract_id)
        payer = MarketHome(home).identity().address
        if not check_payable(record, payer):
            typer.echo(f"already paid: {_contract_line(record)}")
            return
        where = node or client.info().node_url or DEFAULT_NODE
        message = earlier_payment(where, record, payer)
        if message is None:
            message = send_payment(record, wallet, where, payer)
        else:
            typer.echo(f"reporting the payment sent earlier in message {message}")
        typer.echo(_contract_line(client.report_payment(contract_id, message)))


@market_app.command("verify")
def verify(contract_id: str, home: HomeOption = DEFAULT_HOME, url: UrlOption = DEFAULT_URL) -> None:
    """Check a contract's signature here, against the marketplace key this home pinned."""
    with _client(home, url) as client:
        record = client.contract(contract_id)
        trusted = MarketHome(home).pinned_key() or client.info().signing_key
    signer = record.signed.marketplace_key
    if signer != trusted.raw:
        typer.echo(f"FAILED  {contract_id}: signed by key {signer.hex()}, trusted {trusted}")
        raise typer.Exit(1)
    try:
        record.signed.check_signature()
    except ContractSignatureInvalid as error:
        typer.echo(f"FAILED  {error}")
        raise typer.Exit(1) from None
    typer.echo(f"OK  {contract_id} is signed by marketplace {trusted}")
