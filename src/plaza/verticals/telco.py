"""The telco assets vertical (issue 14), registered like any other.

Its kinds (:mod:`plaza.telco.kind`: one per asset type, ``telco:cell_site`` and
so on, under the manual policy) are what the market applies to telco assets and
orders; its API is TM Forum shaped, under ``/api/v1/market/telco/tmf-api/...``:
TMF639 resources (:mod:`plaza.verticals.telco_catalog`), TMF620 product
offerings with the service providers' requests beside them, and TMF622 product
ordering with its hub (:mod:`plaza.verticals.telco_ordering`), an order checked
against the orders channel (:mod:`plaza.verticals.telco_channel`), TMF635 usage of the
assets (:mod:`plaza.verticals.telco_usage`), each API with its own OpenAPI document
(:mod:`plaza.verticals.telco_openapi`); ``plaza telco
orchestrator`` (:mod:`plaza.telco.commands`) configures access for its orders. ``docs/telco.md``
says how it fits together.
"""

from __future__ import annotations

from plaza.telco.commands import telco_app
from plaza.telco.kind import KINDS
from plaza.telco.orchestrator import Orchestrator
from plaza.verticals.model import Units, Vertical
from plaza.verticals.telco_catalog import router as catalog
from plaza.verticals.telco_channel import router as channel
from plaza.verticals.telco_openapi import router as documents
from plaza.verticals.telco_ordering import router as ordering
from plaza.verticals.telco_pages import pages
from plaza.verticals.telco_runtime import lifecycle
from plaza.verticals.telco_usage import router as usage

__all__ = ["vertical"]

vertical = Vertical(
    name="telco",
    summary="Telco assets by the window, paid for delivery through held payments.",
    kinds=KINDS,
    routers=(catalog, ordering, channel, usage, documents, lifecycle),
    commands=telco_app,
    pages=pages,
    agents={"orchestrator": Orchestrator},
    units={
        spec.kind: Units(quantity="windows", price="coins per window", one="window")
        for spec in KINDS
    },
)
