"""The pay-per-call services vertical (issue 13), registered like any other.

Its kind, ``service`` (:mod:`plaza.services.kind`: calls at a price per call, an
offer naming its service), is what the marketplace applies to ``service``
orders; ``plaza service`` runs a provider (``run``, ``status``) and calls one
(``call``, ``list``). The protocol of a call is ``docs/protocol.md``'s "Calls";
how to sell a function is ``docs/services.md``.
"""

from __future__ import annotations

from plaza.services.commands import service_app
from plaza.services.kind import SERVICE
from plaza.services.provider import ProviderAgent
from plaza.verticals.model import Units, Vertical
from plaza.verticals.services_pages import pages

__all__ = ["vertical"]

vertical = Vertical(
    name="service",
    summary="Pay-per-call services: paid by a hold, only for results delivered.",
    kinds=(SERVICE,),
    commands=service_app,
    pages=pages,
    agents={"provider": ProviderAgent},
    units={SERVICE.kind: Units(quantity="calls", price="coins per call", one="call")},
)
