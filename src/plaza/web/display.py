"""How pages print numbers a person reads: quantities and prices in their kind's units,
times in UTC, long ids shortened. Registered as Jinja2 filters by :mod:`plaza.web.app`."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from plaza.verticals import Units

__all__ = ["UnitBook", "short_id", "when"]

_PLAIN = Units()


class UnitBook:
    """Each kind's :class:`~plaza.verticals.Units`, from the verticals that declare them."""

    def __init__(self, units: Mapping[str, Units]) -> None:
        self._units = dict(units)

    def of(self, kind: str) -> Units:
        return self._units.get(kind, _PLAIN)

    def quantity(self, kind: str, amount: int) -> str:
        """``12,500 Wh (12.5 kWh)``: the kind's unit, and its larger one when it fits."""
        return self.of(kind).show_quantity(amount)

    def price(self, kind: str, unit_price: int) -> str:
        """``20 coins per kWh``."""
        return self.of(kind).show_price(unit_price)


def when(ms: int | None) -> str:
    """Milliseconds since the epoch as ``2026-12-07 09:30:00 UTC``; none as a dash."""
    if ms is None:
        return "-"
    try:
        moment = datetime.fromtimestamp(ms / 1000, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return f"{ms} ms"
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def short_id(value: str | bytes, size: int = 12) -> str:
    """The first ``size`` hex characters of an id, for tables (the full one is in the link)."""
    text = value.hex() if isinstance(value, bytes) else value
    return text if len(text) <= size + 1 else f"{text[:size]}…"
