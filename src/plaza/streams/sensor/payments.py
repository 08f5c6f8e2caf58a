"""The sensor's till: confirmed payments in, grants sealed to the buyer or refunds out.

Each scan reads the payment address's history from the node and handles every
confirmed incoming transfer the book has not seen, oldest first, so payments
made while the sensor was down are honoured when it returns. A stream is sold
only as a marketplace contract: a payment in the marketplace's format
(:data:`~plaza.streams.market.MARKET_PAYMENT_TAG`, naming the contract and the
buyer's X25519 key) is checked against the contract, then buys its seconds by
the subscription rule: the subscription is extended in the book, the publisher
starts a key epoch wrapped for the buyer until its new end, and the reader key
is delivered sealed to that key (:func:`plaza.channels.deliver`). Too little,
another's contract, a direct payment (the PEGASUS way, which makes no order: only
its consumer can sign one) or none: the amount goes back to the payer with the
reason. Anything else (the faucet, a gift) is recorded and left alone. Only
``plaza bench streams``, which measures the channel layer, has direct payments
served (``channel_bench``).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace

from plaza.channels import ChannelLedger, Publisher, deliver
from plaza.clients.errors import ConflictError, NotFoundError
from plaza.clients.market import MarketClient
from plaza.clock import Clock
from plaza.crypto import Address, EncryptionPublicKey, Identity
from plaza.ledger.model import ConfirmationState, Conflict, TransferPayload
from plaza.ledger.ports import LedgerReader, Movement
from plaza.streams.errors import InvalidMemo
from plaza.streams.market import MARKET_PAYMENT_TAG, MarketPayment, contract_duration_ms
from plaza.streams.memo import PAYMENT_TAG, REFUND_TAG, PaymentMemo, RefundMemo
from plaza.streams.sensor.book import HandledPayment, SensorBook
from plaza.streams.terms import Bought, Terms, purchase
from plaza.wallet import Wallet

__all__ = ["PaymentDesk"]

log = logging.getLogger(__name__)

#: Movements read per scan; a full page of unseen payments reads :data:`_DEEP` instead.
_PAGE = 50
_DEEP = 1000
_MARKET_ONLY = "this sensor sells through its marketplace only: buy with plaza stream buy --market"
_NO_MARKET = "this sensor sells through a marketplace only, and it has none yet"


class PaymentDesk:
    """Serves the payments to one sensor's address; call :meth:`scan` as often as wanted."""

    def __init__(
        self,
        gateway: ChannelLedger,
        wallet: Wallet,
        book: SensorBook,
        publisher: Publisher,
        identity: Identity,
        *,
        terms: Terms,
        clock: Clock,
        market: MarketClient | None = None,
        channel_bench: bool = False,
    ) -> None:
        self._gateway, self._wallet, self._book = gateway, wallet, book
        self._publisher, self._identity = publisher, identity
        self.terms, self._clock, self._market = terms, clock, market
        #: Serve direct payments, which make no order: for ``plaza bench streams`` only.
        self._direct = channel_bench
        #: Where buyers pay: the identity's own address, the sensor's id in the market.
        self.address = Address.from_public_key(identity.public_key.raw)
        self._channel_id = publisher.channel.id

    def finish_unfinished(self) -> None:
        """Deliver what a crash left ``accepted`` and refund what it left ``refunding``."""
        for payment in self._book.unfinished():
            if payment.state == "accepted":
                self._serve(payment)
            else:
                self._refund(payment, check_ledger=True)

    def scan(self) -> list[HandledPayment]:
        """Handle every confirmed payment not handled yet; return them as recorded. What a
        failure left half-done (the node or the market not answering) is retried first."""
        self.finish_unfinished()
        movements = self._gateway.history(self.address, limit=_PAGE)
        if len(movements) == _PAGE and self._unseen(movements[-1]):
            movements = self._gateway.history(self.address, limit=_DEEP)
        handled = []
        for movement in reversed(movements):  # oldest first
            if self._unseen(movement):
                handled.append(self._handle(movement))
        return handled

    def _unseen(self, movement: Movement) -> bool:
        confirmed = movement.state is ConfirmationState.CONFIRMED
        applied = movement.conflict is Conflict.NONE
        incoming = movement.delta > 0 and confirmed and applied
        return incoming and movement.message_id not in self._book.handled

    def _handle(self, movement: Movement) -> HandledPayment:
        message = self._gateway.message(movement.message_id)
        assert message is not None  # the node listed it
        payer = str(Address.from_public_key(message.issuer))
        payload = message.payload
        tag = payload.tag if isinstance(payload, TransferPayload) else b""
        base = HandledPayment(
            movement.message_id,
            payer,
            movement.delta,
            None,
            "ignored",
            "not a stream payment",
            None,
            None,
            self._clock.now_ms(),
        )
        if payer == str(self.address) or tag not in {PAYMENT_TAG, MARKET_PAYMENT_TAG}:
            self._book.record(base)
            return base
        assert isinstance(payload, TransferPayload)
        if tag == PAYMENT_TAG and self._direct:
            return self._buy(base, payload.data)
        if self._market is None:
            return self._refund_new(base, _NO_MARKET)
        if tag == PAYMENT_TAG:
            return self._refund_new(base, _MARKET_ONLY)
        return self._buy_contract(base, payload.data, self._market)

    def _buy(self, base: HandledPayment, data: bytes) -> HandledPayment:
        try:
            memo = PaymentMemo.decode(data)
        except InvalidMemo as error:
            return self._refund_new(base, error.reason)
        if memo.channel_id != self._channel_id:
            return self._refund_new(base, "the payment names another stream")
        outcome = purchase(self.terms, base.amount)
        if not isinstance(outcome, Bought):
            return self._refund_new(base, outcome.reason)
        payment = replace(base, reader=memo.reader.raw, detail=f"{outcome.duration_ms} ms")
        ends = self._book.accept(payment, outcome.duration_ms).ends_at_ms
        return self._serve(replace(payment, state="accepted", ends_at_ms=ends))

    def _buy_contract(
        self, base: HandledPayment, data: bytes, market: MarketClient
    ) -> HandledPayment:
        """A payment of a marketplace contract: checked against the contract, then served."""
        try:
            memo = MarketPayment.decode(data)
        except InvalidMemo as error:
            return self._refund_new(base, error.reason)
        base = replace(base, contract=memo.contract_id)
        if self._book.contract_paid(memo.contract_id):
            return self._refund_new(base, f"contract {memo.contract_id} is paid already")
        try:  # any other market failure leaves the payment unseen: the next scan retries it
            record = market.contract(memo.contract_id)
        except NotFoundError:
            return self._refund_new(base, f"the marketplace has no contract {memo.contract_id}")
        outcome = contract_duration_ms(
            record.signed,
            provider=self.address,
            payer=base.payer,
            paid=base.amount,
            minimum_ms=self.terms.minimum_ms,
        )
        if isinstance(outcome, str):
            return self._refund_new(base, outcome)
        payment = replace(base, reader=memo.reader.raw, detail=f"{outcome} ms")
        ends = self._book.accept(payment, outcome).ends_at_ms
        return self._serve(replace(payment, state="accepted", ends_at_ms=ends))

    def _serve(self, payment: HandledPayment) -> HandledPayment:
        """Start an epoch wrapped for the buyer until its subscription ends; deliver its key."""
        assert payment.reader is not None
        reader = EncryptionPublicKey(payment.reader)
        ends = max(s.ends_at_ms for s in self._book.subscriptions() if s.reader == payment.reader)
        if ends > self._clock.now_ms():
            if payment.contract is not None and self._market is not None:
                self._report_delivery(self._market, payment.contract)
            key = self._publisher.grant(reader, expires_at_ms=ends)
            deliver(self._gateway, self._identity, reader, key, clock=self._clock)
            log.info("granted %s until %d from position %d", reader, ends, key.position)
        self._book.finish(payment.message_id, "delivered")
        return replace(payment, state="delivered", ends_at_ms=ends)

    def _report_delivery(self, market: MarketClient, contract: str) -> None:
        """Delivery reported and payment asked for, before the grant goes out (so the buyer,
        once granted, can report its payment). A contract whose state refuses it (cancelled
        meanwhile) does not withhold what was paid for; a market that is down is retried."""
        try:
            market.report_delivery(contract)
            market.request_payment(contract)
        except ConflictError as error:
            log.warning("contract %s refused the delivery report: %s", contract, error)

    def _refund_new(self, base: HandledPayment, reason: str) -> HandledPayment:
        payment = replace(base, state="refunding", detail=reason)
        self._book.record(payment)
        return self._refund(payment, check_ledger=False)

    def _refund(self, payment: HandledPayment, *, check_ledger: bool) -> HandledPayment:
        refund_id = self._refund_on_ledger(payment.message_id) if check_ledger else None
        if refund_id is None:
            memo = RefundMemo(payment.message_id, payment.detail).encode()
            sent = self._wallet.send(
                payment.payer, payment.amount, tag=REFUND_TAG, data=memo, payer=self.address
            )
            refund_id = sent.message_ids[0]
            log.info("refunded %d to %s: %s", payment.amount, payment.payer, payment.detail)
        self._book.finish(payment.message_id, "refunded", refund_id)
        return replace(payment, state="refunded", refund_id=refund_id)

    def _refund_on_ledger(self, payment_id: bytes) -> bytes | None:
        """The refund of ``payment_id`` this sensor already sent, if the ledger has it."""
        outgoing = [m for m in self._gateway.history(self.address, limit=_DEEP) if m.delta < 0]
        return _find_refund(self._gateway, outgoing, payment_id)


def _find_refund(
    gateway: LedgerReader, movements: Sequence[Movement], payment_id: bytes
) -> bytes | None:
    for movement in movements:
        message = gateway.message(movement.message_id)
        payload = None if message is None else message.payload
        if isinstance(payload, TransferPayload) and payload.tag == REFUND_TAG:
            try:
                if RefundMemo.decode(payload.data).payment_id == payment_id:
                    return movement.message_id
            except InvalidMemo:
                continue
    return None
