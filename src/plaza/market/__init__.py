"""The generic marketplace: assets, offers and requests, matching, contracts, settlement, audit.

This package's core is the bid manager. Start at :mod:`plaza.market.service`
(:class:`BidManager`, the use cases), :mod:`plaza.market.model` (the values),
:mod:`plaza.market.errors` (why a command is refused) and
:mod:`plaza.market.ports` (what it needs: a :class:`BookStore`, twins, assets,
a clock). Matching policies are in :mod:`plaza.market.matching`.

::

    manager = BidManager(MemoryBookStore(), clock=clock, policy="cda")
    offer = NewOrder(Side.OFFER, "alice", "energy", quantity=200, unit_price=15,
                     valid_from_ms=start, valid_until_ms=end)
    manager.submit_order(offer, idempotency_key="offer-1")
"""

# The marketplace around the book: contracts, twins on the ledger, audit, payments.
from plaza.market.assets import AssetChange, AssetQuery
from plaza.market.audit import Auditor
from plaza.market.audit_model import AuditReport
from plaza.market.book import OrderBook
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
from plaza.market.journal import (
    BookEvent,
    ChangeReason,
    JournalEntry,
    OrderAccepted,
    OrderChange,
    OrderMatched,
    OrderStatusChanged,
)
from plaza.market.ledger_payments import LedgerPayments
from plaza.market.marketplace import Marketplace, OrderOutcome
from plaza.market.matching import POLICIES, MatchingPolicy, policy_named
from plaza.market.memory import (
    MemoryAssetDirectory,
    MemoryAssetTwins,
    MemoryBookStore,
    MemoryOrderTwins,
)
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
from plaza.market.ports import (
    AssetDirectory,
    AssetListener,
    AssetTwins,
    BookStore,
    Clock,
    OrderTwins,
)
from plaza.market.service import AssetRegistration, BidManager, Submission
from plaza.market.twins import ChannelTwins
from plaza.market.views import BookStatistics, OrderQuery, Suggestion

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
