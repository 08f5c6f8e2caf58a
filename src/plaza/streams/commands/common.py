"""What both streams command groups share: durations, the node, and clean failures."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from plaza.adapters.ledger.remote import RemoteLedger
from plaza.channels import ChannelError, LedgerAccessError
from plaza.clients.node import ClientError, NodeClient
from plaza.clock import SystemClock
from plaza.streams.errors import StreamError
from plaza.wallet import WalletError

__all__ = [
    "CLOCK",
    "NodeOption",
    "TagOption",
    "fail",
    "parse_duration",
    "quiet_http_logs",
    "remote",
    "reported",
    "reported_connection",
]

CLOCK = SystemClock()
NodeOption = Annotated[
    str, typer.Option("--node", envvar="PLAZA_NODE", help="The node's base URL.")
]
TagOption = Annotated[str, typer.Option("--tag", help="The ledger tag sensors announce under.")]
_UNITS = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000}
_DURATION = re.compile(r"(\d+)(ms|s|m|h|d)")
stderr = Console(stderr=True, highlight=False, soft_wrap=True)


def parse_duration(text: str) -> int:
    """``90s``, ``10m``, ``1h``, ``30d`` or ``1h30m`` in milliseconds."""
    parts = _DURATION.findall(text.strip())
    if not parts or "".join(n + u for n, u in parts) != text.strip():
        raise typer.BadParameter(f"{text!r}: a duration like 90s, 10m, 1h, 2d or 1h30m")
    return sum(int(number) * _UNITS[unit] for number, unit in parts)


def fail(message: str) -> typer.Exit:
    """Print ``message`` as one error line; the caller raises what this returns."""
    stderr.print(f"[bold red]error:[/] {escape(message)}")
    return typer.Exit(1)


@contextmanager
def reported() -> Iterator[None]:
    """Turn a stream, channel, wallet or node error into one clear line and exit 1."""
    try:
        yield
    except (StreamError, ChannelError, WalletError, LedgerAccessError, ClientError) as error:
        raise fail(str(error)) from None


@contextmanager
def remote(node: str) -> Iterator[RemoteLedger]:
    """The node at ``node`` as the ledger ports, errors reported."""
    with reported(), NodeClient(node) as client:
        yield RemoteLedger(client, clock=CLOCK, follow_timeout=60.0)


@contextmanager
def reported_connection(what: str) -> Iterator[None]:
    """A connection that could not be made as one clear line and exit 1."""
    try:
        yield
    except OSError as error:  # ConnectionError included
        raise fail(f"cannot reach the {what}: {error}") from None


def quiet_http_logs() -> None:
    """httpx logs every request at INFO; a running agent's log is about the agent."""
    logging.getLogger("httpx").setLevel(logging.WARNING)
