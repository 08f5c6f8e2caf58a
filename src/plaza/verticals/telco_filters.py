"""TMF630 attribute filtering on the telco lists: ``name=value`` and ``name.op=value``.

Any query parameter a list does not declare itself names an attribute of the
resources it lists (dotted for nested ones: ``relatedParty.role``,
``productOfferingPrice.price.value``; through a list, any item may match) and an
operator: ``gt``, ``gte``, ``lt``, ``lte``, ``eq`` (the default) or ``ne``. A
value with commas is any of them (TMF630's OR). Numbers compare as numbers, dates
(ISO 8601) as instants, the rest as text. A name that is not an attribute name, a
value that is no number where one is compared, or too many filters are a 400 that
lists nothing; an attribute a resource lacks simply does not match.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from starlette.datastructures import QueryParams

from plaza.api.errors import RequestProblem

__all__ = ["AttributeFilter", "attribute_filters", "matching"]

_NAME = re.compile(r"@?[A-Za-z][A-Za-z0-9_]{0,63}(\.@?[A-Za-z][A-Za-z0-9_]{0,63}){0,4}")
_OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "gt": operator.gt,
    "gte": operator.ge,
    "lt": operator.lt,
    "lte": operator.le,
    "eq": operator.eq,
    "ne": operator.ne,
}
_MAX_FILTERS = 16
_MAX_VALUES = 32
#: Query parameters no list treats as attribute filters.
COMMON = frozenset({"fields", "offset", "limit"})


@dataclass(frozen=True, slots=True)
class AttributeFilter:
    path: tuple[str, ...]
    op: str
    values: tuple[str, ...]

    def keeps(self, view: dict[str, Any]) -> bool:
        return any(self._compares(have) for have in _values_at(view, self.path))

    def _compares(self, have: Any) -> bool:
        compare = _OPERATORS[self.op]
        if self.op == "ne":
            return all(compare(_typed(have), _as(have, value)) for value in self.values)
        return any(compare(_typed(have), _as(have, value)) for value in self.values)


def _values_at(node: Any, path: tuple[str, ...]) -> Iterable[Any]:
    """Every value at ``path`` under ``node``, through lists."""
    if isinstance(node, list):
        for item in node:
            yield from _values_at(item, path)
        return
    if not path:
        if node is not None and not isinstance(node, dict):
            yield node
        return
    if isinstance(node, dict) and path[0] in node:
        yield from _values_at(node[path[0]], path[1:])


def _date(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def _typed(have: Any) -> Any:
    """A resource's value as it compares: dates as instants, the rest as they are."""
    if isinstance(have, str):
        return _date(have) or have
    if isinstance(have, bool):
        return str(have).lower()
    return have


def _as(have: Any, value: str) -> Any:
    """``value`` (from the query) as the type of ``have`` (the resource's)."""
    if isinstance(have, bool):
        return value.lower()
    if isinstance(have, int | float):
        try:
            return float(value)
        except ValueError:
            raise RequestProblem(400, "invalid_filter", f"{value!r} is not a number") from None
    if isinstance(have, str) and _date(have) is not None:
        moment = _date(value)
        if moment is None:
            message = f"{value!r} is not a date with its time zone (ISO 8601)"
            raise RequestProblem(400, "invalid_filter", message)
        return moment
    return value


def attribute_filters(query: QueryParams, declared: Collection[str]) -> list[AttributeFilter]:
    """The attribute filters in ``query``: every parameter but ``declared`` and
    :data:`COMMON`; a malformed one is a 400."""
    found = []
    for name, value in query.multi_items():
        if name in declared or name in COMMON:
            continue
        attribute, _, op = name.rpartition(".")
        if op not in _OPERATORS:
            attribute, op = name, "eq"
        if not _NAME.fullmatch(attribute):
            raise RequestProblem(400, "invalid_filter", f"{name!r} names no attribute")
        values = tuple(value.split(","))
        if len(values) > _MAX_VALUES:
            raise RequestProblem(400, "invalid_filter", f"at most {_MAX_VALUES} values a filter")
        found.append(AttributeFilter(tuple(attribute.split(".")), op, values))
    if len(found) > _MAX_FILTERS:
        raise RequestProblem(400, "invalid_filter", f"at most {_MAX_FILTERS} filters")
    return found


def matching(views: list[dict[str, Any]], filters: list[AttributeFilter]) -> list[dict[str, Any]]:
    """The views every filter keeps."""
    if not filters:
        return views
    return [view for view in views if all(f.keeps(view) for f in filters)]
