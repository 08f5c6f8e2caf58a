"""The generic marketplace: assets, offers and requests, matching, contracts, settlement, audit.

This package's core is the bid manager. Start at :mod:`plaza.market.book.service`
(:class:`BidManager`, the use cases), :mod:`plaza.market.model` (the values),
:mod:`plaza.market.errors` (why a command is refused) and
:mod:`plaza.market.book.ports` (what it needs: a :class:`BookStore`, twins, and
:mod:`plaza.market.assets.ports` for assets). Around the book, one sub-package per
concept, each with the roles of :mod:`plaza.market.settlement` (``model``,
``ports``, ``service``, ``memory`` as they apply): :mod:`~plaza.market.book`,
:mod:`~plaza.market.assets`, :mod:`~plaza.market.twins`, :mod:`~plaza.market.audit`,
:mod:`~plaza.market.payments`, :mod:`~plaza.market.settlement`,
:mod:`~plaza.market.matching` (the policies) and :mod:`~plaza.market.auth`; the
facade over them is :mod:`plaza.market.marketplace`. This face exports their
ports, models and in-memory adapters.

::

    manager = BidManager(MemoryBookStore(), clock=clock, policy="cda")
    offer = NewOrder(Side.OFFER, "alice", "energy", quantity=200, unit_price=15,
                     valid_from_ms=start, valid_until_ms=end)
    manager.submit_order(offer, idempotency_key="offer-1")
"""

# The marketplace around the book: contracts, twins on the ledger, audit, payments.
from plaza.clock import Clock
from plaza.market.assets.memory import MemoryAssetDirectory, MemoryAssetTwins
from plaza.market.assets.model import AssetChange, AssetQuery
from plaza.market.assets.ports import AssetDirectory, AssetListener, AssetTwins
from plaza.market.audit.model import AuditReport
from plaza.market.audit.service import Auditor
from plaza.market.book.journal import (
    BookEvent,
    ChangeReason,
    JournalEntry,
    OrderAccepted,
    OrderChange,
    OrderMatched,
    OrderStatusChanged,
)
from plaza.market.book.memory import MemoryBookStore, MemoryOrderTwins
from plaza.market.book.order_book import OrderBook
from plaza.market.book.ports import BookStore, OrderTwins
from plaza.market.book.service import AssetRegistration, BidManager, Submission
from plaza.market.book.views import BookStatistics, OrderQuery, Suggestion
from plaza.market.contracts import ContractDesk, SignedContract
from plaza.market.errors import (
    AssetConflict,
    AssetInUse,
    AssetNotActive,
    AssetNotFound,
    BookStoreFailed,
    CorruptJournal,
    IdempotencyConflict,
    InvalidAsset,
    InvalidOrder,
    JournalConflict,
    MarketError,
    NotMatchable,
    NotOwner,
    OrderNotActive,
    OrderNotFound,
    SelfMatch,
    StoreFailed,
    TwinUnavailable,
    UnknownPolicy,
)
from plaza.market.marketplace import Marketplace, OrderOutcome
from plaza.market.matching import POLICIES, MatchingPolicy, policy_named
from plaza.market.model import (
    GREEN,
    NO_REQUIREMENTS,
    QUALITY,
    Asset,
    AssetEvent,
    AssetStatus,
    Attributes,
    Location,
    Match,
    NewAsset,
    NewOrder,
    Order,
    OrderStatus,
    Requirements,
    Side,
    attributes,
)
from plaza.market.payments.service import LedgerPayments
from plaza.market.twins.recorder import ChannelTwins

__all__ = [
    "GREEN",
    "NO_REQUIREMENTS",
    "POLICIES",
    "QUALITY",
    "Asset",
    "AssetChange",
    "AssetConflict",
    "AssetDirectory",
    "AssetEvent",
    "AssetInUse",
    "AssetListener",
    "AssetNotActive",
    "AssetNotFound",
    "AssetQuery",
    "AssetRegistration",
    "AssetStatus",
    "AssetTwins",
    "Attributes",
    "AuditReport",
    "Auditor",
    "BidManager",
    "BookEvent",
    "BookStatistics",
    "BookStore",
    "BookStoreFailed",
    "ChangeReason",
    "ChannelTwins",
    "Clock",
    "ContractDesk",
    "CorruptJournal",
    "IdempotencyConflict",
    "InvalidAsset",
    "InvalidOrder",
    "JournalConflict",
    "JournalEntry",
    "LedgerPayments",
    "Location",
    "MarketError",
    "Marketplace",
    "Match",
    "MatchingPolicy",
    "MemoryAssetDirectory",
    "MemoryAssetTwins",
    "MemoryBookStore",
    "MemoryOrderTwins",
    "NewAsset",
    "NewOrder",
    "NotMatchable",
    "NotOwner",
    "Order",
    "OrderAccepted",
    "OrderBook",
    "OrderChange",
    "OrderMatched",
    "OrderNotActive",
    "OrderNotFound",
    "OrderOutcome",
    "OrderQuery",
    "OrderStatus",
    "OrderStatusChanged",
    "OrderTwins",
    "Requirements",
    "SelfMatch",
    "Side",
    "SignedContract",
    "StoreFailed",
    "Submission",
    "Suggestion",
    "TwinUnavailable",
    "UnknownPolicy",
    "attributes",
    "policy_named",
]
