"""A service as a listing of the one marketplace: a standing offer of kind ``service``.

A provider given a marketplace keeps one open offer there for its service, so the
service is found where every vertical's goods are: on the public marketplace page
(``/market?vertical=service``) and by search (its name, its channel). The offer
is the service's description as the market reads it::

    kind       = "service"              (plaza.services.kind)
    quantity   = OFFER_CALLS            (calls; renewed when it runs low)
    unit_price = the price per call
    attributes = {"service": name, "channel": the provider's channel id}

The calls themselves are not the market's contracts: each is paid by its own hold
(docs/protocol.md, "Calls"). A new description (another price, another title) makes
a new offer and cancels the old; a retired service's offer is cancelled and no other
is made. What was offered is kept in the provider's book (``offer``, ``offered``),
so a restarted provider keeps the offer it has.
"""

from __future__ import annotations

import hashlib
import logging
from contextlib import suppress
from typing import Protocol

from plaza.clients.errors import ConflictError, NotFoundError
from plaza.clients.market import MarketClient, OrderTerms
from plaza.market.auth import Role
from plaza.market.model import OrderStatus, attributes
from plaza.services.description import ServiceDescription
from plaza.services.kind import CHANNEL, SERVICE, SERVICE_NAME

__all__ = ["OFFER_CALLS", "OFFER_VALIDITY_MS", "FactBook", "keep_listed", "service_offer"]

log = logging.getLogger(__name__)

#: Calls a standing offer lists; renewed when fewer than a tenth are left.
OFFER_CALLS = 1_000_000
#: How long a standing offer is valid (a year); renewed like any when it ends.
OFFER_VALIDITY_MS = 365 * 86_400_000


class FactBook(Protocol):
    """Where the provider keeps what it offered (its :class:`ProviderBook`)."""

    def fact(self, name: str) -> str | None: ...

    def set_fact(self, name: str, value: str) -> None: ...


def service_offer(description: ServiceDescription, channel_id: str, now_ms: int) -> OrderTerms:
    """The offer that lists ``description`` in the marketplace from ``now_ms``."""
    named = attributes({SERVICE_NAME: description.name, CHANNEL: channel_id})
    return OrderTerms(
        SERVICE.kind,
        OFFER_CALLS,
        description.price,
        now_ms,
        now_ms + OFFER_VALIDITY_MS,
        attributes=named,
    )


def keep_listed(
    market: MarketClient,
    book: FactBook,
    description: ServiceDescription,
    channel_id: str,
    now_ms: int,
) -> str | None:
    """Keep ``description`` listed: the id of its open offer (the known one while it is
    open, lists this very description and has not run low, else a new one), or None for
    a retired service, whose offer is cancelled."""
    digest = hashlib.blake2b(description.encode(), digest_size=16).hexdigest()
    known = book.fact("offer") or None
    if known is not None and book.fact("offered") == digest and _still_open(market, known):
        return known
    if known is not None:
        _cancel(market, known)
        book.set_fact("offer", "")
    if description.retired:
        return None
    _ensure_provider(market, description.title)
    offer = market.offer(service_offer(description, channel_id, now_ms)).order.id
    book.set_fact("offer", offer)
    book.set_fact("offered", digest)
    log.info("service %s is listed in the marketplace: %s", description.name, offer)
    return offer


def _still_open(market: MarketClient, order_id: str) -> bool:
    try:
        order = market.order(order_id)
    except NotFoundError:
        return False
    return order.status is OrderStatus.ACTIVE and order.remaining > OFFER_CALLS // 10


def _cancel(market: MarketClient, order_id: str) -> None:
    with suppress(NotFoundError, ConflictError):  # gone already, or no longer open
        market.cancel(order_id)


def _ensure_provider(market: MarketClient, name: str) -> None:
    try:
        market.register(name[:100].strip(), roles=(Role.PROVIDER,))
    except ConflictError as error:
        if error.code != "participant_exists":
            raise
