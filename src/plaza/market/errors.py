"""Why the marketplace refused a command.

Every refusal is its own class carrying the data a caller needs, and a stable
``code``; the API layer maps the classes to HTTP statuses in one table. A refused
command changes nothing: no order, no match, no journal entry.

    MarketError
    ├── InvalidOrder            the submitted order breaks a rule (reason says which)
    ├── InvalidAsset            the asset description breaks a rule
    ├── OrderNotFound           no order with this id
    ├── AssetNotFound           no asset with this id
    ├── OrderNotActive          the order's status forbids the command
    ├── AssetNotActive          the asset's status forbids the command (or an order naming it)
    ├── AssetInUse              open orders still name the asset it is asked to remove
    ├── AssetConflict           the asset store holds this asset or state already (a second writer)
    ├── NotOwner                the participant does not own the order or asset
    ├── SelfMatch               a manual match of two orders of one participant
    ├── NotMatchable            a manual match the prices, sides or filters forbid
    ├── IdempotencyConflict     a retried key came with a different order
    ├── UnknownPolicy           no matching policy by that name
    ├── DuplicateKind           two kind specs claim one kind (a vertical's mistake)
    ├── JournalConflict         the book store holds this step already (a second writer)
    ├── CorruptJournal          a stored journal entry cannot be read back
    ├── StoreFailed             a marketplace store could not read or write; a retry may work
    │   └── BookStoreFailed     the book store could not read or write (disk, lock, closed)
    ├── TwinUnavailable         the digital-twin recorder cannot record now; retried later
    │   └── TwinsBehind         new work waits: the twins lag more than the marketplace allows
    └── InvalidTwinKey          a twin's reader key that is not one (an agent's record twins)
"""

from __future__ import annotations

__all__ = [
    "AssetConflict",
    "AssetInUse",
    "AssetNotActive",
    "AssetNotFound",
    "BookStoreFailed",
    "CorruptJournal",
    "DuplicateKind",
    "IdempotencyConflict",
    "InvalidAsset",
    "InvalidOrder",
    "InvalidTwinKey",
    "JournalConflict",
    "MarketError",
    "NotMatchable",
    "NotOwner",
    "OrderNotActive",
    "OrderNotFound",
    "SelfMatch",
    "StoreFailed",
    "TwinUnavailable",
    "TwinsBehind",
    "UnknownPolicy",
]


class MarketError(Exception):
    """Base of every error the marketplace's book and bid manager raise."""

    code = "market_error"


class InvalidOrder(MarketError):
    code = "invalid_order"

    def __init__(self, reason: str) -> None:
        super().__init__(f"invalid order: {reason}")
        self.reason = reason


class InvalidAsset(MarketError):
    code = "invalid_asset"

    def __init__(self, reason: str) -> None:
        super().__init__(f"invalid asset: {reason}")
        self.reason = reason


class OrderNotFound(MarketError):
    code = "order_not_found"

    def __init__(self, order_id: str) -> None:
        super().__init__(f"no order {order_id!r}")
        self.order_id = order_id


class AssetNotFound(MarketError):
    code = "asset_not_found"

    def __init__(self, asset_id: str) -> None:
        super().__init__(f"no asset {asset_id!r}")
        self.asset_id = asset_id


class OrderNotActive(MarketError):
    code = "order_not_active"

    def __init__(self, order_id: str, status: str) -> None:
        super().__init__(f"order {order_id!r} is {status}")
        self.order_id = order_id
        self.status = status


class AssetNotActive(MarketError):
    code = "asset_not_active"

    def __init__(self, asset_id: str, status: str, action: str) -> None:
        super().__init__(f"asset {asset_id!r} is {status}: cannot {action}")
        self.asset_id = asset_id
        self.status = status
        self.action = action


class AssetInUse(MarketError):
    code = "asset_in_use"

    def __init__(self, asset_id: str, order_ids: tuple[str, ...]) -> None:
        shown = ", ".join(order_ids[:5]) + (", ..." if len(order_ids) > 5 else "")
        super().__init__(f"asset {asset_id!r} is named by open orders ({shown}): cancel them first")
        self.asset_id = asset_id
        self.order_ids = order_ids


class AssetConflict(MarketError):
    code = "asset_conflict"

    def __init__(self, asset_id: str, reason: str) -> None:
        super().__init__(f"asset {asset_id!r} not stored: {reason}")
        self.asset_id = asset_id
        self.reason = reason


class NotOwner(MarketError):
    code = "not_owner"

    def __init__(self, order_id: str, participant: str) -> None:
        super().__init__(f"{participant!r} does not own {order_id!r}")
        self.order_id = order_id
        self.participant = participant


class SelfMatch(MarketError):
    code = "self_match"

    def __init__(self, offer_id: str, request_id: str) -> None:
        super().__init__(f"offer {offer_id!r} and request {request_id!r} have the same owner")
        self.offer_id = offer_id
        self.request_id = request_id


class NotMatchable(MarketError):
    code = "not_matchable"

    def __init__(self, offer_id: str, request_id: str, reason: str) -> None:
        super().__init__(f"{offer_id!r} and {request_id!r} cannot match: {reason}")
        self.offer_id = offer_id
        self.request_id = request_id
        self.reason = reason


class IdempotencyConflict(MarketError):
    code = "idempotency_conflict"

    def __init__(self, participant: str, key: str) -> None:
        super().__init__(f"key {key!r} of {participant!r} was used for a different command")
        self.participant = participant
        self.key = key


class UnknownPolicy(MarketError):
    code = "unknown_policy"

    def __init__(self, name: str, known: tuple[str, ...]) -> None:
        super().__init__(f"no matching policy {name!r}; known: {', '.join(known)}")
        self.name = name
        self.known = known


class DuplicateKind(MarketError):
    code = "duplicate_kind"

    def __init__(self, kind: str) -> None:
        super().__init__(f"kind {kind!r} has two specs: one vertical owns each kind")
        self.kind = kind


class JournalConflict(MarketError):
    code = "journal_conflict"

    def __init__(self, step: int, reason: str) -> None:
        super().__init__(f"journal step {step} refused: {reason}")
        self.step = step
        self.reason = reason


class CorruptJournal(MarketError):
    code = "corrupt_journal"

    def __init__(self, step: int, reason: str) -> None:
        super().__init__(f"journal step {step} cannot be read: {reason}")
        self.step = step
        self.reason = reason


class StoreFailed(MarketError):
    """A store behind a port (the book, the marketplace database) failed; nothing half-written
    is visible. The SQL adapters' :class:`~plaza.market.sql.errors.MarketStorageError` is one."""

    code = "storage_unavailable"


class BookStoreFailed(StoreFailed):
    code = "book_store_failed"

    def __init__(self, reason: str) -> None:
        super().__init__(f"book store failed: {reason}")
        self.reason = reason


class TwinUnavailable(MarketError):
    code = "twin_unavailable"

    def __init__(self, reason: str) -> None:
        super().__init__(f"digital twin not recorded: {reason}")
        self.reason = reason


class TwinsBehind(TwinUnavailable):
    """New work (an order, an asset, a manual match) refused while the twins lag: the oldest
    twin state not on the ledger yet was committed more than the marketplace's limit ago.
    Work in flight (delivery, payment, claim) goes on, so the backlog drains."""

    code = "twins_behind"

    def __init__(self, *, lag_ms: int, limit_ms: int, retry_after_s: int) -> None:
        super().__init__(
            f"the twins are {lag_ms / 1000:.1f} s behind, over the marketplace's limit of "
            f"{limit_ms / 1000:g} s: no new orders, assets or matches until they catch up; "
            f"retry in {retry_after_s} s"
        )
        self.lag_ms = lag_ms
        self.limit_ms = limit_ms
        self.retry_after_s = retry_after_s


class InvalidTwinKey(MarketError):
    """A reader key of a record's twin (:mod:`~plaza.market.twins.records`) that is not one."""

    code = "invalid_twin_key"

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
