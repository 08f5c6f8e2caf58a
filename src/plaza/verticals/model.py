"""What a vertical declares: its kinds for the market, and its interface parts.

A :class:`Vertical` is a value; nothing in it runs until the marketplace,
``plaza`` or the web mounts it. The domain half of each kind is a
:class:`~plaza.market.kinds.KindSpec` (rules, price, policy, hooks), which the
market consults without knowing the vertical; the rest is interface: API
routers, a Typer app of commands, web pages, demo agents.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import typer
from fastapi import APIRouter

from plaza.market.kinds import KindSpec
from plaza.verticals.errors import InvalidVertical

__all__ = ["NAME", "Agent", "Units", "Vertical", "VerticalPages", "check_vertical"]

#: A vertical's name: a ``plaza`` command and a URL path segment.
NAME = re.compile(r"[a-z][a-z0-9-]{0,31}")

#: A demo agent: a callable ``plaza demo`` (or a test) may start, with its own arguments.
Agent = Callable[..., object]


@dataclass(frozen=True, slots=True)
class Units:
    """How a person reads a kind's numbers: what ``quantity`` counts and what ``unit_price``
    is the price of. ``larger`` is a bigger unit and how many of ``quantity`` make one
    (``("kWh", 1000)`` for watt-hours), shown beside quantities of at least one of it.
    ``one`` is the quantity's name for a single one where it differs ("1 window", not
    "1 windows"); symbols such as Wh have none."""

    quantity: str = "units"
    price: str = "coins per unit"
    larger: tuple[str, int] | None = None
    one: str | None = None

    def show_quantity(self, amount: int) -> str:
        """``12,500 Wh (12.5 kWh)``: the unit, and the larger one beside it when it fits."""
        name = self.one if amount == 1 and self.one is not None else self.quantity
        text = f"{amount:,} {name}"
        if self.larger is not None and amount >= self.larger[1]:
            name, size = self.larger
            larger = f"{amount / size:,.3f}".rstrip("0").rstrip(".")
            text += f" ({larger} {name})"
        return text

    def show_price(self, unit_price: int) -> str:
        """``20 coins per kWh``."""
        return f"{unit_price:,} {self.price}"


@dataclass(frozen=True, slots=True)
class VerticalPages:
    """A vertical's web pages, mounted by the web app (:mod:`plaza.web`): routes that render
    them, the directories of their templates (Jinja2, beside the app's own, so they may
    extend ``base.html``) and static files (served under ``/static/<vertical>/``), and
    ``nav``, the (label, path) links the app's navigation shows for them.

    On the logged-in dashboard (``/dashboard``), ``order_forms`` gives, by kind, the
    template of the fields a person fills in to offer or request that kind (the page
    wraps them in its form and signs the order in the browser), and ``dashboard`` the
    templates of the vertical's own sections, shown below the market's."""

    routers: tuple[APIRouter, ...] = ()
    templates: tuple[Path, ...] = ()
    static: tuple[Path, ...] = ()
    nav: tuple[tuple[str, str], ...] = ()
    order_forms: tuple[tuple[str, str], ...] = ()
    dashboard: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Vertical:
    """One vertical: energy, sensor data streams, pay-per-call services, telco assets.

    * ``name``: how ``plaza`` and the API know it (``plaza <name>``,
      ``/api/v1/market/<name>/...``);
    * ``kinds``: the kinds of good it trades, each with its rules, price, policy
      and hooks (:mod:`plaza.market.kinds`); one vertical owns each kind;
    * ``routers``: API routes, mounted under ``/api/v1/market/<name>``; they may
      use the market's dependencies (``ServicesDep``, ``CallerDep``);
    * ``commands``: a Typer app, mounted as ``plaza <name>``;
    * ``pages``: called by the web app for the vertical's pages (None: it has none
      yet; the web issue fills these in);
    * ``agents``: callables ``plaza demo`` may start, by name (declared; the
      demo starts energy's own way for now);
    * ``units``: how pages print each of its kinds' quantities and prices, by kind
      (a kind not named reads as plain units and coins per unit).
    """

    name: str
    summary: str = ""
    kinds: tuple[KindSpec, ...] = ()
    routers: tuple[APIRouter, ...] = ()
    commands: typer.Typer | None = None
    pages: Callable[[], VerticalPages] | None = None
    agents: Mapping[str, Agent] = field(default_factory=dict)
    units: Mapping[str, Units] = field(default_factory=dict)


def check_vertical(vertical: object, source: str) -> Vertical:
    """``vertical`` if it is a well-formed :class:`Vertical`, else :class:`InvalidVertical`
    naming ``source`` (an entry point, or the caller)."""
    if not isinstance(vertical, Vertical):
        raise InvalidVertical(source, f"{type(vertical).__name__} is not a Vertical")
    if not NAME.fullmatch(vertical.name):
        raise InvalidVertical(vertical.name, f"its name must match {NAME.pattern}")
    kinds = [spec.kind for spec in vertical.kinds]
    if len(set(kinds)) != len(kinds):
        raise InvalidVertical(vertical.name, "it declares a kind twice")
    strangers = sorted(set(vertical.units) - set(kinds))
    if strangers:
        raise InvalidVertical(vertical.name, f"it gives units for kinds it lacks: {strangers}")
    return vertical
