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

__all__ = [
    "AuditReader",
    "AuditedContract",
    "CheckedState",
    "PublicBook",
    "TwinCheck",
    "TwinReader",
    "TwinState",
    "Verification",
]


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


@dataclass(frozen=True, slots=True)
class CheckedState:
    """One state read back from a twin: where it is, the message carrying it, whether a
    milestone confirms it, and what it says (decrypted: for auditors' eyes only)."""

    position: int
    message_id: str
    confirmed: bool
    fields: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class TwinCheck:
    """One twin read back from the ledger and held against what the marketplace recorded.

    ``twin`` names it for a person (``the offer's twin``), ``signer`` says whose signature
    every state on it must carry, ``states`` how many were read and checked, ``confirmed``
    how many of those a milestone confirms, ``problems`` what did not hold, in words."""

    twin: str
    signer: str
    states: int
    confirmed: int
    problems: tuple[str, ...] = ()
    read: tuple[CheckedState, ...] = ()  # the states themselves, in an auditor's view only

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True, slots=True)
class Verification:
    """Every twin behind a listing, checked against the ledger: ok only if each one is."""

    checks: tuple[TwinCheck, ...]

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)


class TwinReader(Protocol):
    """A listing's digital twin, as far as this marketplace can show it to anyone."""

    def states(self, order: Order) -> Sequence[TwinState] | None:
        """Every state the order's twin holds, oldest first; None: it has no twin here."""
        ...

    def verify(self, order: Order) -> Verification | None:
        """Read the order's twins back from the ledger now and hold them against the record;
        None: it has no twin here. A ledger that cannot be read is a problem, not an error."""
        ...


@dataclass(frozen=True, slots=True)
class AuditedContract:
    """A contract in an auditor's list: who, when, and where it stands (in words)."""

    contract_id: str
    provider: str
    consumer: str
    created_ms: int
    status: str


class AuditReader(Protocol):
    """What auditors and operators read: every contract, and each one's twins, decrypted."""

    def contracts(self, *, limit: int) -> Sequence[AuditedContract]:
        """The newest contracts first."""
        ...

    def audit(self, contract_id: str) -> Verification | None:
        """The contract's twins read back from the ledger with their states; None: no such
        contract."""
        ...
