"""Rules every adapter applies the same way, so the contract holds for all of them."""

from __future__ import annotations

from collections.abc import Iterable

from plaza.ledger.model import PayloadKind
from plaza.storage.errors import StorageError

__all__ = [
    "INT64_MAX",
    "NO_CURSOR",
    "PAYMENT_KINDS",
    "check_int64",
    "check_window",
    "closed_error",
    "page_cursor",
]

#: Payloads applied once per key (``applied_transfers``): a transfer, a hold and a
#: hold's part payment.
PAYMENT_KINDS = (PayloadKind.TRANSFER, PayloadKind.HOLD, PayloadKind.PAY)

#: Integers are stored as signed 64-bit columns; anything larger must fail the same everywhere.
INT64_MAX = 2**63 - 1

#: A cursor above every ``seq``, so "first page" and "next page" share one query.
NO_CURSOR = INT64_MAX


def check_window(limit: int, offset: int = 0) -> None:
    """Refuse a window SQL engines would read differently (SQLite: LIMIT -1 means all)."""
    if limit < 1:
        raise ValueError(f"limit must be at least 1, got {limit}")
    if offset < 0:
        raise ValueError(f"offset must not be negative, got {offset}")


def check_int64(values: Iterable[int], what: str) -> None:
    """Fail before writing, as the SQL stores would, on a value a BIGINT cannot hold."""
    for value in values:
        if not -INT64_MAX - 1 <= value <= INT64_MAX:
            raise StorageError(f"{what} {value} does not fit a signed 64-bit integer")


def page_cursor(seqs: list[int], limit: int) -> int | None:
    """The cursor after a page fetched with ``limit + 1`` rows: the last kept ``seq``, if more."""
    return seqs[limit - 1] if len(seqs) > limit else None


def closed_error() -> StorageError:
    return StorageError("the store is closed")
