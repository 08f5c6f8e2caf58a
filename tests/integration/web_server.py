"""The web app behind a real uvicorn server on loopback, over a real node and a real book.

:func:`web_book` fills an in-memory book of the one market (``BidManager``) with
listings of two kinds (energy's, with its units, and an unregistered one under
the market's generic rules) on both sides, at known prices and times;
:func:`serve_web_app` serves :func:`plaza.web.create_web_app` over it and the node
with a fixed twin for one listing, as the browser tests and the HTTP tests use it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from plaza.api.serving import ThreadedServer
from plaza.bootstrap import SystemClock
from plaza.clients.node import NodeClient
from plaza.clock import Clock
from plaza.crypto.passwords import FAST_FOR_TESTS
from plaza.market.accounts import (
    AccountKeys,
    AccountService,
    LoginPolicy,
    MemoryAccountStore,
    MemorySessionStore,
    MemoryWalletBackupStore,
    WalletBackups,
)
from plaza.market.auth import ApiKeyService, MemoryApiKeyStore, MemoryParticipantStore, Pepper
from plaza.market.book.memory import MemoryBookStore
from plaza.market.book.service import BidManager
from plaza.market.model import Location, NewOrder, Order, Side
from plaza.verticals import registry
from plaza.web import TwinCheck, TwinState, Verification, WebSources, create_web_app
from plaza.web.oidc import OidcClient, OidcProvider
from plaza.web.sessions import WebAccounts
from plaza.web.tiles import TileServer

HOUR_MS = 3_600_000
#: How many listings :func:`web_book` makes: enough for three pages of ten.
LISTINGS = 24
TRONDHEIM = Location(63.4305, 10.3951)
OSLO = Location(59.9139, 10.7522)
#: Every third listing has a place: alternately near Trondheim and in Oslo (490 km apart).
PLACED = {number: (TRONDHEIM if number % 2 else OSLO) for number in range(0, LISTINGS, 3)}


class FixedTwins:
    """The first listing has a twin of two states, the one whose message it is given; the
    others have none."""

    def __init__(self, order_id: str, message_id: str) -> None:
        self.order_id = order_id
        self.message_id = message_id

    def states(self, order: Order) -> Sequence[TwinState] | None:
        if order.id != self.order_id:
            return None
        return (
            TwinState("offer received", "solar-roof", position=0, message_id=self.message_id),
            TwinState("contract: match made", "marketplace", position=1),
        )

    def verify(self, order: Order) -> Verification | None:
        """The first listing's twin holds; its second state is not confirmed yet."""
        if order.id != self.order_id:
            return None
        unconfirmed = ("state 1 (message 00ff) is unconfirmed",)
        return Verification(
            (
                TwinCheck("the offer's twin", "solar-roof", 1, 1),
                TwinCheck("the contract's twin", "the marketplace", 1, 0, unconfirmed),
            )
        )


def web_book() -> BidManager:
    """A book with energy offers and requests at prices 10..33 and a few of another kind,
    none of which match (every request's limit is under every offer's price); the listings
    of :data:`PLACED` have a place (``ord-<n+1>`` is number n)."""
    clock = SystemClock()
    book = BidManager(MemoryBookStore(), clock=clock, policy="cda", kinds=registry.kinds())
    now = clock.now_ms()
    for number in range(LISTINGS):
        side = Side.OFFER if number % 2 == 0 else Side.REQUEST
        kind = "energy" if number % 6 else "widgets"
        price = 20 + number if side is Side.OFFER else number
        book.submit_order(
            NewOrder(
                side=side,
                owner=f"device-{number}",
                kind=kind,
                quantity=1_500 + number * 100,
                unit_price=price,
                valid_from_ms=now - HOUR_MS,
                valid_until_ms=now + 2 * HOUR_MS,
                location=PLACED.get(number),
            )
        )
    return book


@dataclass
class RunningWeb:
    url: str
    book: BidManager
    twins: FixedTwins
    accounts: WebAccounts | None = None


def memory_accounts(
    clock: Clock,
    *,
    providers: Sequence[OidcProvider] = (),
    policy: LoginPolicy | None = None,
    oidc_clock: Clock | None = None,
) -> WebAccounts:
    """Accounts in memory (passwords hashed at the least cost), with an OIDC client for
    ``providers`` (on ``oidc_clock``, else ``clock``: ID tokens carry real times, so a test
    that moves ``clock`` gives it the system's); close ``.oidc`` afterwards."""
    participants = MemoryParticipantStore()
    service = AccountService(
        MemoryAccountStore(),
        MemorySessionStore(),
        participants,
        clock,
        policy=policy,
        hasher=FAST_FOR_TESTS,
    )
    keys = ApiKeyService(MemoryApiKeyStore(participants), participants, Pepper.generate(), clock)
    oidc = OidcClient(providers, oidc_clock or clock) if providers else None
    backups = WalletBackups(MemoryWalletBackupStore(), clock)
    return WebAccounts(service, AccountKeys(keys, participants), backups=backups, oidc=oidc)


@contextmanager
def serve_web_app(
    node_url: str,
    message_id: str,
    *,
    accounts: WebAccounts | None = None,
    market_url: str | None = None,
    tiles: TileServer | None = None,
) -> Iterator[RunningWeb]:
    """Serve the web app over a fresh :func:`web_book` and the node at ``node_url``; the first
    listing's twin names ``message_id``; with ``accounts``, the account pages too; with
    ``market_url``, the dashboard relays its signed requests to that marketplace; with
    ``tiles``, the maps load their tiles from that server."""
    book = web_book()
    twins = FixedTwins(book.orders()[0].id, message_id)
    with NodeClient(node_url) as node:
        apis = {"node API": node_url}
        sources = WebSources(book=book, node=node, twins=twins, apis=apis, market_url=market_url)
        chosen = registry.verticals()
        app = create_web_app(sources, verticals=chosen, accounts=accounts, tiles=tiles)
        with ThreadedServer(app) as server:
            yield RunningWeb(server.url, book, twins, accounts)
