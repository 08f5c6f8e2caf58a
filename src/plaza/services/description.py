"""A service's description: what a provider publishes on its public channel and announces.

The provider appends a new description to change one (the latest announcement of a
channel wins) and appends one with ``retired`` set to stop selling; a retired service
refuses quotes. Everything a customer needs to call it is here: the price per call,
the limits it holds the provider to, where to ask for a quote (``endpoint``), the
address the hold pays (``pay_to``) and the X25519 key the job is sealed to.

The schemas are JSON Schema documents the provider promises its input and output
follow; the full description (schemas included) is the channel record, the
announcement's descriptor carries the fields a call needs (:meth:`descriptor_fields`).

``owner``, when set, is the user id of the web account whose provider's dashboard
lists the service (``plaza service run --owner usr_…``): it is in the signed
announcement, so only the holder of the provider's key names it, and one key's
service is on one dashboard at most.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

from plaza.crypto import Address, EncryptionPublicKey, InvalidAddress, InvalidKey
from plaza.services.errors import InvalidDescription

__all__ = [
    "MAX_INPUT_BYTES",
    "MAX_TIME_TO_RESULT_MS",
    "NAME",
    "OWNER",
    "RECORD_FIELD",
    "SERVICES_TAG",
    "ServiceDescription",
]

#: The directory tag services are announced under (``plaza.channels.announce``).
SERVICES_TAG = b"plaza-services"
#: The announcement's field giving the position of the full description (schemas and
#: all) on the provider's public channel.
RECORD_FIELD = "record"
#: A service's name: how ``plaza service call NAME`` finds it.
NAME = re.compile(r"[a-z][a-z0-9-]{0,47}")
#: A web account's user id, as its account page shows it: who owns a provider.
OWNER = re.compile(r"usr_[0-9a-f]{16}")
#: The most input a call may carry: it travels sealed inside the hold (32 KiB payload).
MAX_INPUT_BYTES = 16 * 1024
#: A call's time to result is at most an hour: the customer's coins are held that long.
MAX_TIME_TO_RESULT_MS = 3_600_000
_TEXT_LIMITS = {"title": 120, "description": 2000, "endpoint": 300}


@dataclass(frozen=True, slots=True)
class ServiceDescription:
    """One version of a service; ``retired`` says it is no longer sold."""

    name: str
    title: str
    price: int
    pay_to: str
    encryption_key: str
    endpoint: str
    description: str = ""
    input_schema: Mapping[str, Any] = field(default_factory=dict)
    output_schema: Mapping[str, Any] = field(default_factory=dict)
    max_input_bytes: int = 4096
    time_to_result_ms: int = 10_000
    retired: bool = False
    owner: str = ""

    def __post_init__(self) -> None:
        if not NAME.fullmatch(self.name):
            raise InvalidDescription(f"the name must match {NAME.pattern}, got {self.name!r}")
        for name, limit in _TEXT_LIMITS.items():
            if len(getattr(self, name)) > limit:
                raise InvalidDescription(f"{name} is longer than {limit} characters")
        if not self.title.strip():
            raise InvalidDescription("a service needs a title")
        _check_range("price", self.price, 1, 2**63 - 1)
        _check_range("max_input_bytes", self.max_input_bytes, 2, MAX_INPUT_BYTES)
        _check_range("time_to_result_ms", self.time_to_result_ms, 100, MAX_TIME_TO_RESULT_MS)
        self.payment_address()
        self.public_key()
        if not self.endpoint.startswith(("http://", "https://")):
            raise InvalidDescription(f"the endpoint must be an http(s) URL: {self.endpoint!r}")
        for name in ("input_schema", "output_schema"):
            if not isinstance(getattr(self, name), Mapping):
                raise InvalidDescription(f"{name} must be a JSON object")
        if self.owner and not (isinstance(self.owner, str) and OWNER.fullmatch(self.owner)):
            raise InvalidDescription("the owner is a web account's user id: usr_, 16 hex digits")

    def payment_address(self) -> Address:
        try:
            return Address.parse(self.pay_to)
        except (InvalidAddress, ValueError) as error:
            raise InvalidDescription(f"pay_to is not an address: {error}") from None

    def public_key(self) -> EncryptionPublicKey:
        try:
            return EncryptionPublicKey(bytes.fromhex(self.encryption_key))
        except (InvalidKey, ValueError) as error:
            raise InvalidDescription(f"encryption_key is not an X25519 key: {error}") from None

    def retire(self) -> ServiceDescription:
        return replace(self, retired=True)

    # -- encoding --------------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        """Every field; ``owner`` only when set, so an unowned service encodes as before."""
        values = {f.name: _plain(getattr(self, f.name)) for f in fields(self)}
        if not self.owner:
            del values["owner"]
        return values

    def encode(self) -> bytes:
        """Canonical JSON (sorted keys, no spaces): the channel record's content."""
        return json.dumps(self.to_json(), sort_keys=True, separators=(",", ":")).encode()

    @classmethod
    def from_json(cls, value: object) -> ServiceDescription:
        if not isinstance(value, dict):
            raise InvalidDescription("a description is a JSON object")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(value) - known)
        if unknown:
            raise InvalidDescription(f"unknown fields: {', '.join(unknown)}")
        try:
            description = cls(**value)
        except TypeError as error:
            raise InvalidDescription(str(error)) from None
        _check_types(description)
        return description

    @classmethod
    def decode(cls, data: bytes) -> ServiceDescription:
        try:
            value = json.loads(data)
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise InvalidDescription(f"not JSON: {error}") from None
        return cls.from_json(value)

    def descriptor_fields(self) -> dict[str, str]:
        """What the announcement carries: the fields a call needs, as text."""
        return {
            "service": self.name,
            "title": self.title,
            "price": str(self.price),
            "pay_to": self.pay_to,
            "encryption_key": self.encryption_key,
            "endpoint": self.endpoint,
            "max_input_bytes": str(self.max_input_bytes),
            "time_to_result_ms": str(self.time_to_result_ms),
            "retired": "yes" if self.retired else "",
            "owner": self.owner,  # left out when "" (Descriptor.of drops empty values)
        }

    @classmethod
    def from_descriptor_fields(cls, values: Mapping[str, str]) -> ServiceDescription:
        """The callable part of a description, read back from an announcement."""
        try:
            return cls(
                name=values["service"],
                title=values["title"],
                price=int(values["price"]),
                pay_to=values["pay_to"],
                encryption_key=values["encryption_key"],
                endpoint=values["endpoint"],
                max_input_bytes=int(values["max_input_bytes"]),
                time_to_result_ms=int(values["time_to_result_ms"]),
                retired=values.get("retired") == "yes",
                owner=values.get("owner", ""),
            )
        except KeyError as missing:
            raise InvalidDescription(f"the announcement lacks {missing}") from None
        except ValueError as error:
            raise InvalidDescription(str(error)) from None


def _check_range(name: str, value: object, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidDescription(f"{name} must be a whole number from {low} to {high}")


def _check_types(description: ServiceDescription) -> None:
    for name in ("name", "title", "description", "pay_to", "encryption_key", "endpoint", "owner"):
        if not isinstance(getattr(description, name), str):
            raise InvalidDescription(f"{name} must be text")
    if not isinstance(description.retired, bool):
        raise InvalidDescription("retired must be true or false")


def _plain(value: object) -> object:
    return dict(value) if isinstance(value, Mapping) else value
