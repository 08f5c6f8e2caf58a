"""The web app, composed: over the energy stack for ``plaza demo``, or any book and node.

The demo's public book is the energy bid manager's order book: the one market's
:class:`~plaza.market.book.service.BidManager`, where every offer and request of the
demo's devices rests (with energy's kind and units); the energy backend's own
records are the same bids with their seed states, which is what each listing's twin
shows (:class:`EnergyTwins`). The one market's HTTP API the demo also serves is the
dashboard's (``market_url``): people trade there from their browsers, and the other
verticals list there (services, the sensors' standing offers, telco), so the demo's
public book joins the two (:class:`JoinedBook`, :class:`MarketListings`). Another
deployment hands :func:`serve_web` its own book (``MarketRuntime.services.marketplace``'s)
the same way.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any, Protocol

from plaza.api.serving import ThreadedServer, bind_listener
from plaza.clients.node import NodeClient
from plaza.energy.backend.model import ContractAudit, RecordEvent, TransactionRecord
from plaza.energy.backend.ports import MarketplaceStore
from plaza.energy.bidmanager.model import transaction_of
from plaza.energy.errors import EnergyError
from plaza.energy.model import TransactionStatus, TransactionType
from plaza.energy.owner.images import DeviceImage
from plaza.energy.owner.service import OwnerModule
from plaza.market.book.views import OrderQuery
from plaza.market.errors import OrderNotFound
from plaza.market.marketplace import Marketplace
from plaza.market.model import Location, Order
from plaza.market.twins.records import TwinAudit
from plaza.verticals import Vertical, registry
from plaza.web import (
    AuditedContract,
    AuditReader,
    CheckedState,
    PublicBook,
    TwinCheck,
    TwinReader,
    TwinState,
    Verification,
    WebSources,
    create_web_app,
)
from plaza.web.sessions import WebAccounts
from plaza.web.tiles import TileServer

__all__ = [
    "EnergyAuditor",
    "EnergyAudits",
    "EnergyTwins",
    "JoinedBook",
    "MarketListings",
    "OwnerDesk",
    "PlacedBook",
    "place_of",
    "serve_web",
]

_DIRECTION = {"in": "received", "out": "sent", "own": "made"}


def _state(event: RecordEvent, prefix: str = "") -> TwinState:
    what = event.path.strip("/") or "state"
    label = f"{prefix}{what} {_DIRECTION.get(event.direction, event.direction)}"
    return TwinState(
        label=label,
        party=event.party,
        position=event.twin_position,
        on_twin=event.on_twin,
        fields=event.state,
    )


def _check(twin: str, signer: str, audit: TwinAudit, *, read: bool = False) -> TwinCheck:
    """The audit of one twin for a page; with ``read``, its states too (auditors only)."""
    confirmed = sum(1 for entry in audit.entries if entry.confirmed)
    states = tuple(
        CheckedState(e.position, e.message_id, e.confirmed, e.state) for e in audit.entries
    )
    return TwinCheck(
        twin, signer, len(audit.entries), confirmed, audit.problems, states if read else ()
    )


def _contract_checks(
    audit: ContractAudit, provider: str, consumer: str, *, read: bool = False
) -> Verification:
    return Verification(
        (
            _check("the contract's twin", "the marketplace", audit.contract, read=read),
            _check("the offer's twin", f"asset {provider}", audit.provider, read=read),
            _check("the request's twin", f"asset {consumer}", audit.consumer, read=read),
        )
    )


class EnergyAudits(Protocol):
    """The marketplace backend's audits (:class:`plaza.energy.backend.EnergyMarketplace`)."""

    def audit(self, contract_id: str) -> ContractAudit: ...

    def audit_transaction(self, side: TransactionType, transaction_id: str) -> TwinAudit: ...

    def contract_status(self, contract_id: str) -> TransactionStatus: ...


class EnergyTwins:
    """An energy listing's twin: the states its offer or request, and then its contract,
    went through at the marketplace backend, with where each landed on the twin; and the
    marketplace's audit of those twins, for the listing's "verify"."""

    def __init__(self, bids: PublicBook, records: MarketplaceStore, audits: EnergyAudits) -> None:
        self._bids = bids
        self._records = records
        self._audits = audits

    def _record(self, order: Order) -> TransactionRecord | None:
        try:  # the bid the book's order carries the seed fields of
            transaction = transaction_of(self._bids.order(order.id))
        except OrderNotFound:
            return None
        return None if transaction is None else self._records.transaction(*transaction)

    def states(self, order: Order) -> Sequence[TwinState] | None:
        record = self._record(order)
        if record is None:
            return None
        states = [_state(event) for event in self._records.events(record.record_id)]
        if record.contract_id:
            contract = self._records.events(record.contract_id)
            states += [_state(event, "contract: ") for event in contract]
        return states

    def verify(self, order: Order) -> Verification | None:
        """Its own twin alone while unmatched; once contracted, the contract's twin and both
        parties' (the provider's offer, the consumer's request)."""
        record = self._record(order)
        if record is None:
            return None
        side = record.first.type
        try:
            if not record.contract_id:
                audit = self._audits.audit_transaction(side, record.first.id)
                owner = f"asset {record.first.owner}"
                return Verification((_check(f"the {side}'s twin", owner, audit),))
            contract = self._audits.audit(record.contract_id)
        except EnergyError as error:
            return Verification((TwinCheck(f"the {side}'s twin", "", 0, 0, (error.message,)),))
        made = self._records.contract(record.contract_id)
        assert made is not None  # the audit found it
        terms = made.contract
        return _contract_checks(contract, terms.offer.providerId, terms.request.requesterId)


class EnergyAuditor:
    """The demo's contracts as auditors read them: the marketplace backend's records, each
    contract's twins audited by the backend and shown with their decrypted states."""

    def __init__(self, records: MarketplaceStore, audits: EnergyAudits) -> None:
        self._records = records
        self._audits = audits

    def contracts(self, *, limit: int) -> Sequence[AuditedContract]:
        return [
            AuditedContract(
                c.contract_id,
                c.provider,
                c.consumer,
                c.created_ms,
                str(self._audits.contract_status(c.contract_id)),
            )
            for c in self._records.contracts(limit=limit)
        ]

    def audit(self, contract_id: str) -> Verification | None:
        made = self._records.contract(contract_id)
        if made is None:
            return None
        try:
            audit = self._audits.audit(contract_id)
        except EnergyError as error:
            return Verification((TwinCheck("the contract's twin", "", 0, 0, (error.message,)),))
        terms = made.contract
        return _contract_checks(audit, terms.offer.providerId, terms.request.requesterId, read=True)


class OwnerDesk:
    """The energy user module as the web dashboard uses it (``EnergyOwners`` of
    :mod:`plaza.verticals.energy_dashboard`), with which owner each account is: ``ids``,
    account email to owner id, filled in by whoever onboards the owners (``plaza demo``)."""

    def __init__(self, module: OwnerModule) -> None:
        self._module = module
        self.ids: dict[str, str] = {}

    def owner_id_of(self, email: str) -> str | None:
        return self.ids.get(email)

    def owner_wallet(self, owner_id: str) -> dict[str, Any]:
        return self._module.owner_wallet(owner_id)

    def devices(self, owner_id: str) -> list[dict[str, Any]]:
        return self._module.devices(owner_id)

    def device_overview(self, owner_id: str, device_id: str) -> dict[str, Any]:
        overview = self._module.device_overview(owner_id, device_id)
        return {**overview, "hasImage": self._module.images.get(owner_id, device_id) is not None}

    def pause_device(self, owner_id: str, device_id: str) -> object:
        return self._module.pause_device(owner_id, device_id)

    def continue_device(self, owner_id: str, device_id: str) -> object:
        return self._module.continue_device(owner_id, device_id)

    def withdraw(self, owner_id: str, address: object, amount: object) -> object:
        return self._module.withdraw(owner_id, address, amount)

    def delete_device(self, owner_id: str, device_id: str) -> None:
        self._module.delete_device(owner_id, device_id)

    def update_device(self, owner_id: str, device_id: str, changes: dict[str, Any]) -> object:
        return self._module.update_device(owner_id, device_id, changes)

    def device_transactions(
        self, owner_id: str, device_id: str, *, status: str | None, search: str | None, page: int
    ) -> dict[str, Any]:
        found = self._module.device_transactions(
            owner_id, device_id, status=status, search=search, page=page
        )
        return found.to_json()

    def transaction_twin(
        self, owner_id: str, device_id: str, transaction_id: str
    ) -> dict[str, Any]:
        return self._module.transaction_twin(owner_id, device_id, transaction_id)

    def add_device(self, owner_id: str, form: dict[str, Any], image: bytes | None) -> object:
        picture = None if image is None else DeviceImage.of(image)  # refused before /init
        device = self._module.add_device(owner_id, form)
        if picture is not None:
            self._module.images.put(owner_id, device.id, picture)
        return device

    def device_image(self, owner_id: str, device_id: str) -> tuple[str, bytes] | None:
        found = self._module.images.get(owner_id, device_id)
        return None if found is None else (found.media_type, found.data)

    def set_device_image(self, owner_id: str, device_id: str, image: bytes | None) -> None:
        picture = None if image is None else DeviceImage.of(image)
        self._module.images.put(owner_id, device_id, picture)

    def allowances(self, owner_id: str) -> list[dict[str, Any]]:
        return self._module.allowances.allowances(owner_id)

    def grant_allowance(self, owner_id: str, cap: object, address: object) -> object:
        return self._module.allowances.grant(owner_id, cap, address)

    def revoke_allowance(self, owner_id: str, allowance_id: str) -> object:
        return self._module.allowances.revoke(owner_id, allowance_id)


_PLACE = re.compile(r"\((-?\d{1,2}(?:\.\d+)?),\s*(-?\d{1,3}(?:\.\d+)?)\)\s*$")


def place_of(location: str) -> Location | None:
    """Where a seed location text says, when it ends with ``(lat, lon)``: ``Trondheim
    (63.4305, 10.3951)``. A town's name alone names no point."""
    found = _PLACE.search(location)
    if found is None:
        return None
    lat, lon = float(found.group(1)), float(found.group(2))
    return Location(lat, lon) if -90 <= lat <= 90 and -180 <= lon <= 180 else None


class PlacedBook:
    """The energy bid manager's book with each listing placed where its asset said it is
    (its registration's ``location``): the seed's bids carry no place of their own."""

    def __init__(self, book: PublicBook, records: MarketplaceStore) -> None:
        self._book = book
        self._records = records

    def _placed(self, order: Order) -> Order:
        if order.location is not None:
            return order
        asset = self._records.asset(order.owner)
        place = None if asset is None else place_of(asset.location)
        return order if place is None else replace(order, location=place)

    def orders(self) -> list[Order]:
        return [self._placed(order) for order in self._book.orders()]

    def order(self, order_id: str) -> Order:
        return self._placed(self._book.order(order_id))


class MarketListings:
    """The one market's open listings (every vertical's) as the web app reads a book."""

    def __init__(self, marketplace: Marketplace, *, limit: int = 10_000) -> None:
        self._marketplace = marketplace
        self._limit = limit

    def orders(self) -> list[Order]:
        return self._marketplace.search(OrderQuery(limit=self._limit))

    def order(self, order_id: str) -> Order:
        return self._marketplace.order(None, order_id)


class JoinedBook:
    """Several books read as one public marketplace, oldest listing first: the demo's energy
    bid manager's and the one market's, where the other verticals list."""

    def __init__(self, *books: PublicBook) -> None:
        self._books = books

    def orders(self) -> list[Order]:
        listed = [order for book in self._books for order in book.orders()]
        return sorted(listed, key=lambda order: order.accepted_at_ms)

    def order(self, order_id: str) -> Order:
        for book in self._books:
            try:
                return book.order(order_id)
            except OrderNotFound:
                continue
        raise OrderNotFound(order_id)


def serve_web(
    book: PublicBook,
    node_url: str,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    twins: TwinReader | None = None,
    audits: AuditReader | None = None,
    apis: Mapping[str, str] | None = None,
    verticals: Sequence[Vertical] | None = None,
    accounts: WebAccounts | None = None,
    market_url: str | None = None,
    tiles: TileServer | None = None,
    vertical_services: Mapping[str, object] | None = None,
) -> tuple[ThreadedServer, NodeClient]:
    """The web app over ``book`` and the node at ``node_url``, ready to enter (``with``) on
    ``host:port`` (0: any free port; an ``OSError`` when taken), with the account pages
    over ``accounts`` if given, the dashboard trading at the marketplace API at
    ``market_url``, and the maps' tiles from ``tiles``. Close the client after."""
    node = NodeClient(node_url)
    sources = WebSources(
        book=book,
        node=node,
        twins=twins,
        apis=dict(apis or {}),
        audits=audits,
        market_url=market_url,
        vertical_services=dict(vertical_services or {}),
    )
    chosen = registry.verticals() if verticals is None else tuple(verticals)
    app = create_web_app(sources, verticals=chosen, accounts=accounts, tiles=tiles)
    try:
        server = ThreadedServer(app, listener=bind_listener(host, port))
    except OSError:
        node.close()
        raise
    return server, node
