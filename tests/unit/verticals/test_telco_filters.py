"""TMF630 attribute filters on the telco lists: operators, nesting, lists, types, refusals."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.datastructures import QueryParams

from plaza.api.errors import RequestProblem
from plaza.verticals.telco_filters import attribute_filters, matching

VIEWS: list[dict[str, Any]] = [
    {
        "id": "a",
        "state": "acknowledged",
        "orderDate": "2026-12-07T10:00:00.000+00:00",
        "productOfferingPrice": [{"price": {"unit": "coin", "value": 100}}],
        "relatedParty": [{"id": "sp", "role": "customer"}, {"id": "op", "role": "seller"}],
        "isBundle": False,
    },
    {
        "id": "b",
        "state": "completed",
        "orderDate": "2026-12-07T12:00:00.000+00:00",
        "productOfferingPrice": [{"price": {"unit": "coin", "value": 300}}],
        "relatedParty": [{"id": "sp2", "role": "customer"}],
        "isBundle": True,
    },
]


def _kept(query: str, declared: set[str] | None = None) -> list[str]:
    filters = attribute_filters(QueryParams(query), declared or set())
    return [view["id"] for view in matching(VIEWS, filters)]


@pytest.mark.parametrize(
    ("query", "kept"),
    [
        ("", ["a", "b"]),
        ("state=completed", ["b"]),
        ("state=completed,acknowledged", ["a", "b"]),
        ("state.ne=completed", ["a"]),
        ("productOfferingPrice.price.value.gt=100", ["b"]),
        ("productOfferingPrice.price.value.gte=100", ["a", "b"]),
        ("productOfferingPrice.price.value.lt=300&state=acknowledged", ["a"]),
        ("orderDate.gt=2026-12-07T11:00:00Z", ["b"]),
        ("orderDate.lte=2026-12-07T12:00:00%2B01:00", ["a"]),  # 11:00 UTC
        ("relatedParty.id=op", ["a"]),
        ("relatedParty.role=seller", ["a"]),
        ("isBundle=true", ["b"]),
        ("unknownAttribute=x", []),
        ("fields=state&offset=0&limit=1", ["a", "b"]),
    ],
)
def test_each_filter_keeps_what_its_operator_says(query: str, kept: list[str]) -> None:
    assert _kept(query) == kept


def test_a_declared_parameter_is_the_lists_own_not_a_filter() -> None:
    assert _kept("category=fibre", {"category"}) == ["a", "b"]


@pytest.mark.parametrize(
    ("query", "complaint"),
    [
        ("productOfferingPrice.price.value.gt=cheap", "not a number"),
        ("orderDate.gt=yesterday", "not a date"),
        ("orderDate.gt=2026-12-07T11:00:00", "time zone"),
        ("state;drop=1", "names no attribute"),
        ("&".join(f"a{n}=1" for n in range(17)), "at most 16 filters"),
        ("state=" + ",".join("x" * 33), "at most 32 values"),
    ],
)
def test_a_malformed_filter_is_a_clear_400(query: str, complaint: str) -> None:
    with pytest.raises(RequestProblem, match=complaint) as refused:
        _kept(query)
    assert refused.value.status == 400
