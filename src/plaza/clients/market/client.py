"""A synchronous client of the marketplace API (``/api/v1/market``).

::

    with MarketClient("http://127.0.0.1:8660", identity=identity) as market:
        market.register("solar roof 7", roles=[Role.PROVIDER])
        sold = market.offer("energy", quantity=200, unit_price=15,
                            valid_from_ms=start, valid_until_ms=end)
        for record in sold.contracts:
            record.signed.check_signature()

Every call is signed by ``identity`` (or carries ``api_key``); errors are the
``plaza.clients.node`` exceptions, by status and code (``ForbiddenError``,
``ConflictError``...). Answers are the market's values: ``Order``,
``Participant``, and contracts as :class:`~plaza.clients.market.models.ContractRecord`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from types import TracebackType
from typing import Any, Self, TypeVar
from urllib.parse import quote

import httpx

from plaza.clients.market.assets import (
    AssetRegistered,
    AssetTerms,
    asset_body,
    change_body,
    parse_asset,
    parse_registered,
)
from plaza.clients.market.audit import SentKey, parse_audit_report, parse_sent_keys
from plaza.clients.market.models import (
    ApiKeyRecord,
    ContractRecord,
    HubSubscription,
    IssuedApiKeyRecord,
    MarketInfo,
    SubmissionRecord,
    parse_api_key,
    parse_contract,
    parse_order,
    parse_participant,
    parse_submission,
    parse_suggestion,
)
from plaza.clients.market.orders import OrderTerms, order_body
from plaza.clients.market.transport import Params, SystemClock, Transport
from plaza.clients.node import EventStreamReader, UnexpectedResponseError
from plaza.clock import Clock
from plaza.crypto import Identity
from plaza.market.assets.model import AssetChange
from plaza.market.audit.service import AuditReport
from plaza.market.auth import Participant, Role, Scope, SignedRegistration, sign_registration
from plaza.market.book.views import Suggestion
from plaza.market.model import Asset, Order, Side

__all__ = ["MarketClient"]

T = TypeVar("T")


def _segment(text: str) -> str:
    """A path segment; quoted so that no id can reach another route."""
    return quote(text, safe="")


def _parsed(body: Any, parse: Callable[[Any], T]) -> T:
    try:
        return parse(body)
    except (KeyError, TypeError, ValueError) as error:
        raise UnexpectedResponseError(f"unexpected answer: {error!r}") from error


def _registration_body(signed: SignedRegistration) -> dict[str, Any]:
    registration = signed.registration
    return {
        "signing_key": registration.signing_key.raw.hex(),
        "encryption_key": registration.encryption_key.raw.hex(),
        "display_name": registration.display_name,
        "roles": sorted(registration.roles),
        "issued_at_ms": registration.issued_at_ms,
        "signature": signed.signature.hex(),
    }


class MarketClient:
    """Talks to one marketplace as one participant; use as a context manager or :meth:`close`."""

    def __init__(
        self,
        base_url: str,
        *,
        identity: Identity | None = None,
        api_key: str | None = None,
        clock: Clock | None = None,
        timeout: float = 10.0,
        seal_bodies: bool = False,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._clock = clock or SystemClock()
        self._transport = Transport(
            base_url,
            identity=identity,
            api_key=api_key,
            clock=self._clock,
            timeout=timeout,
            seal_bodies=seal_bodies,
            http_transport=transport,
        )

    @property
    def identity(self) -> Identity | None:
        """The identity this client signs with, if it signs (not with an API key)."""
        return self._transport.identity

    def prepare(
        self, method: str, path: str, *, params: Params | None = None, body: Any = None
    ) -> httpx.Request:
        """A request to ``/api/v1/market`` + ``path``, authenticated but not sent: for tools
        that send it with their own HTTP stack. Send it once; a signed copy is a replay."""
        return self._transport.build(method, path, params=params, body=body)

    def close(self) -> None:
        self._transport.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _call(self, method: str, path: str, parse: Callable[[Any], T], **kwargs: Any) -> T:
        return _parsed(self._transport.call(method, path, **kwargs), parse)

    def _items(
        self,
        path: str,
        parse: Callable[[Any], T],
        params: Params | None = None,
        *,
        auth: bool = True,
    ) -> list[T]:
        def parse_all(body: Any) -> list[T]:
            return [parse(item) for item in body["items"]]

        return self._call("GET", path, parse_all, params=params, auth=auth)

    # -- the service -------------------------------------------------------------------

    def info(self) -> MarketInfo:
        """The marketplace's audience, keys, policy and clock (read once, then cached)."""
        return self._transport.info()

    def health(self) -> bool:
        """Whether the marketplace answers its liveness probe."""
        return self._transport.health()

    # -- participants and API keys -----------------------------------------------------

    def register(
        self, display_name: str, *, roles: Iterable[Role] = (Role.PROVIDER,)
    ) -> Participant:
        """Register this client's identity (providers and consumers register themselves)."""
        identity = self._require_identity()
        signed = sign_registration(
            identity.signing,
            identity.encryption.public_key,
            display_name=display_name,
            roles=roles,
            audience=self.info().audience,
            clock=self._clock,
        )
        body = _registration_body(signed)
        return self._call("POST", "/participants", parse_participant, body=body, auth=False)

    def sponsor(self, signed: SignedRegistration) -> Participant:
        """Register someone else's signed registration as this (operator) client's sponsor."""
        body = _registration_body(signed)
        return self._call("POST", "/participants", parse_participant, body=body)

    def me(self) -> Participant:
        return self._call("GET", "/participants/me", parse_participant)

    def participants(self, *, limit: int = 100, offset: int = 0) -> list[Participant]:
        """Every participant (auditors and operators only)."""
        return self._items("/participants", parse_participant, {"limit": limit, "offset": offset})

    def create_api_key(
        self,
        name: str,
        scopes: Iterable[Scope],
        *,
        expires_in_s: int | None = None,
        expires_at_ms: int | None = None,
    ) -> IssuedApiKeyRecord:
        """A new key for this participant; with an expiry it stops by itself then."""
        body: dict[str, object] = {"name": name, "scopes": sorted(scopes)}
        if expires_in_s is not None:
            body["expires_in_s"] = expires_in_s
        if expires_at_ms is not None:
            body["expires_at_ms"] = expires_at_ms

        def parse(answer: Any) -> IssuedApiKeyRecord:
            return IssuedApiKeyRecord(parse_api_key(answer["key"]), str(answer["secret"]))

        return self._call("POST", "/api-keys", parse, body=body)

    def api_keys(self) -> list[ApiKeyRecord]:
        return self._items("/api-keys", parse_api_key)

    def revoke_api_key(self, key_id: str) -> ApiKeyRecord:
        return self._call("DELETE", f"/api-keys/{_segment(key_id)}", parse_api_key)

    # -- orders ------------------------------------------------------------------------

    def submit(
        self, side: Side, terms: OrderTerms, *, idempotency_key: str | None = None
    ) -> SubmissionRecord:
        """Submit an offer or request owned by this client's participant."""
        path = "/offers" if side is Side.OFFER else "/requests"
        headers = {} if idempotency_key is None else {"Idempotency-Key": idempotency_key}
        return self._call("POST", path, parse_submission, body=order_body(terms), headers=headers)

    def offer(self, terms: OrderTerms, *, idempotency_key: str | None = None) -> SubmissionRecord:
        return self.submit(Side.OFFER, terms, idempotency_key=idempotency_key)

    def request(self, terms: OrderTerms, *, idempotency_key: str | None = None) -> SubmissionRecord:
        return self.submit(Side.REQUEST, terms, idempotency_key=idempotency_key)

    def order(self, order_id: str) -> Order:
        return self._call("GET", f"/orders/{_segment(order_id)}", parse_order, auth=False)

    def orders(self, **query: object) -> list[Order]:
        """The public marketplace page; ``kind``, ``side``, ``min_price``, ``max_price``,
        ``lat``/``lon``/``radius_km``, ``min_quality`` and ``limit`` narrow it."""
        return self._items("/orders", parse_order, query, auth=False)

    def cancel(self, order_id: str) -> Order:
        return self._call("POST", f"/orders/{_segment(order_id)}/cancel", parse_order)

    def disable(self, order_id: str) -> Order:
        return self._call("POST", f"/orders/{_segment(order_id)}/disable", parse_order)

    def enable(self, order_id: str) -> SubmissionRecord:
        return self._call("POST", f"/orders/{_segment(order_id)}/enable", parse_submission)

    def suggestions(self, order_id: str) -> list[Suggestion]:
        return self._items(f"/orders/{_segment(order_id)}/suggestions", parse_suggestion)

    def confirm(
        self,
        order_id: str,
        counter_id: str,
        *,
        quantity: int | None = None,
        idempotency_key: str | None = None,
    ) -> ContractRecord:
        """Match one of this participant's orders with a suggested counterpart."""
        body: dict[str, Any] = {"counter_id": counter_id}
        if quantity is not None:
            body["quantity"] = quantity
        headers = {} if idempotency_key is None else {"Idempotency-Key": idempotency_key}
        path = f"/orders/{_segment(order_id)}/confirm"
        return self._call("POST", path, parse_contract, body=body, headers=headers)

    # -- assets ------------------------------------------------------------------------

    def register_asset(
        self, terms: AssetTerms, *, idempotency_key: str | None = None
    ) -> AssetRegistered:
        """Register an asset owned by this client's participant; orders may then name it."""
        headers = {} if idempotency_key is None else {"Idempotency-Key": idempotency_key}
        body = asset_body(terms)
        return self._call("POST", "/assets", parse_registered, body=body, headers=headers)

    def asset(self, asset_id: str) -> Asset:
        return self._call("GET", f"/assets/{_segment(asset_id)}", parse_asset, auth=False)

    def asset_history(self, asset_id: str) -> list[Asset]:
        """Every state the asset went through, oldest first (public, as the asset is)."""
        return self._items(f"/assets/{_segment(asset_id)}/history", parse_asset, auth=False)

    def assets(self, **query: object) -> list[Asset]:
        """Registered assets (public); ``kind``, ``owner``, ``status`` (``active`` by default,
        ``any``), ``lat``/``lon``/``radius_km``, ``limit`` and ``offset`` narrow it."""
        return self._items("/assets", parse_asset, query, auth=False)

    def update_asset(self, asset_id: str, change: AssetChange) -> Asset:
        """Describe one of this participant's assets anew (its kind never changes)."""
        path = f"/assets/{_segment(asset_id)}"
        return self._call("PUT", path, parse_asset, body=change_body(change))

    def disable_asset(self, asset_id: str) -> Asset:
        return self._call("POST", f"/assets/{_segment(asset_id)}/disable", parse_asset)

    def enable_asset(self, asset_id: str) -> Asset:
        return self._call("POST", f"/assets/{_segment(asset_id)}/enable", parse_asset)

    def remove_asset(self, asset_id: str) -> Asset:
        """Retire one of this participant's assets for good (refused while orders name it)."""
        return self._call("DELETE", f"/assets/{_segment(asset_id)}", parse_asset)

    # -- contracts ---------------------------------------------------------------------

    def contract(self, contract_id: str) -> ContractRecord:
        return self._call("GET", f"/contracts/{_segment(contract_id)}", parse_contract)

    def contracts(self, *, limit: int = 100, offset: int = 0) -> list[ContractRecord]:
        """This participant's contracts, newest first."""
        return self._items("/contracts", parse_contract, {"limit": limit, "offset": offset})

    def report_delivery(self, contract_id: str) -> ContractRecord:
        return self._call("POST", f"/contracts/{_segment(contract_id)}/delivery", parse_contract)

    def request_payment(self, contract_id: str) -> ContractRecord:
        path = f"/contracts/{_segment(contract_id)}/payment-request"
        return self._call("POST", path, parse_contract)

    def report_payment(self, contract_id: str, message_id: bytes | str) -> ContractRecord:
        """Tell the marketplace this consumer paid the contract on the ledger, in the transfer
        ``message_id`` (bytes or hex); :class:`~plaza.clients.node.PaymentRejectedError` if that
        transfer does not pay it. The contract is fulfilled once the ledger confirms it."""
        text = message_id.hex() if isinstance(message_id, bytes) else message_id
        path = f"/contracts/{_segment(contract_id)}/payment"
        return self._call("POST", path, parse_contract, body={"message_id": text})

    # -- audit (auditors and operators only) -------------------------------------------

    def audit_contract(self, contract_id: str) -> AuditReport:
        """The contract's twin on the ledger, verified and compared with the database."""
        return self._call("GET", f"/audit/contracts/{_segment(contract_id)}", parse_audit_report)

    def audit_order(self, order_id: str) -> AuditReport:
        """The order's twin on the ledger, verified and compared with the book."""
        return self._call("GET", f"/audit/orders/{_segment(order_id)}", parse_audit_report)

    def audit_asset(self, asset_id: str) -> AuditReport:
        """The asset's twin on the ledger (every state), verified and compared with the
        database."""
        return self._call("GET", f"/audit/assets/{_segment(asset_id)}", parse_audit_report)

    def request_audit_keys(
        self,
        *,
        orders: Iterable[str] = (),
        contracts: Iterable[str] = (),
        assets: Iterable[str] = (),
    ) -> list[SentKey]:
        """Have the twins' read-only keys sealed to this auditor's inbox on the ledger, to
        audit from here with :class:`~plaza.market.audit.channels.InboxTwinKeys`."""
        body = {"orders": list(orders), "contracts": list(contracts), "assets": list(assets)}
        return self._call("POST", "/audit/keys", parse_sent_keys, body=body)

    # -- notifications -----------------------------------------------------------------

    def subscribe(self, callback: str, *, query: str = "") -> HubSubscription:
        """A webhook for this participant's events; keep the returned secret to check posts."""

        def parse(body: Any) -> HubSubscription:
            return HubSubscription(
                str(body["id"]), str(body["callback"]), str(body["query"]), str(body["secret"])
            )

        return self._call("POST", "/hub", parse, body={"callback": callback, "query": query})

    def unsubscribe(self, subscription_id: str) -> None:
        self._transport.call("DELETE", f"/hub/{_segment(subscription_id)}")

    def events(self, *, query: str = "") -> EventStreamReader:
        """This participant's live events (``ClientEvent(kind=eventType, data=TMF body)``)."""
        request = self._transport.build("GET", "/events", params={"query": query or None})
        return EventStreamReader(self._transport.send(request, stream=True))

    def _require_identity(self) -> Identity:
        identity = self.identity
        if identity is None:
            raise ValueError("registering needs the client's identity (its signing key)")
        return identity
