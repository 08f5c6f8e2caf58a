"""A small JSON Schema subset, to check a call's input before anyone pays or runs it.

A service's ``input_schema`` is checked by the customer before it asks for a quote
(bad input is refused with nothing paid) and by the provider before it runs a job
(bad input is refunded, with the reason). The subset is what service inputs need:
``type`` (one or a list), ``properties``, ``required``, ``additionalProperties:
false``, ``items``, ``enum``, ``minimum``/``maximum``, ``minLength``/``maxLength``
and ``minItems``/``maxItems``; other keywords are not checked. A full validator
(``jsonschema``) may replace it without changing a caller.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["schema_problem"]

_TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,),
    "array": (list,),
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "null": (type(None),),
}


def schema_problem(value: Any, schema: Mapping[str, Any], where: str = "input") -> str:
    """What is wrong with ``value`` under ``schema`` (the first problem found), or ''."""
    for check in (_type, _enum, _bounds, _lengths, _object, _array):
        problem = check(value, schema, where)
        if problem:
            return problem
    return ""


def _is(value: Any, name: str) -> bool:
    if isinstance(value, bool) and name in {"integer", "number"}:
        return False
    return isinstance(value, _TYPES.get(name, ()))


def _type(value: Any, schema: Mapping[str, Any], where: str) -> str:
    wanted = schema.get("type")
    if wanted is None:
        return ""
    names = [wanted] if isinstance(wanted, str) else list(wanted)
    if any(_is(value, name) for name in names):
        return ""
    return f"{where} must be {' or '.join(names)}"


def _enum(value: Any, schema: Mapping[str, Any], where: str) -> str:
    options = schema.get("enum")
    if options is None or value in options:
        return ""
    return f"{where} must be one of {', '.join(map(repr, options))}"


def _bounds(value: Any, schema: Mapping[str, Any], where: str) -> str:
    if not (_is(value, "number")):
        return ""
    low, high = schema.get("minimum"), schema.get("maximum")
    if low is not None and value < low:
        return f"{where} must be at least {low}"
    if high is not None and value > high:
        return f"{where} must be at most {high}"
    return ""


def _lengths(value: Any, schema: Mapping[str, Any], where: str) -> str:
    if isinstance(value, str):
        low, high, unit = schema.get("minLength"), schema.get("maxLength"), "characters"
    elif isinstance(value, list):
        low, high, unit = schema.get("minItems"), schema.get("maxItems"), "items"
    else:
        return ""
    if low is not None and len(value) < low:
        return f"{where} must have at least {low} {unit}"
    if high is not None and len(value) > high:
        return f"{where} must have at most {high} {unit}"
    return ""


def _object(value: Any, schema: Mapping[str, Any], where: str) -> str:
    if not isinstance(value, dict):
        return ""
    properties = schema.get("properties", {})
    for name in schema.get("required", ()):
        if name not in value:
            return f"{where} lacks {name!r}"
    if schema.get("additionalProperties") is False:
        extra = sorted(set(value) - set(properties))
        if extra:
            return f"{where} has unknown fields: {', '.join(extra)}"
    for name, inner in properties.items():
        if name in value and isinstance(inner, Mapping):
            problem = schema_problem(value[name], inner, f"{where}.{name}")
            if problem:
                return problem
    return ""


def _array(value: Any, schema: Mapping[str, Any], where: str) -> str:
    items = schema.get("items")
    if not isinstance(value, list) or not isinstance(items, Mapping):
        return ""
    for index, item in enumerate(value):
        problem = schema_problem(item, items, f"{where}[{index}]")
        if problem:
            return problem
    return ""
