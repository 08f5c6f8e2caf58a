"""``plaza node ...``: run a ledger node."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Annotated

import typer
import uvicorn
from rich.console import Console

from plaza.api import create_app
from plaza.bootstrap import build_gossip, build_node
from plaza.network import Gossip, InvalidPeerAddress
from plaza.network.frames import MAX_FRAME_SIZE
from plaza.node import NodeRuntime
from plaza.settings import NodeSettings

node_app = typer.Typer(help="Run and inspect a ledger node.", no_args_is_help=True)


@node_app.command("run")
def run(
    data_dir: Annotated[
        Path, typer.Option(help="Where the node keeps its database and keys.")
    ] = Path(".plaza/node"),
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8650,
    coordinator: Annotated[
        bool, typer.Option(help="Issue milestones (a single-node devnet is its own coordinator).")
    ] = True,
    pow_difficulty: Annotated[
        int, typer.Option(min=0, max=32, help="Leading zero bits of proof of work required.")
    ] = 11,
    milestone_interval: Annotated[
        float, typer.Option(min=0.01, help="Seconds between milestones.")
    ] = 1.0,
    store: Annotated[str, typer.Option(help="sqlite, postgres or memory.")] = "sqlite",
    peer: Annotated[
        list[str] | None, typer.Option(help="A node to dial: PUBLIC_KEY_HEX@HOST:PORT (repeat).")
    ] = None,
    allow_peer: Annotated[
        list[str] | None, typer.Option(help="Public key (hex) allowed to dial in (repeat).")
    ] = None,
) -> None:
    """Run a node with its HTTP API; a fresh data directory becomes a one-node devnet."""
    settings = NodeSettings(
        data_dir=data_dir,
        host=host,
        port=port,
        coordinator=coordinator,
        pow_difficulty=pow_difficulty,
        milestone_interval_s=milestone_interval,
        store=store,  # type: ignore[arg-type]  # pydantic validates the literal
        peers=tuple(peer or ()),
        allow_peers=tuple(allow_peer or ()),
    )
    _serve(settings)


def _serve(settings: NodeSettings) -> None:
    """Open the node and serve its API until stopped, closing the store and the socket
    however the server ends, so a stopped node leaves nothing open behind it."""
    listener = _listen(settings.host, settings.port)
    runtime = build_node(settings)
    gossip = _gossip_or_bad_parameter(settings, runtime, listener)
    server = _api_server(runtime, gossip)
    _print_banner(settings, runtime, gossip)  # the socket listens: clients may connect now
    try:
        server.run(sockets=[listener])
    finally:
        runtime.close()
        listener.close()


def _gossip_or_bad_parameter(
    settings: NodeSettings, runtime: NodeRuntime, listener: socket.socket
) -> Gossip:
    """The node's gossip, or a usage error: a malformed ``--peer`` or ``--allow-peer`` is
    the operator's typo, reported as such after closing what was opened for it."""
    try:
        return build_gossip(settings, runtime)
    except (InvalidPeerAddress, ValueError) as error:
        runtime.close()
        listener.close()
        raise typer.BadParameter(str(error)) from None


def _api_server(runtime: NodeRuntime, gossip: Gossip) -> uvicorn.Server:
    """The HTTP server for the node's API; its limits follow the node's, not uvicorn's
    defaults: a websocket frame may be as large as a gossip frame."""
    config = uvicorn.Config(
        create_app(runtime, gossip=gossip),
        log_level="warning",
        ws_max_size=MAX_FRAME_SIZE,
        timeout_graceful_shutdown=2,  # open event streams must not hold shutdown forever
    )
    return uvicorn.Server(config)


def _listen(host: str, port: int) -> socket.socket:
    """Bind and listen before anything else, so a taken port fails fast, naming the port,
    before the banner and before the data directory is opened."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        return socket.create_server((host, port), family=family, backlog=2048)
    except OSError as error:
        Console(stderr=True).print(
            f"[red]plaza node run: cannot listen on {host}:{port}: {error.strerror or error}[/]"
            f" (is another node or program using port {port}?)"
        )
        raise typer.Exit(1) from None


def _print_banner(settings: NodeSettings, runtime: NodeRuntime, gossip: Gossip) -> None:
    console = Console(stderr=True)
    genesis = runtime.tangle.genesis
    base = f"http://{settings.host}:{settings.port}"
    coordinator = "on" if runtime.coordinator else "off"
    console.print(
        f"[bold]Plaza node[/] on network [cyan]{genesis.network}[/] ({genesis.network_id:#010x})"
    )
    console.print(f"  data directory  {settings.data_dir.resolve()}")
    console.print(f"  API             {base}/api/v1/info")
    console.print(f"  API docs        {base}/docs")
    console.print(f"  live events     {base}/api/v1/events")
    console.print(f"  coordinator     {coordinator}, every {settings.milestone_interval_s} s")
    console.print(f"  node id         {gossip.public_key.hex()}@{settings.host}:{settings.port}")
    console.print(f"  peers           {len(gossip.config.peers)} configured")
