"""The web app, composed: over the energy stack for ``plaza demo``, or any book and node.

The demo's public book is the energy bid manager's order book: the one market's
:class:`~plaza.market.book.service.BidManager`, where every offer and request of the
demo's devices rests (with energy's kind and units); the demo runs no second,
generic marketplace, and the energy backend's own records are the same bids with
their seed states, which is what each listing's twin shows
(:class:`EnergyTwins`). Another deployment hands :func:`serve_web` its own book
(``MarketRuntime.services.marketplace``'s) the same way.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from plaza.api.serving import ThreadedServer, bind_listener
from plaza.clients.node import NodeClient
from plaza.energy.backend.model import RecordEvent
from plaza.energy.backend.ports import MarketplaceStore
from plaza.energy.bidmanager.ports import BidStore
from plaza.energy.model import TransactionType
from plaza.market.model import Order
from plaza.verticals import Vertical, registry
from plaza.web import PublicBook, TwinReader, TwinState, WebSources, create_web_app

__all__ = ["EnergyTwins", "serve_web"]

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


class EnergyTwins:
    """An energy listing's twin: the states its offer or request, and then its contract,
    went through at the marketplace backend, with where each landed on the twin."""

    def __init__(self, bids: BidStore, records: MarketplaceStore) -> None:
        self._bids = bids
        self._records = records

    def states(self, order: Order) -> Sequence[TwinState] | None:
        bid = self._bids.bid_for_order(order.id)
        if bid is None:
            return None
        side = TransactionType(str(bid.bid.side))
        record = self._records.transaction(side, bid.bid.transaction_id)
        if record is None:
            return None
        states = [_state(event) for event in self._records.events(record.record_id)]
        if record.contract_id:
            contract = self._records.events(record.contract_id)
            states += [_state(event, "contract: ") for event in contract]
        return states


def serve_web(
    book: PublicBook,
    node_url: str,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    twins: TwinReader | None = None,
    apis: Mapping[str, str] | None = None,
    verticals: Sequence[Vertical] | None = None,
) -> tuple[ThreadedServer, NodeClient]:
    """The web app over ``book`` and the node at ``node_url``, ready to enter (``with``) on
    ``host:port`` (0: any free port; an ``OSError`` when taken). Close the client after."""
    node = NodeClient(node_url)
    sources = WebSources(book=book, node=node, twins=twins, apis=dict(apis or {}))
    chosen = registry.verticals() if verticals is None else tuple(verticals)
    app = create_web_app(sources, verticals=chosen)
    try:
        server = ThreadedServer(app, listener=bind_listener(host, port))
    except OSError:
        node.close()
        raise
    return server, node
