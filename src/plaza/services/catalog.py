"""The services as anyone reads them off the ledger: what is sold, and how calls ended.

What the web's pages show (:mod:`plaza.verticals.services_pages`), read from public
ledger data alone, as a customer's ``find_service`` reads it:

* :func:`listed_services`: every service announced under :data:`SERVICES_TAG`, the
  latest announcement of each name signed by the key its payments go to;
* :func:`owned_services`: the services a web account owns, for its provider's
  dashboard: the latest announcement of each name by each provider key, kept when it
  names that account (another key announcing the same name neither hides nor claims
  one);
* :func:`full_description`: the description with its schemas, read from the
  provider's public channel at the position the announcement gives
  (:data:`RECORD_FIELD`), used only if it says what the announcement says;
* :func:`usage`: the provider's calls as its holds show them (by the tag every
  call's hold carries): how many were paid, refunded, expired or are still open, the
  revenue and the coins given back. Nothing in it says who called what
  (``docs/protocol.md``, "Calls").
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace

from plaza.channels import (
    Announcement,
    ChannelError,
    ChannelLedger,
    Reader,
    ReaderKey,
    find_announcements,
)
from plaza.crypto import Address
from plaza.ledger.holds import HoldStatus
from plaza.ledger.model import HoldPayload
from plaza.ledger.ports import LedgerReader
from plaza.services.description import RECORD_FIELD, SERVICES_TAG, ServiceDescription
from plaza.services.errors import InvalidDescription
from plaza.services.request import hold_tag
from plaza.wallet.holds import hold_id_of

__all__ = ["Listed", "Usage", "full_description", "listed_services", "owned_services", "usage"]


@dataclass(frozen=True, slots=True)
class Listed:
    """A service as its latest announcement describes it (no schemas: see
    :func:`full_description`)."""

    description: ServiceDescription
    announcement: Announcement
    record: int | None

    @property
    def channel_id(self) -> str:
        return self.announcement.channel_id.hex()

    @property
    def announced_at_ms(self) -> int:
        return self.announcement.announced_at_ms


@dataclass(frozen=True, slots=True)
class Usage:
    """A provider's calls by how their holds stand, and what it was paid."""

    calls: int = 0
    paid: int = 0
    refunded: int = 0
    expired: int = 0
    open: int = 0
    revenue: int = 0
    returned: int = 0

    @property
    def failed(self) -> int:
        """Calls the customer got its coins back for: refunded, or left to expire."""
        return self.refunded + self.expired


def listed_services(ledger: LedgerReader, *, limit: int = 500) -> list[Listed]:
    """Every service announced, the latest of each name, by name; retired ones included
    (they say so)."""
    latest: dict[str, Listed] = {}
    for listed in _announced(ledger, limit):
        known = latest.get(listed.description.name)
        if known is None or known.announcement.announced_at_ms < listed.announced_at_ms:
            latest[listed.description.name] = listed
    return [latest[name] for name in sorted(latest)]


def owned_services(ledger: LedgerReader, owner: str, *, limit: int = 500) -> list[Listed]:
    """The services whose provider's latest announcement of them names ``owner``, by
    name; retired ones included."""
    latest: dict[tuple[bytes, str], Listed] = {}
    for listed in _announced(ledger, limit):
        key = (listed.announcement.owner.raw, listed.description.name)
        known = latest.get(key)
        if known is None or known.announced_at_ms < listed.announced_at_ms:
            latest[key] = listed
    mine = [listed for listed in latest.values() if listed.description.owner == owner]
    return sorted(mine, key=lambda listed: (listed.description.name, listed.channel_id))


def _announced(ledger: LedgerReader, limit: int) -> Iterator[Listed]:
    """Every service announcement signed by the key its payments go to."""
    for announcement in find_announcements(ledger, directory=SERVICES_TAG, limit=limit):
        fields = dict(announcement.descriptor.fields)
        try:
            found = ServiceDescription.from_descriptor_fields(fields)
        except InvalidDescription:
            continue
        if found.pay_to != str(Address.from_public_key(announcement.owner.raw)):
            continue  # announced by someone who is not paid by it
        record = fields.get(RECORD_FIELD, "")
        yield Listed(found, announcement, int(record) if record.isdigit() else None)


def full_description(ledger: ChannelLedger, listed: Listed) -> ServiceDescription:
    """The description with its schemas from the provider's channel; the announced one
    when the record is missing, unreadable or says something else."""
    if listed.record is None:
        return listed.description
    key = ReaderKey.public(listed.announcement.channel, listed.record)
    try:
        entries = list(Reader(ledger, key).read(limit=1))
        full = ServiceDescription.decode(entries[0].content) if entries else None
    except (ChannelError, InvalidDescription):
        return listed.description
    if full is None:
        return listed.description
    announced = replace(full, description="", input_schema={}, output_schema={})
    return full if announced == listed.description else listed.description


def usage(ledger: LedgerReader, pay_to: str, *, limit: int = 500) -> Usage:
    """The last ``limit`` calls paid to ``pay_to``, by how their holds stand."""
    address = Address.parse(pay_to)
    counts = {"paid": 0, "refunded": 0, "expired": 0, "open": 0}
    revenue = returned = 0
    for message_id in ledger.find_by_tag(hold_tag(address.raw), limit=limit):
        message = ledger.message(message_id)
        if message is None or not isinstance(message.payload, HoldPayload):
            continue
        record = ledger.hold(hold_id_of(message))
        if record is None or message.payload.payee != address.raw:
            continue  # not confirmed (yet), or not a hold to this provider
        counts[_outcome(record.status, record.to_payee)] += 1
        revenue += record.to_payee
        returned += record.refunded
    return Usage(calls=sum(counts.values()), revenue=revenue, returned=returned, **counts)


def _outcome(status: HoldStatus, to_payee: int) -> str:
    if status is HoldStatus.OPEN:
        return "open"
    if status is HoldStatus.EXPIRED:
        return "expired"
    return "paid" if to_payee else "refunded"  # released, or settled in full or for nothing
