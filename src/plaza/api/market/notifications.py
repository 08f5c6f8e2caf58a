"""Marketplace events for the notification hub, addressed to the parties they concern.

The hub matches subscriptions by query alone and keeps no owner, while most
marketplace events are private (a contract concerns its provider and consumer).
So every event is published once per party, with that party in
``event.recipient``, and every subscription (webhook or live stream) made
through the API is pinned to ``event.recipient=<the subscriber>``. The pin is
what keeps one participant from receiving another's events, and it is also how
the API knows who owns a subscription. Auditors read through the audit
endpoints; no event is addressed to them.

Events, TM Forum style:

* ``ContractCreateEvent`` - a settlement opened for a new contract (whatever
  made it: a submission, a periodic clearing, a reconciliation);
* ``ContractStateChangeEvent`` - every later settlement step;
* ``OrderStateChangeEvent`` - an order was accepted, matched, cancelled,
  disabled or enabled through the API;
* ``AssetCreateEvent`` - an asset was registered (a replayed registration is
  no event);
* ``AssetAttributeValueChangeEvent`` - its owner described it anew (name,
  location, attributes; the same description again is no event);
* ``AssetStateChangeEvent`` - it was disabled or enabled;
* ``AssetDeleteEvent`` - it was removed (retired for good; the record stays,
  ``removed``).

Assets are public like orders, and like an order's, an asset's events go to
its owner alone. They come from the bid manager, which calls
:meth:`MarketNotifier.asset_changed` once per stored state (the notifier is its
:class:`~plaza.market.assets.ports.AssetListener`), whatever made the change.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from plaza.clock import Clock
from plaza.market.model import Asset, AssetEvent, Order
from plaza.market.settlement import Settlement
from plaza.notify import Event, EventQuery, InvalidSubscription, NotificationHub, Subscription

__all__ = [
    "ASSET_ATTRIBUTES_CHANGED",
    "ASSET_CREATED",
    "ASSET_DELETED",
    "ASSET_EVENT_TYPES",
    "ASSET_STATE_CHANGED",
    "CONTRACT_CREATED",
    "CONTRACT_STATE_CHANGED",
    "ORDER_STATE_CHANGED",
    "RECIPIENT_FIELD",
    "MarketNotifier",
    "pinned_query",
    "subscriber_of",
]

log = logging.getLogger(__name__)

CONTRACT_CREATED = "ContractCreateEvent"
CONTRACT_STATE_CHANGED = "ContractStateChangeEvent"
ORDER_STATE_CHANGED = "OrderStateChangeEvent"
ASSET_CREATED = "AssetCreateEvent"
ASSET_ATTRIBUTES_CHANGED = "AssetAttributeValueChangeEvent"
ASSET_STATE_CHANGED = "AssetStateChangeEvent"
ASSET_DELETED = "AssetDeleteEvent"
#: Which event announces the state an asset event (:class:`AssetEvent`) made.
ASSET_EVENT_TYPES = {
    AssetEvent.REGISTERED: ASSET_CREATED,
    AssetEvent.UPDATED: ASSET_ATTRIBUTES_CHANGED,
    AssetEvent.DISABLED: ASSET_STATE_CHANGED,
    AssetEvent.ENABLED: ASSET_STATE_CHANGED,
    AssetEvent.REMOVED: ASSET_DELETED,
}
#: The query field every API subscription is pinned to.
RECIPIENT_FIELD = "event.recipient"


def pinned_query(text: str, subscriber: str) -> EventQuery:
    """The subscriber's TMF ``query``, narrowed to events addressed to the subscriber."""
    query = EventQuery.parse(text)
    named = {value for name, value in query.fields if name == RECIPIENT_FIELD}
    if named - {subscriber}:
        raise InvalidSubscription(f"{RECIPIENT_FIELD} can only be the subscriber itself")
    fields = tuple(sorted({*query.fields, (RECIPIENT_FIELD, subscriber)}))
    return EventQuery(query.event_types, fields)


def subscriber_of(subscription: Subscription) -> str | None:
    """Who a subscription made through the API belongs to: its pinned recipient."""
    pinned = [value for name, value in subscription.query.fields if name == RECIPIENT_FIELD]
    return pinned[0] if len(pinned) == 1 else None


def _contract_payload(before: Settlement, after: Settlement) -> dict[str, Any]:
    contract = after.contract
    return {
        "id": contract.id,
        "provider": contract.provider,
        "consumer": contract.consumer,
        "quantity": contract.quantity,
        "unitPrice": contract.unit_price,
        "total": contract.total,
        "state": after.phase.value,
        "previousState": before.phase.value,
        "deadlineMs": after.deadline_ms,
    }


def _order_payload(order: Order) -> dict[str, Any]:
    return {
        "id": order.id,
        "side": order.side.value,
        "kind": order.kind,
        "owner": order.owner,
        "quantity": order.quantity,
        "remaining": order.remaining,
        "unitPrice": order.unit_price,
        "state": order.status.value,
    }


def _asset_payload(before: Asset | None, after: Asset) -> dict[str, Any]:
    location = after.location
    return {
        "id": after.id,
        "owner": after.owner,
        "kind": after.kind,
        "name": after.name,
        "location": None if location is None else {"lat": location.lat, "lon": location.lon},
        "attributes": dict(after.attributes),
        "state": after.status.value,
        "previousState": None if before is None else before.status.value,
        "event": after.event.value,
        "version": after.version,
        "registeredAtMs": after.registered_at_ms,
        "updatedAtMs": after.updated_at_ms,
    }


def _asset_changes(before: Asset | None, after: Asset) -> list[str]:
    """The fields (as in the payload) that differ from the state before; none for a new one."""
    if before is None:
        return []
    fields = {
        "name": (before.name, after.name),
        "location": (before.location, after.location),
        "attributes": (before.attributes, after.attributes),
        "state": (before.status, after.status),
    }
    return [name for name, (old, new) in fields.items() if old != new]


class MarketNotifier:
    """Turns settlement steps, order and asset changes into hub events, one per recipient.

    It is the settlement service's :class:`~plaza.market.settlement.SettlementListener`
    and the bid manager's :class:`~plaza.market.assets.ports.AssetListener`; the API calls
    :meth:`orders_changed` after each order step it performed.
    Publishing never fails the step that caused it: errors are logged.
    """

    def __init__(self, hub: NotificationHub, clock: Clock) -> None:
        self._hub = hub
        self._clock = clock

    def changed(self, before: Settlement, after: Settlement, step: str) -> None:
        event_type = CONTRACT_CREATED if step == "open" else CONTRACT_STATE_CHANGED
        payload = {"contract": _contract_payload(before, after), "step": step}
        contract = after.contract
        self._publish(event_type, payload, (contract.provider, contract.consumer))

    def orders_changed(self, orders: Iterable[Order]) -> None:
        for order in orders:
            self._publish(ORDER_STATE_CHANGED, {"order": _order_payload(order)}, (order.owner,))

    def asset_changed(self, before: Asset | None, after: Asset) -> None:
        """Announce one new asset state to the asset's owner (as an order's to its owner)."""
        payload = {
            "asset": _asset_payload(before, after),
            "changedFields": _asset_changes(before, after),
        }
        self._publish(ASSET_EVENT_TYPES[after.event], payload, (after.owner,))

    def announce(
        self, event_type: str, payload: Mapping[str, Any], recipients: Iterable[str]
    ) -> None:
        """A vertical's own event (a telco ``ProductOrderCreateEvent``, say), published once
        per recipient like the market's, so pinned subscriptions see only their owner's."""
        self._publish(event_type, payload, recipients)

    def _publish(
        self, event_type: str, payload: Mapping[str, Any], recipients: Iterable[str]
    ) -> None:
        now_ms = self._clock.now_ms()
        for recipient in dict.fromkeys(recipients):
            addressed = {**payload, "recipient": recipient}
            try:
                event = Event.new(event_type, addressed, time_ms=now_ms, participants=(recipient,))
                self._hub.publish(event)
            except Exception:
                log.exception("could not publish %s to %s", event_type, recipient)
