"""``plaza service``: sell a Python function per call, or call a service (issue 13).

``plaza service run module:function`` sells the function decorated with
``@service`` (:mod:`plaza.services.provider.sdk`): its keys, channel cursor and
book of calls live in ``--data`` (0700; secrets 0600), its quote API listens on
``--host``/``--port`` (``--public-url`` if customers reach it by another
address), and it runs until interrupted (Ctrl-C or SIGTERM). Run it again on the
same ``--data`` and it finishes or refunds the calls it had accepted. With
``--market URL`` it keeps the service listed in that marketplace as a standing offer
(:mod:`plaza.services.listing`). With ``--owner usr_…`` (the user id a web account's
page shows) its signed description names that account, whose ``/services/my/services``
page lists the service with its calls, failures and revenue.

``plaza service gateway --upstream URL --price N`` sells an existing HTTP API per
request (:mod:`plaza.services.gateway`): 402 with a signed offer, the request
forwarded once its proof of payment passes, the hold released or refunded by the
upstream's status.

``plaza service call NAME INPUT`` pays for one call from the first address of
``--wallet`` (``PLAZA_WALLET``; its password from ``PLAZA_WALLET_PASSWORD`` or a
prompt) and prints the result as JSON; it exits 1 with one line saying why when
the call was refused, refunded or timed out. ``--call-id`` makes it idempotent
across runs (the call book is ``--calls``).
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import signal
import socket
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
import uvicorn
from rich.console import Console
from rich.markup import escape

from plaza.adapters.ledger.remote import RemoteLedger
from plaza.api.serving import ThreadedServer, bind_listener, listener_url
from plaza.channels import ChannelError, LedgerAccessError, find_announcements
from plaza.clients.market import MarketClient
from plaza.clients.node import ClientError, NodeClient
from plaza.clock import SystemClock
from plaza.services.customer import call, find_service
from plaza.services.customer_book import CustomerBook
from plaza.services.description import OWNER, SERVICES_TAG
from plaza.services.errors import ServiceError
from plaza.services.gateway import GatewayBook, GatewayDesk, create_gateway_app
from plaza.services.provider import ProviderAgent, ProviderHome, create_provider_app
from plaza.services.provider.sdk import Service, load_service
from plaza.wallet import Wallet, WalletError

__all__ = ["service_app"]

CLOCK = SystemClock()
service_app = typer.Typer(help="Sell or call pay-per-call services.", no_args_is_help=True)
NodeOption = Annotated[
    str, typer.Option("--node", envvar="PLAZA_NODE", help="The node's base URL.")
]
_stderr = Console(stderr=True, highlight=False, soft_wrap=True)


def _fail(message: str) -> typer.Exit:
    _stderr.print(f"[bold red]error:[/] {escape(message)}")
    return typer.Exit(1)


@contextmanager
def _remote(node: str) -> Iterator[RemoteLedger]:
    """The node as the ledger ports; a service, channel, wallet or node error is one line."""
    try:
        with NodeClient(node) as client:
            yield RemoteLedger(client, clock=CLOCK, follow_timeout=60.0)
    except (ServiceError, ChannelError, WalletError, LedgerAccessError, ClientError) as error:
        raise _fail(str(error)) from None


@service_app.command("run")
def run(
    reference: Annotated[str, typer.Argument(help="The @service function, as module:function.")],
    data: Annotated[Path, typer.Option(help="The provider's data directory.")] = Path(
        ".plaza/service"
    ),
    node: NodeOption = "http://127.0.0.1:8650",
    host: Annotated[str, typer.Option(help="Where the quote API listens.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Its port (0: any free one).")] = 0,
    public_url: Annotated[
        str | None, typer.Option(help="The URL customers reach the quote API at.")
    ] = None,
    poll: Annotated[float, typer.Option(help="Seconds between looks at the ledger.")] = 0.2,
    allowance: Annotated[
        float, typer.Option(help="Seconds a quote adds to the time to result for confirmations.")
    ] = 10.0,
    market: Annotated[
        str | None,
        typer.Option(envvar="PLAZA_MARKET", help="A marketplace's URL to list the service in."),
    ] = None,
    owner: Annotated[
        str,
        typer.Option(
            envvar="PLAZA_SERVICE_OWNER",
            help="The user id of the web account whose dashboard lists it (usr_…).",
        ),
    ] = "",
) -> None:
    """Sell the function per call until stopped: describe it, quote, run, publish, release."""
    chosen, listener = _checked_arguments(reference, host, port, owner)
    _serve(
        chosen,
        listener,
        data=data,
        node=node,
        public_url=public_url,
        poll=poll,
        allowance=allowance,
        market=market,
        owner=owner,
    )


def _checked_arguments(
    reference: str, host: str, port: int, owner: str
) -> tuple[Service, socket.socket]:
    """The service ``reference`` names and a socket listening for its quote API, or a
    usage error: a malformed owner, a reference to no ``@service`` function and a taken
    port are the operator's to fix, and are told before the data directory or the node
    is touched."""
    sys.path.insert(0, os.getcwd())  # module:function names a module where the command runs
    if owner and not OWNER.fullmatch(owner):
        raise typer.BadParameter(f"{owner[:40]!r} is not a user id (usr_ and 16 hex digits)")
    try:
        return load_service(reference), bind_listener(host, port)
    except (ValueError, OSError) as error:
        raise typer.BadParameter(str(error)) from None


def _serve(
    chosen: Service,
    listener: socket.socket,
    *,
    data: Path,
    node: str,
    public_url: str | None,
    poll: float,
    allowance: float,
    market: str | None,
    owner: str,
) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    home = ProviderHome(data)
    with _remote(node) as ledger, _market(market, home) as listed_in:
        agent = ProviderAgent(
            home,
            ledger,
            chosen,
            endpoint=public_url or listener_url(listener),
            clock=CLOCK,
            poll_s=poll,
            allowance_ms=round(allowance * 1000),
            market=listed_in,
            owner=owner,
        )
        try:
            with ThreadedServer(create_provider_app(agent), listener=listener):
                for name, value in agent.status().items():
                    typer.echo(f"{name:<9}{value}")
                typer.echo(f"endpoint {agent.description.endpoint}")
                agent.run(_stop_on_signals())
        finally:
            agent.close()


@contextmanager
def _market(url: str | None, home: ProviderHome) -> Iterator[MarketClient | None]:
    """A client of the marketplace the service is listed in, signing as the provider."""
    if url is None:
        yield None
        return
    with MarketClient(url, identity=home.identity()) as client:
        yield client


def _stop_on_signals() -> threading.Event:
    stop = threading.Event()

    def handle(signum: int, frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGINT, handle)
    signal.signal(signal.SIGTERM, handle)
    return stop


@service_app.command("call")
def call_service(
    name: Annotated[str, typer.Argument(help="The service's name.")],
    job: Annotated[str, typer.Argument(help="The input, as JSON.")],
    wallet: Annotated[
        Path, typer.Option("--wallet", envvar="PLAZA_WALLET", help="The wallet that pays.")
    ] = Path(".plaza/wallet.json"),
    calls: Annotated[Path, typer.Option(help="The book of calls made.")] = Path(
        ".plaza/service-calls.sqlite3"
    ),
    call_id: Annotated[
        str | None, typer.Option(help="32 hex digits; the same id never pays twice.")
    ] = None,
    node: NodeOption = "http://127.0.0.1:8650",
) -> None:
    """Pay for one call of NAME on INPUT and print its result."""
    value = _json_argument(job)
    identifier = _call_id(call_id)
    with _remote(node) as ledger:
        payer = _open_wallet(wallet, ledger).export_identity().signing
        service = find_service(ledger, name)
        book = CustomerBook(calls)
        try:
            result = call(ledger, payer, service, value, clock=CLOCK, book=book, call_id=identifier)
        finally:
            book.close()
    typer.echo(json.dumps(result))


def _json_argument(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise typer.BadParameter(f"the input is not JSON: {error}", param_hint="INPUT") from None


def _call_id(text: str | None) -> bytes:
    if text is None:
        return secrets.token_bytes(16)
    try:
        raw = bytes.fromhex(text)
    except ValueError:
        raw = b""
    if len(raw) != 16:
        raise typer.BadParameter("a call id is 32 hex digits", param_hint="--call-id")
    return raw


def _open_wallet(path: Path, ledger: RemoteLedger) -> Wallet:
    password = os.environ.get("PLAZA_WALLET_PASSWORD")
    if password is None:
        password = typer.prompt("Wallet password", hide_input=True)
    return Wallet.open(path, password, gateway=ledger, clock=CLOCK)


@service_app.command("list")
def list_services(node: NodeOption = "http://127.0.0.1:8650") -> None:
    """The services announced on the ledger: name, price per call, title, endpoint."""
    with _remote(node) as ledger:
        for announcement in find_announcements(ledger, directory=SERVICES_TAG):
            fields = dict(announcement.descriptor.fields)
            if fields.get("retired") == "yes":
                continue
            typer.echo(
                f"{fields.get('service', '?'):<20} {fields.get('price', '?'):>8}  "
                f"{fields.get('title', '')}  {fields.get('endpoint', '')}"
            )


@service_app.command("status")
def status(
    data: Annotated[Path, typer.Option(help="The provider's data directory.")] = Path(
        ".plaza/service"
    ),
) -> None:
    """Calls by state and revenue, from the provider's book (the node is not asked)."""
    if not (data / "calls.sqlite3").exists():
        raise typer.BadParameter(f"{data} holds no provider yet", param_hint="--data")
    book = ProviderHome(data).book()
    try:
        for state, count in sorted(book.counts().items()):
            typer.echo(f"{state:<10}{count}")
        typer.echo(f"revenue   {book.revenue()}")
    finally:
        book.close()


@service_app.command("gateway")
def gateway(
    upstream: Annotated[str, typer.Option(help="The HTTP API to sell, as a base URL.")],
    price: Annotated[int, typer.Option(help="Base units per request.", min=1)],
    data: Annotated[Path, typer.Option(help="The gateway's data directory.")] = Path(
        ".plaza/gateway"
    ),
    node: NodeOption = "http://127.0.0.1:8650",
    host: Annotated[str, typer.Option(help="Where the gateway listens.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Its port (0: any free one).")] = 8402,
) -> None:
    """Sell UPSTREAM per request: 402 with a signed offer, forward what is paid, once."""
    try:
        listener = bind_listener(host, port)
    except OSError as error:
        raise typer.BadParameter(str(error), param_hint="--port") from None
    home = ProviderHome(data)
    book = GatewayBook(home.path / "gateway.sqlite3")
    try:
        with _remote(node) as ledger, httpx.Client(timeout=30) as http:
            desk = GatewayDesk(home.identity(), book, ledger, price=price, clock=CLOCK)
            app = create_gateway_app(desk, upstream, http)
            config = uvicorn.Config(app, log_level="warning", timeout_graceful_shutdown=2)
            typer.echo(f"pay to   {desk.address}")
            typer.echo(f"upstream {upstream}")
            typer.echo(f"gateway  {listener_url(listener)}", nl=True)
            sys.stdout.flush()
            _stop_on_signals()  # uvicorn raises the signal again once stopped: exit 0 instead
            uvicorn.Server(config).run(sockets=[listener])
    finally:
        book.close()
        listener.close()
