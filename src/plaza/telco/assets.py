"""Telco asset types and the attributes each one must describe itself with.

An asset's kind on the market is ``telco:<type>`` (``telco:cell_site``), so the
market's rule that an order naming an asset is of the asset's kind also keeps a
fibre offer from naming a cell site. Each type declares its fields: whether a
field is required, an integer range or a set of allowed words, so a request may
only require values an asset of the type could have. Shared fields (``city``,
``country``) are optional free text for pages and filters; the point that
matching measures from is the asset's location (latitude, longitude). The
optional ``orchestrator`` names the participant that configures access to the
asset for its orders (the provider itself when left out).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass

from plaza.market.model import AttributeValue

__all__ = [
    "FIELDS",
    "KIND_PREFIX",
    "ORCHESTRATOR",
    "AssetType",
    "Field",
    "InvalidTelcoAsset",
    "asset_type_of",
    "check_attributes",
    "check_value",
    "kind_of",
]

KIND_PREFIX = "telco:"
_BANDS = re.compile(r"[a-zA-Z]?[0-9]{1,4}(,[a-zA-Z]?[0-9]{1,4}){0,15}")
_TEXT = re.compile(r"[^\x00-\x1f]{1,128}")


class InvalidTelcoAsset(ValueError):
    """An attribute missing, unknown or out of its range; the message names it."""


class AssetType(enum.StrEnum):
    CELL_SITE = "cell_site"
    SMALL_CELL = "small_cell"
    DRONE_CELL = "drone_cell"
    FIBRE = "fibre"
    SPECTRUM = "spectrum"
    EDGE_COMPUTE = "edge_compute"


@dataclass(frozen=True, slots=True)
class Field:
    """One attribute of a type: an integer in ``[low, high]``, one of ``words``, or text
    matching ``pattern``."""

    name: str
    required: bool = True
    low: int | None = None
    high: int | None = None
    words: tuple[str, ...] = ()
    pattern: re.Pattern[str] | None = None

    def check(self, value: AttributeValue) -> None:
        if self.low is not None and self.high is not None:
            if isinstance(value, bool) or not isinstance(value, int):
                raise InvalidTelcoAsset(f"{self.name} must be an integer")
            if not self.low <= value <= self.high:
                raise InvalidTelcoAsset(f"{self.name} must be {self.low} to {self.high}")
            return
        if not isinstance(value, str):
            raise InvalidTelcoAsset(f"{self.name} must be a string")
        if self.words and value not in self.words:
            raise InvalidTelcoAsset(f"{self.name} must be one of {', '.join(self.words)}")
        if self.pattern is not None and not self.pattern.fullmatch(value):
            raise InvalidTelcoAsset(f"{self.name} must match {self.pattern.pattern}")


_TECHNOLOGY = Field("technology", words=("2G", "3G", "4G", "5G"))
_BANDS_FIELD = Field("bands", pattern=_BANDS)
_CAPACITY = Field("capacity_mbps", low=1, high=1_000_000)
#: The attribute naming who orchestrates access to the asset (a participant id); without
#: it, the asset's provider does.
ORCHESTRATOR = "orchestrator"
_SHARED = (
    Field("city", required=False, pattern=_TEXT),
    Field("country", required=False, pattern=_TEXT),
    Field(ORCHESTRATOR, required=False, pattern=re.compile(r"plz1[0-9a-z]{20,100}")),
)

#: Each type's fields, shared ones included.
FIELDS: Mapping[AssetType, tuple[Field, ...]] = {
    AssetType.CELL_SITE: (_TECHNOLOGY, _BANDS_FIELD, _CAPACITY, *_SHARED),
    AssetType.SMALL_CELL: (_TECHNOLOGY, _BANDS_FIELD, _CAPACITY, *_SHARED),
    AssetType.DRONE_CELL: (
        _TECHNOLOGY,
        _CAPACITY,
        Field("flight_minutes", low=1, high=24 * 60),
        *_SHARED,
    ),
    AssetType.FIBRE: (
        Field("bandwidth_mbps", low=1, high=10_000_000),
        Field("endpoint_a", pattern=_TEXT),
        Field("endpoint_b", pattern=_TEXT),
        *_SHARED,
    ),
    AssetType.SPECTRUM: (
        Field("band", pattern=re.compile(r"[a-zA-Z]?[0-9]{1,4}")),
        Field("frequency_mhz", low=1, high=300_000),
        Field("width_mhz", low=1, high=2_000),
        *_SHARED,
    ),
    AssetType.EDGE_COMPUTE: (
        Field("vcpus", low=1, high=4096),
        Field("memory_gb", low=1, high=65_536),
        Field("storage_gb", required=False, low=0, high=10_000_000),
        *_SHARED,
    ),
}


def kind_of(asset_type: AssetType) -> str:
    """The market kind of a type: ``telco:cell_site``."""
    return KIND_PREFIX + asset_type.value


def asset_type_of(kind: str) -> AssetType | None:
    """The type a market kind is, or None for a kind that is not telco's."""
    if not kind.startswith(KIND_PREFIX):
        return None
    try:
        return AssetType(kind.removeprefix(KIND_PREFIX))
    except ValueError:
        return None


def check_value(asset_type: AssetType, name: str, value: AttributeValue) -> None:
    """Refuse a value no asset of the type could have (what a request may require)."""
    for field in FIELDS[asset_type]:
        if field.name == name:
            field.check(value)
            return
    known = ", ".join(field.name for field in FIELDS[asset_type])
    raise InvalidTelcoAsset(f"a {asset_type.value} has no {name!r}; its fields: {known}")


def check_attributes(asset_type: AssetType, values: Mapping[str, AttributeValue]) -> None:
    """Refuse attributes missing a required field, naming an unknown one, or out of range."""
    for name, value in values.items():
        check_value(asset_type, name, value)
    missing = [f.name for f in FIELDS[asset_type] if f.required and f.name not in values]
    if missing:
        raise InvalidTelcoAsset(f"a {asset_type.value} must give {', '.join(missing)}")
