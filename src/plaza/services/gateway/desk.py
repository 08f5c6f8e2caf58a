"""The gateway's decisions: make an offer, check a proof, close the hold with the outcome.

Kept apart from HTTP (:mod:`plaza.services.gateway.app`) so each rule reads as one
method: an offer is bound to its request's digest and saved with its secret before
it is sent; a proof names an offer and a hold message, and passes only if the hold
is open and pays exactly as offered and the request is the offered one, and then
claims the offer (once); the hold is released when the upstream answered below
400, refunded otherwise.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from plaza.channels import ChannelLedger
from plaza.clock import Clock
from plaza.crypto import Address, Identity
from plaza.ledger.holds import HoldStatus
from plaza.ledger.model import HoldPayload
from plaza.services.gateway.book import GatewayBook, StoredOffer
from plaza.services.offers import Offer, Receipt
from plaza.wallet.holds import compose_release, compose_settle, hold_id_of, new_lock

__all__ = ["GatewayDesk", "ProofRefused"]

#: How long an offer stands: for the client to hold and its hold to confirm.
OFFER_WINDOW_MS = 30_000


class ProofRefused(Exception):
    """A proof the gateway will not forward for: the HTTP status, a code, and why."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


@dataclass(frozen=True, slots=True)
class Claimed:
    offer: StoredOffer
    hold_id: bytes


class GatewayDesk:
    def __init__(
        self,
        identity: Identity,
        book: GatewayBook,
        ledger: ChannelLedger,
        *,
        price: int,
        clock: Clock,
        window_ms: int = OFFER_WINDOW_MS,
    ) -> None:
        self._identity, self.book, self._ledger = identity, book, ledger
        self.price, self._clock, self._window_ms = price, clock, window_ms
        self.address = Address.from_public_key(identity.public_key.raw)

    def offer(self, digest: bytes) -> Offer:
        """A fresh offer for the request of ``digest``, its secret saved before it is sent."""
        lock, now = new_lock(), self._clock.now_ms()
        stored = StoredOffer(
            secrets.token_bytes(16),
            digest,
            lock.secret,
            lock.hashlock,
            self.price,
            now + self._window_ms,
            "offered",
            None,
            None,
            now,
        )
        self.book.save(stored)
        return self._public(stored)

    def _public(self, stored: StoredOffer) -> Offer:
        offer = Offer(
            stored.offer_id,
            stored.digest,
            stored.hashlock,
            stored.price,
            stored.deadline_ms,
            str(self.address),
        )
        return offer.signed_by(self._identity.signing)

    def check(self, proof: str, digest: bytes) -> Claimed:
        """The offer and hold a proof names, claimed for this request; :class:`ProofRefused`."""
        offer_id, message_id = _parse_proof(proof)
        stored = self.book.get(offer_id)
        if stored is None:
            raise ProofRefused(400, "invalid_proof", "the proof names no offer of this gateway")
        if stored.state != "offered":
            raise ProofRefused(409, "proof_used", "this offer has paid for a request already")
        if stored.digest != digest:
            raise ProofRefused(400, "invalid_proof", "the proof's offer is for another request")
        hold_id = self._open_hold(stored, message_id)
        if not self.book.claim(offer_id, hold_id):
            raise ProofRefused(409, "proof_used", "this offer has paid for a request already")
        return Claimed(stored, hold_id)

    def _open_hold(self, stored: StoredOffer, message_id: bytes) -> bytes:
        message = self._ledger.message(message_id)
        payload = None if message is None else message.payload
        if message is None or not isinstance(payload, HoldPayload):
            raise ProofRefused(400, "invalid_proof", "the proof names no hold on the ledger")
        terms = (payload.payee, payload.amount, payload.hashlock, payload.expires_at_ms)
        offered = (self.address.raw, stored.price, stored.hashlock, stored.deadline_ms)
        if terms != offered or payload.arbiter:
            raise ProofRefused(400, "invalid_proof", "the hold does not pay as offered")
        hold_id = hold_id_of(message)
        record = self._ledger.hold(hold_id)
        if record is None or record.status is not HoldStatus.OPEN:
            raise ProofRefused(402, "payment_pending", "the hold is not open on the ledger (yet)")
        return hold_id

    def receipt(self, claimed: Claimed, status: int, response_digest: bytes) -> Receipt:
        """The signed receipt of a forwarded request: paid if the upstream answered below 400."""
        offer = claimed.offer
        receipt = Receipt(
            offer.offer_id, claimed.hold_id, offer.digest, status, response_digest, status < 400
        )
        return receipt.signed_by(self._identity.signing)

    def close(self, claimed: Claimed, status: int) -> None:
        """Release the hold if the upstream answered below 400, else refund it. It runs after
        the answer is sent (composing a message costs its proof of work and the node's
        tips); a gateway that dies in between leaves the hold to expire, refunding the client."""
        signer, paid = self._identity.signing, status < 400
        if paid:
            message = compose_release(self._ledger, signer, claimed.hold_id, claimed.offer.secret)
        else:
            reason = f"the upstream answered {status}".encode()
            message = compose_settle(self._ledger, signer, claimed.hold_id, 0, reason=reason)
        self._ledger.submit(message.raw)
        self.book.finish(claimed.offer.offer_id, "paid" if paid else "refunded", status)


def _parse_proof(proof: str) -> tuple[bytes, bytes]:
    offer_hex, _, message_hex = proof.strip().partition(":")
    try:
        offer_id, message_id = bytes.fromhex(offer_hex), bytes.fromhex(message_hex)
    except ValueError:
        offer_id = message_id = b""
    if len(offer_id) != 16 or len(message_id) != 32:
        raise ProofRefused(400, "invalid_proof", "Payment-Proof is <offer id>:<hold message id>")
    return offer_id, message_id
