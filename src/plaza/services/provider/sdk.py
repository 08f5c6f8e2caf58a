"""The provider SDK: one decorator turns a Python function into a paid service.

::

    from plaza.services.provider import service

    @service(name="weather", title="Weather forecast", price=25,
             input_schema={"type": "object", "required": ["place"]},
             time_to_result_s=5, concurrency=4)
    def weather(job: dict) -> dict:
        return {"place": job["place"], "forecast": "sun"}

and ``plaza service run mymodule:weather`` sells it. The function takes the decoded
JSON input and returns a JSON value; raising :class:`JobFailed` (or anything else)
refunds the customer with the message as the reason. It runs in a worker thread,
at most ``concurrency`` at a time, for at most ``time_limit_s`` (the time to result
by default): a job past its limit is refunded, and its thread is left to finish
unheard, since Python cannot stop a thread.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from plaza.services.description import NAME, ServiceDescription
from plaza.services.errors import InvalidDescription

__all__ = ["JobFailed", "Service", "load_service", "service"]

Job = Callable[[Any], Any]


class JobFailed(Exception):
    """Raise it from a service function to refund the call with a reason for the customer."""


@dataclass(frozen=True, slots=True)
class Service:
    """A function and what its provider sells it as; call it like the function."""

    function: Job
    name: str
    title: str
    price: int
    description: str = ""
    input_schema: Mapping[str, Any] = field(default_factory=dict)
    output_schema: Mapping[str, Any] = field(default_factory=dict)
    max_input_bytes: int = 4096
    time_to_result_s: float = 10.0
    time_limit_s: float | None = None
    concurrency: int = 4

    def __post_init__(self) -> None:
        if not NAME.fullmatch(self.name):
            raise InvalidDescription(f"the name must match {NAME.pattern}, got {self.name!r}")
        if not 1 <= self.concurrency <= 64:
            raise InvalidDescription("concurrency must be 1 to 64 jobs")
        if not 0 < self.limit_s <= self.time_to_result_s:
            raise InvalidDescription(
                "the time limit must be positive and within the time to result"
            )

    def __call__(self, job: Any) -> Any:
        return self.function(job)

    @property
    def limit_s(self) -> float:
        return self.time_to_result_s if self.time_limit_s is None else self.time_limit_s

    def describe(
        self, *, pay_to: str, encryption_key: str, endpoint: str, owner: str = ""
    ) -> ServiceDescription:
        """The description a provider with these keys, at ``endpoint``, owned by the web
        account ``owner`` (if any), publishes."""
        return ServiceDescription(
            name=self.name,
            title=self.title,
            price=self.price,
            pay_to=pay_to,
            encryption_key=encryption_key,
            endpoint=endpoint,
            description=self.description,
            input_schema=dict(self.input_schema),
            output_schema=dict(self.output_schema),
            max_input_bytes=self.max_input_bytes,
            time_to_result_ms=round(self.time_to_result_s * 1000),
            owner=owner,
        )


def service(
    *,
    name: str,
    title: str,
    price: int,
    description: str = "",
    input_schema: Mapping[str, Any] | None = None,
    output_schema: Mapping[str, Any] | None = None,
    max_input_bytes: int = 4096,
    time_to_result_s: float = 10.0,
    time_limit_s: float | None = None,
    concurrency: int = 4,
) -> Callable[[Job], Service]:
    """Make the decorated function a :class:`Service` with these terms."""

    def wrap(function: Job) -> Service:
        return Service(
            function,
            name,
            title,
            price,
            description or (function.__doc__ or "").strip(),
            dict(input_schema or {}),
            dict(output_schema or {}),
            max_input_bytes,
            time_to_result_s,
            time_limit_s,
            concurrency,
        )

    return wrap


def load_service(reference: str) -> Service:
    """The :class:`Service` at ``module:attribute``; a clear ``ValueError`` otherwise."""
    module_name, _, attribute = reference.partition(":")
    if not module_name or not attribute:
        raise ValueError(f"{reference!r}: name a service as module:function")
    try:
        found = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError) as error:
        raise ValueError(f"{reference!r} cannot be loaded: {error}") from None
    if not isinstance(found, Service):
        raise ValueError(f"{reference!r} is not decorated with @service")
    return found
