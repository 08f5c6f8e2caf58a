"""What every participant command of ``plaza market`` shares: its options and its client."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from plaza.cli._market_home import MarketHome
from plaza.clients.market import MarketClient
from plaza.clients.node import ClientError

__all__ = ["DEFAULT_HOME", "DEFAULT_URL", "HomeOption", "UrlOption", "err", "market_client"]

HomeOption = Annotated[
    Path, typer.Option("--home", help="Where this participant's identity is kept.")
]
UrlOption = Annotated[
    str, typer.Option("--url", envvar="PLAZA_MARKET_URL", help="The marketplace's base URL.")
]
DEFAULT_HOME = Path(".plaza/market-client")
DEFAULT_URL = "http://127.0.0.1:8660"
err = Console(stderr=True, soft_wrap=True)  # an error line is never broken mid-word


@contextmanager
def market_client(home: Path | None, url: str, *, seal: bool = False) -> Iterator[MarketClient]:
    """A client signing with the home's identity (anonymous without a home); client errors
    become a clean exit."""
    try:
        identity = None if home is None else MarketHome(home).identity()
        with MarketClient(url, identity=identity, seal_bodies=seal) as client:
            yield client
    except (ClientError, FileNotFoundError) as error:
        err.print(f"[red]error:[/] {error}")
        raise typer.Exit(1) from None
