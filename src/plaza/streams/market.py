"""Purchases through the one marketplace: a sensor's standing offer, a buyer's request,
the contract between them, and the transfer that pays it and carries the buyer's key.

A sensor with a marketplace keeps one open offer of kind ``stream``
(:mod:`plaza.streams.kind`) naming its channel, at its price per hour, large
enough to serve many buyers one after another. A buyer submits a request for
the seconds it wants, requiring that channel: it matches the offer at once (one
to one), and the marketplace signs the contract and records its twin. The buyer
pays the contract's total to the sensor in the marketplace's payment format,
with its X25519 key beside the contract id::

    tag  = "plaza-payment"
    data = {"contract": <id>, "reader": <X25519 hex>, "salt": <hex>}   (JSON, sorted keys)

The sensor checks the payment against the contract (its own, this payer's, the
whole total), grants the contract's seconds, and reports the delivery and asks
for payment; the buyer then reports its payment, which the marketplace reads
back from the ledger and fulfils.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass

from plaza.clients.errors import ConflictError
from plaza.clients.market import ContractRecord, MarketClient, OrderTerms
from plaza.crypto import Address, CryptoError, EncryptionKey, EncryptionPublicKey, InvalidAddress
from plaza.market.auth import Role
from plaza.market.contracts import SignedContract
from plaza.market.model import Location, OrderStatus, Requirements, attributes
from plaza.market.payments.service import PAYMENT_TAG as MARKET_PAYMENT_TAG
from plaza.streams.announcement import Sensor, SensorAnnouncement
from plaza.streams.catalog import hourly_price
from plaza.streams.errors import InvalidMemo, StreamError
from plaza.streams.kind import CHANNEL, STREAM
from plaza.wallet import Payment, Wallet

__all__ = [
    "MARKET_PAYMENT_TAG",
    "MarketPayment",
    "NoOffer",
    "contract_duration_ms",
    "ensure_participant",
    "hourly_price",
    "pay_contract",
    "request_stream",
    "standing_offer",
]

#: Seconds a standing offer holds (about three years); it is renewed when it runs low.
OFFER_SECONDS = 10**8
OFFER_VALIDITY_MS = 365 * 86_400_000
#: How long a buyer's request may wait on the book for an offer.
REQUEST_VALIDITY_MS = 3_600_000


class NoOffer(StreamError):
    code = "no_offer"


@dataclass(frozen=True, slots=True)
class MarketPayment:
    """What a buyer's payment of a contract carries: the contract, and the key to seal to."""

    contract_id: str
    reader: EncryptionPublicKey

    def encode(self) -> bytes:
        body = {"contract": self.contract_id, "reader": self.reader.raw.hex()}
        body["salt"] = secrets.token_hex(8)  # two payments are never the same message
        return json.dumps(body, sort_keys=True).encode()

    @classmethod
    def decode(cls, data: bytes) -> MarketPayment:
        try:
            body = json.loads(data)
            return cls(str(body["contract"]), EncryptionPublicKey(bytes.fromhex(body["reader"])))
        except (ValueError, KeyError, TypeError, CryptoError):
            raise InvalidMemo(
                "a contract payment names its contract and the reader's key"
            ) from None


def ensure_participant(client: MarketClient, name: str, role: Role) -> None:
    """Register the client's identity with ``role`` unless it is registered already."""
    try:
        client.register(name, roles=(role,))
    except ConflictError as error:
        if error.code != "participant_exists":
            raise


def standing_offer(
    client: MarketClient,
    channel_id: str,
    said: SensorAnnouncement,
    now_ms: int,
    known: str | None = None,
) -> str:
    """The id of the sensor's open offer: ``known`` while it is open and not run low,
    else a new one."""
    if known is not None:
        order = client.order(known)
        if order.status is OrderStatus.ACTIVE and order.remaining > OFFER_SECONDS // 10:
            return known
    terms = OrderTerms(
        STREAM.kind,
        OFFER_SECONDS,
        hourly_price(said.terms),
        now_ms,
        now_ms + OFFER_VALIDITY_MS,
        location=Location(said.latitude, said.longitude),
        attributes=attributes({CHANNEL: channel_id}),
    )
    return client.offer(terms).order.id


def request_stream(
    client: MarketClient, sensor: Sensor, seconds: int, now_ms: int
) -> ContractRecord:
    """A contract for ``seconds`` of ``sensor``'s stream: a request that meets its offer."""
    wanted = Requirements(attributes=attributes({CHANNEL: sensor.id}))
    price = hourly_price(sensor.announcement.terms)
    valid = (now_ms, now_ms + REQUEST_VALIDITY_MS)
    terms = OrderTerms(STREAM.kind, seconds, price, *valid, requirements=wanted)
    outcome = client.request(terms)
    if not outcome.contracts:
        client.cancel(outcome.order.id)
        raise NoOffer(f"sensor {sensor.announcement.name!r} has no open offer in the market")
    return outcome.contracts[0]


def contract_duration_ms(
    contract: SignedContract, *, provider: Address, payer: str, paid: int, minimum_ms: int = 0
) -> int | str:
    """The access a payment of ``paid`` from ``payer`` buys under ``contract``, or why none.
    The marketplace matches a request for any seconds; the sensor's minimum (``minimum_ms``)
    is the sensor's to enforce, as it is for a payment of too little. Paying more than the
    total buys proportionally more (rounded down), as a direct payment's surplus did."""
    match = contract.match
    try:
        parties = Address.parse(match.provider), Address.parse(match.consumer)
    except InvalidAddress:
        return "the contract's parties are not addresses"
    if match.kind != STREAM.kind or parties[0] != provider:
        return "the contract is not for this sensor's stream"
    if str(parties[1]) != payer:
        return "the payment does not come from the contract's consumer"
    if paid < contract.total:
        return f"it pays {paid}, the contract's total is {contract.total}"
    if match.quantity * 1000 < minimum_ms:
        return f"the contract buys {match.quantity} s, below the minimum of {minimum_ms} ms"
    bought_ms = match.quantity * 1000
    return bought_ms * paid // contract.total if contract.total else bought_ms


def pay_contract(
    market: MarketClient,
    wallet: Wallet,
    sensor: Sensor,
    record: ContractRecord,
    reader: EncryptionKey,
    *,
    timeout_s: float = 30.0,
) -> Payment:
    """Pay ``record``'s total to the sensor from the consumer's own address (the market
    identity's, one of ``wallet``'s), carrying the contract and ``reader``'s public key;
    returns once confirmed."""
    identity = market.identity
    if identity is None:
        raise StreamError("paying a contract needs the market identity of the consumer")
    payer = Address.from_public_key(identity.public_key.raw)
    data = MarketPayment(record.id, reader.public_key).encode()
    return wallet.send(
        sensor.announcement.pay_to,
        record.signed.total,
        tag=MARKET_PAYMENT_TAG,
        data=data,
        payer=payer,
        wait=True,
        timeout_s=timeout_s,
    )
