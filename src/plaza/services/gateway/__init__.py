"""``plaza service gateway``: an existing HTTP API sold per request, through a 402 offer.

The gateway (:func:`create_gateway_app`, :class:`GatewayDesk`) answers an unpaid
request with a signed offer bound to it (:mod:`plaza.services.offers`), forwards a
request whose proof names an open hold paying that offer (once), and releases or
refunds the hold by the upstream's status; :func:`paid_request` is the client's side.
"""

from __future__ import annotations

from plaza.services.gateway.app import create_gateway_app
from plaza.services.gateway.book import GatewayBook
from plaza.services.gateway.client import PaidAnswer, paid_request
from plaza.services.gateway.desk import GatewayDesk, ProofRefused

__all__ = [
    "GatewayBook",
    "GatewayDesk",
    "PaidAnswer",
    "ProofRefused",
    "create_gateway_app",
    "paid_request",
]
