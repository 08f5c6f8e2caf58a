"""``plaza market asset ...``: register, list, show and remove a participant's assets.

Assets are what offers are made from (a solar panel, a charger, a cell site); an
order may name one with its ``asset_id``. Listing and showing are public; the
other commands sign with the home's identity, the asset's owner.
"""

from __future__ import annotations

from typing import Annotated

import typer

from plaza.cli._market_common import (
    DEFAULT_HOME,
    DEFAULT_URL,
    HomeOption,
    UrlOption,
    market_client,
)
from plaza.clients.market import AssetTerms
from plaza.market.model import Asset, AttributeValue, Location, attributes

__all__ = ["asset_app", "parse_attribute"]

asset_app = typer.Typer(help="Your assets: what your offers are made from.", no_args_is_help=True)

AttrOption = Annotated[
    list[str] | None,
    typer.Option("--attr", help="name=value (true/false, an integer, or text); repeat."),
]


def parse_attribute(text: str) -> tuple[str, AttributeValue]:
    """``green=true`` -> ("green", True); ``quality=4`` -> ("quality", 4); else text."""
    name, sep, value = text.partition("=")
    if not sep or not name:
        raise typer.BadParameter(f"{text!r} is not name=value", param_hint="--attr")
    if value in {"true", "false"}:
        return name, value == "true"
    try:
        return name, int(value)
    except ValueError:
        return name, value


def _location(lat: float | None, lon: float | None) -> Location | None:
    if (lat is None) != (lon is None):
        raise typer.BadParameter("give --lat and --lon together")
    return None if lat is None or lon is None else Location(lat, lon)


def asset_line(asset: Asset) -> str:
    where = "-" if asset.location is None else f"{asset.location.lat},{asset.location.lon}"
    attrs = " ".join(f"{name}={value}" for name, value in asset.attributes)
    return (
        f"{asset.id}  {asset.kind}  {asset.name!r}  {asset.status.value}  v{asset.version}"
        f"  at {where}  {asset.owner}" + (f"  {attrs}" if attrs else "")
    )


@asset_app.command("register")
def register(
    kind: Annotated[str, typer.Option(help="What its orders trade (energy, telco:cell...).")],
    name: Annotated[str, typer.Option(help="What you call it.")],
    lat: Annotated[float | None, typer.Option(help="Latitude, degrees.")] = None,
    lon: Annotated[float | None, typer.Option(help="Longitude, degrees.")] = None,
    attr: AttrOption = None,
    idempotency_key: Annotated[
        str | None, typer.Option(help="A retry with the same key registers nothing new.")
    ] = None,
    home: HomeOption = DEFAULT_HOME,
    url: UrlOption = DEFAULT_URL,
) -> None:
    """Register an asset you own; prints it with its new id (orders name it by that id)."""
    pairs = dict(parse_attribute(text) for text in attr or [])
    terms = AssetTerms(kind, name, _location(lat, lon), attributes(pairs))
    with market_client(home, url) as client:
        outcome = client.register_asset(terms, idempotency_key=idempotency_key)
    typer.echo(asset_line(outcome.asset) + ("  (replayed)" if outcome.replayed else ""))


@asset_app.command("list")
def list_assets(
    kind: Annotated[str | None, typer.Option(help="Only this kind.")] = None,
    owner: Annotated[str | None, typer.Option(help="Only this participant's.")] = None,
    status: Annotated[str, typer.Option(help="active, disabled, removed or any.")] = "active",
    limit: Annotated[int, typer.Option(min=1, max=500)] = 100,
    url: UrlOption = DEFAULT_URL,
) -> None:
    """Registered assets (public), oldest first."""
    with market_client(None, url) as client:
        found = client.assets(kind=kind, owner=owner, status=status, limit=limit)
    for asset in found:
        typer.echo(asset_line(asset))


@asset_app.command("show")
def show(asset_id: str, url: UrlOption = DEFAULT_URL) -> None:
    """One asset, whatever its status."""
    with market_client(None, url) as client:
        typer.echo(asset_line(client.asset(asset_id)))


@asset_app.command("remove")
def remove(asset_id: str, home: HomeOption = DEFAULT_HOME, url: UrlOption = DEFAULT_URL) -> None:
    """Retire one of your assets for good (cancel the orders naming it first)."""
    with market_client(home, url) as client:
        typer.echo(asset_line(client.remove_asset(asset_id)))
