"""Manual matching only: orders rest until a participant confirms a suggested counterpart.

The telco seed's marketplace let a user select an offer or request, review the
matches the system found, and generate the order from one. With this policy the
book never matches by itself; :mod:`plaza.market.matching.suggest` ranks the
candidates and the book's ``confirm`` turns the chosen one into a match. (Any
policy allows manual matching too; this one just adds no automatic matching.)
"""

from __future__ import annotations

from plaza.market.matching.base import KindBook
from plaza.market.matching.entries import Fill, Resting

__all__ = ["ManualOnly"]


class ManualOnly:
    """No automatic matching: every match is a confirmed suggestion."""

    name = "manual"

    def on_submit(self, book: KindBook, taker: Resting, now_ms: int, fills: list[Fill]) -> None:
        """Nothing to do: the order waits for someone to pick it."""

    def on_clear(self, book: KindBook, now_ms: int, fills: list[Fill]) -> None:
        """Nothing to do."""
