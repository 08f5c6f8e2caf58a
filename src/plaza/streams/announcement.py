"""A sensor's announcement: what it measures, where, at what price, and where to pay.

It is a channel announcement (:mod:`plaza.channels.announce`) filed under the
streams tag, so both the sensor's identity and its channel key sign it and a
forged or altered copy fails :func:`plaza.channels.parse_announcement`. This
module is its descriptor: one text field per property, sorted by name, so its
bytes are canonical (``encode_descriptor``) and the same announcement always
signs the same bytes::

    description, encryption_key (hex X25519), lat, lon (decimal degrees, 6 places),
    minimum_ms, name, owner (optional), pay_to (plz1…), period_ms, price,
    types (JSON [[name, unit], …]), v ("1")

``owner`` is the user id of the web account whose dashboard lists the sensor
(``usr_`` and 16 hex digits); it is left out when there is none, so a sensor
without one signs the same bytes as before the field existed.

:func:`sensor_from` turns a verified channel announcement into a :class:`Sensor`,
refusing (:class:`InvalidAnnouncement`) anything that is not a restricted channel
with a well-formed sensor descriptor.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from plaza.channels.codec import encode_descriptor
from plaza.channels.model import Announcement, ChannelMode, Descriptor
from plaza.crypto import Address, CryptoError, EncryptionPublicKey, PublicKey
from plaza.streams.errors import InvalidAnnouncement
from plaza.streams.terms import Terms

__all__ = ["OWNER", "STREAMS_TAG", "DataType", "Sensor", "SensorAnnouncement", "sensor_from"]

#: The ledger tag sensors announce under and buyers search (PEGASUS used "pegasus").
STREAMS_TAG = b"plaza-streams"
_VERSION = "1"
_NAME_LIMIT = 80
_DESCRIPTION_LIMIT = 400
_MAX_TYPES = 8
#: A web account's user id (plaza.market.accounts), which a vertical's domain may not import.
OWNER = re.compile(r"usr_[0-9a-f]{16}")


@dataclass(frozen=True, slots=True)
class DataType:
    """One quantity a sensor reports, and its unit: ``pm25`` in ``µg/m³``."""

    name: str
    unit: str

    def __post_init__(self) -> None:
        if not (0 < len(self.name) <= 32 and self.name.isidentifier()):
            raise InvalidAnnouncement(f"data type name {self.name!r}: 1 to 32 identifier chars")
        if not 0 < len(self.unit) <= 16:
            raise InvalidAnnouncement(f"unit of {self.name}: 1 to 16 characters")


@dataclass(frozen=True, slots=True)
class SensorAnnouncement:
    """What a sensor says of itself; :meth:`descriptor` is its canonical, signed form."""

    name: str
    latitude: float
    longitude: float
    description: str
    data_types: tuple[DataType, ...]
    terms: Terms
    pay_to: Address
    encryption_key: EncryptionPublicKey
    #: The web account whose dashboard lists this sensor ("": none).
    owner: str = ""

    def __post_init__(self) -> None:
        if self.owner and not OWNER.fullmatch(self.owner):
            raise InvalidAnnouncement("the owner is a web account's user id: usr_, 16 hex digits")
        if not 0 < len(self.name) <= _NAME_LIMIT:
            raise InvalidAnnouncement(f"the name must be 1 to {_NAME_LIMIT} characters")
        if len(self.description) > _DESCRIPTION_LIMIT:
            raise InvalidAnnouncement(f"the description is over {_DESCRIPTION_LIMIT} characters")
        if not (-90 <= self.latitude <= 90 and -180 <= self.longitude <= 180):
            raise InvalidAnnouncement("latitude is -90..90 and longitude -180..180 degrees")
        names = [t.name for t in self.data_types]
        if not 0 < len(names) <= _MAX_TYPES or len(set(names)) != len(names):
            raise InvalidAnnouncement(f"1 to {_MAX_TYPES} data types, each named once")

    def descriptor(self) -> Descriptor:
        """The announcement as descriptor fields (coordinates rounded to 6 places)."""
        types = [[t.name, t.unit] for t in self.data_types]
        return Descriptor.of(
            description=self.description,
            encryption_key=self.encryption_key.raw.hex(),
            lat=f"{self.latitude:.6f}",
            lon=f"{self.longitude:.6f}",
            minimum_ms=str(self.terms.minimum_ms),
            name=self.name,
            owner=self.owner,  # left out when "" (Descriptor.of drops empty values)
            pay_to=str(self.pay_to),
            period_ms=str(self.terms.period_ms),
            price=str(self.terms.price),
            types=json.dumps(types, ensure_ascii=False, separators=(",", ":")),
            v=_VERSION,
        )

    def canonical_bytes(self) -> bytes:
        """The descriptor's bytes: equal announcements, equal bytes."""
        return encode_descriptor(self.descriptor())

    @classmethod
    def from_descriptor(cls, descriptor: Descriptor) -> SensorAnnouncement:
        """Parse and check a descriptor; :class:`InvalidAnnouncement` says what is wrong."""
        fields = descriptor.as_dict()
        if fields.get("v") != _VERSION:
            raise InvalidAnnouncement(f"not a version {_VERSION} sensor descriptor")
        try:
            return cls(
                name=_field(fields, "name"),
                latitude=float(_field(fields, "lat")),
                longitude=float(_field(fields, "lon")),
                description=fields.get("description", ""),
                data_types=_types(_field(fields, "types")),
                terms=Terms(
                    _integer(fields, "price"),
                    _integer(fields, "period_ms"),
                    _integer(fields, "minimum_ms"),
                ),
                pay_to=Address.parse(_field(fields, "pay_to")),
                encryption_key=EncryptionPublicKey(bytes.fromhex(_field(fields, "encryption_key"))),
                owner=fields.get("owner", ""),
            )
        except InvalidAnnouncement:
            raise
        except (ValueError, CryptoError) as error:  # InvalidTerms is a ValueError too
            raise InvalidAnnouncement(str(error)) from None


def _field(fields: dict[str, str], name: str) -> str:
    value = fields.get(name)
    if value is None:
        raise InvalidAnnouncement(f"the field {name!r} is missing")
    return value


def _integer(fields: dict[str, str], name: str) -> int:
    text = _field(fields, name)
    if not text.isdigit() or (len(text) > 1 and text[0] == "0"):
        raise InvalidAnnouncement(f"{name} must be a whole number, got {text!r}")
    return int(text)


def _types(text: str) -> tuple[DataType, ...]:
    pairs = json.loads(text)
    if not isinstance(pairs, list) or not all(
        isinstance(p, list) and len(p) == 2 and all(isinstance(x, str) for x in p) for p in pairs
    ):
        raise InvalidAnnouncement("types must be a JSON list of [name, unit] pairs")
    return tuple(DataType(name, unit) for name, unit in pairs)


@dataclass(frozen=True, slots=True)
class Sensor:
    """A verified announcement: the sensor's identity, its channel, and what it said."""

    owner: PublicKey
    channel: PublicKey
    channel_id: bytes
    announcement: SensorAnnouncement
    announced_at_ms: int
    message_id: bytes

    @property
    def id(self) -> str:
        """How people name a sensor: its channel id in hex (a prefix will do)."""
        return self.channel_id.hex()


def sensor_from(announcement: Announcement) -> Sensor:
    """A :class:`Sensor` from a channel announcement whose signatures already verified."""
    if announcement.mode is not ChannelMode.RESTRICTED:
        raise InvalidAnnouncement("a sensor's channel is restricted")
    parsed = SensorAnnouncement.from_descriptor(announcement.descriptor)
    return Sensor(
        announcement.owner,
        announcement.channel,
        announcement.channel_id,
        parsed,
        announcement.announced_at_ms,
        announcement.message_id,
    )
