"""What the web app reads, and from whom: the order book, the twins, the node.

The web app is an interface: it changes nothing. It reads the one market's book
(:class:`PublicBook`, which :class:`plaza.market.book.service.BidManager` is, in the
generic marketplace and in energy's bid manager alike), a listing's digital twin
when someone can show it (:class:`TwinReader`), and the ledger through a node's
HTTP API (:class:`plaza.clients.node.NodeClient`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from plaza.market.model import Order

__all__ = ["PublicBook", "TwinReader", "TwinState"]


class PublicBook(Protocol):
    """The book's read side."""

    def orders(self) -> list[Order]:
        """Every order ever accepted, oldest first."""
        ...

    def order(self, order_id: str) -> Order:
        """One order; :class:`plaza.market.errors.OrderNotFound` when there is none."""
        ...


@dataclass(frozen=True, slots=True)
class TwinState:
    """One state a listing went through, as its twin records it.

    ``label`` says what happened (``offer received``, ``contract sent``), ``party`` who
    sent or made it, ``position`` where it landed on the twin (None: not on it yet),
    ``on_twin`` whether it belongs there at all (a letter passed on may not) and
    ``message_id`` the ledger message carrying it, when known (hex)."""

    label: str
    party: str
    at_ms: int | None = None
    position: int | None = None
    on_twin: bool = True
    message_id: str | None = None
    fields: Mapping[str, Any] = field(default_factory=dict)


class TwinReader(Protocol):
    """A listing's digital twin, as far as this marketplace can show it to anyone."""

    def states(self, order: Order) -> Sequence[TwinState] | None:
        """Every state the order's twin holds, oldest first; None: it has no twin here."""
        ...
