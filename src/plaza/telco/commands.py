"""``plaza telco``: the telco vertical's commands.

``plaza telco orchestrator`` runs the orchestrator (:mod:`plaza.telco.orchestrator`)
as an operator of the marketplace at ``--market``, signing with the identity in
``--identity`` (an ``identity.key``, as ``plaza market register`` keeps it, of a
participant the marketplace admitted as an operator). Its listener serves on
``--host``/``--port`` (``--public-url`` if the marketplace reaches it by another
address): the hub's posts, and ``GET /access``, the access list. It prints its
URL, then runs until interrupted (Ctrl-C or SIGTERM), leaving the hub as it stops.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
from pathlib import Path
from typing import Annotated

import httpx
import typer

from plaza.api.serving import ThreadedServer, bind_listener, listener_url
from plaza.clients.market import MarketClient
from plaza.clock import SystemClock
from plaza.keyfiles import identity_at
from plaza.telco.orchestrator import MarketRefused, Orchestrator, create_listener_app

__all__ = ["telco_app"]

telco_app = typer.Typer(help="Telco assets: the orchestrator of access.", no_args_is_help=True)


@telco_app.callback()
def _group() -> None:
    """Telco assets by the window, paid for delivery (docs/telco.md)."""


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(1)


@telco_app.command()
def orchestrator(
    *,
    market: Annotated[str, typer.Option(envvar="PLAZA_MARKET", help="The marketplace's URL.")],
    identity: Annotated[
        Path, typer.Option(help="The operator's identity.key (its signing seeds, 0600).")
    ],
    host: Annotated[str, typer.Option(help="Where the listener listens.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Its port (0: any free one).")] = 0,
    public_url: Annotated[
        str | None, typer.Option(help="The listener's URL as the marketplace reaches it.")
    ] = None,
    poll: Annotated[float, typer.Option(help="Seconds between reads without a post.")] = 10.0,
) -> None:
    """Configure, then remove, time-bounded access for each order, and report it."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    if not identity.exists():
        raise _fail(f"no identity at {identity}: an operator's identity.key is needed")
    listener = bind_listener(host, port)
    url = public_url or listener_url(listener)
    with MarketClient(market, identity=identity_at(identity)) as client:
        agent = Orchestrator(client, clock=SystemClock(), poll_s=poll)
        try:
            with ThreadedServer(create_listener_app(agent), listener=listener):
                agent.subscribe(url)
                typer.echo(f"orchestrator {agent.participant} listening on {url}")
                sys.stdout.flush()
                stop = _stop_on_signals(agent)
                try:
                    agent.run()
                finally:
                    stop.set()
                    agent.unsubscribe()
        except (MarketRefused, httpx.HTTPError) as error:
            raise _fail(str(error)) from None
        finally:
            agent.close()


def _stop_on_signals(agent: Orchestrator) -> threading.Event:
    """Ctrl-C and SIGTERM end the agent's loop, so it leaves the hub before exiting."""
    stopped = threading.Event()

    def handle(signum: int, frame: object) -> None:
        stopped.set()
        agent.stop()

    signal.signal(signal.SIGINT, handle)
    signal.signal(signal.SIGTERM, handle)
    return stopped
