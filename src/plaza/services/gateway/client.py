"""The client's side of the 402 gateway: ask, pay the offer if it is the one asked, ask again.

:func:`paid_request` sends the request; on ``402`` it checks the offer (signed by
the key of the address it pays, bound to this very request, within
``max_price``), holds the price with the offer's hashlock and deadline, waits for
the hold to confirm, and sends the same request with the proof. It returns the
gateway's answer and its verified receipt.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from plaza.crypto import SigningKey
from plaza.services.customer import CustomerLedger
from plaza.services.errors import CallRefused, InvalidQuote
from plaza.services.offers import Offer, Receipt, request_digest
from plaza.wallet.holds import compose_hold

__all__ = ["PaidAnswer", "paid_request"]


@dataclass(frozen=True, slots=True)
class PaidAnswer:
    response: httpx.Response
    offer: Offer | None
    receipt: Receipt | None
    proof: str | None


def paid_request(
    ledger: CustomerLedger,
    payer: SigningKey,
    http: httpx.Client,
    method: str,
    url: str,
    *,
    content: bytes = b"",
    max_price: int,
    confirm_timeout_s: float = 30.0,
) -> PaidAnswer:
    """The answer to ``method url``, paid through the gateway's offer if it asks for one."""
    first = http.request(method, url, content=content)
    if first.status_code != 402:
        return PaidAnswer(first, None, None, None)
    offer = _acceptable_offer(first, method, url, content, max_price)
    held = compose_hold(
        ledger,
        payer,
        offer.pay_to,
        offer.price,
        expires_at_ms=offer.deadline_ms,
        hashlock=offer.hashlock,
    )
    ledger.submit(held.message.raw)
    ledger.wait_for_confirmation(held.message.id, timeout_s=confirm_timeout_s)
    proof = f"{offer.offer_id.hex()}:{held.message.id.hex()}"
    answer = http.request(method, url, content=content, headers={"Payment-Proof": proof})
    receipt = None
    if "payment-receipt" in answer.headers:
        receipt = Receipt.from_header(answer.headers["payment-receipt"]).verify(offer.pay_to)
    return PaidAnswer(answer, offer, receipt, proof)


def _acceptable_offer(
    response: httpx.Response, method: str, url: str, content: bytes, max_price: int
) -> Offer:
    try:
        offer = Offer.from_header(response.headers.get("payment-required", ""))
        offer.verify(offer.pay_to)
    except InvalidQuote as error:
        raise CallRefused(bytes(16), f"the gateway's offer is not valid: {error}") from None
    target = httpx.URL(url).raw_path
    if offer.request_digest != request_digest(method, target, content):
        raise CallRefused(offer.offer_id, "the gateway's offer is for another request")
    if offer.price > max_price:
        raise CallRefused(offer.offer_id, f"the gateway asks {offer.price}, over {max_price}")
    return offer
