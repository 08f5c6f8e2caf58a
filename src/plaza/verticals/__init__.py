"""Verticals: energy, data streams, pay-per-call services, telco assets, as plugins.

A vertical is a :class:`Vertical` registered in :data:`registry`, through the
``plaza.verticals`` entry-point group (the built-in energy vertical too). Its
kinds' rules, prices, policies and hooks are the market's
(:mod:`plaza.market.kinds`); its routes, commands, pages and demo agents are
mounted by the API, ``plaza`` and the web. ``docs/verticals.md`` says how to
add one.
"""

from plaza.verticals.errors import InvalidVertical, VerticalConflict, VerticalError
from plaza.verticals.model import Agent, Units, Vertical, VerticalPages
from plaza.verticals.plugins import ENTRY_POINT_GROUP, VerticalRegistry, registry

__all__ = [
    "ENTRY_POINT_GROUP",
    "Agent",
    "InvalidVertical",
    "Units",
    "Vertical",
    "VerticalConflict",
    "VerticalError",
    "VerticalPages",
    "VerticalRegistry",
    "registry",
]
