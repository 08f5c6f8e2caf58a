"""How a device pays on the ledger: its wallet, funded by its owner on demand.

:class:`LedgerPaymentPort` is the asset's
:class:`~plaza.energy.asset.ports.PaymentPort` over Plaza's
:class:`~plaza.market.payments.service.LedgerPayments`; when the device's wallet
is short, :class:`OwnerFunder` asks the owner's user module for coins with a
sealed ``/fund`` letter and believes the ledger, not the reply.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from plaza.clock import Clock
from plaza.crypto import Address, Identity, SigningKey
from plaza.energy.asset.config import AssetConfig
from plaza.energy.asset.payments import MESSAGE_ID
from plaza.energy.envelope import seal_letter
from plaza.energy.ledger import LedgerAccess
from plaza.ledger.model import TransferPayload
from plaza.market.auth.outbox import Link
from plaza.market.payments.service import (
    DeviceAccount,
    Funding,
    LedgerPayments,
    check_ledger_payment,
)
from plaza.market.settlement import Contract, PaymentFailed, PaymentStatus, PreparedPayment

__all__ = ["LedgerPaymentPort", "OwnerFunder"]


class OwnerFunder:
    """:class:`~plaza.market.payments.service.Funder` by a sealed ``/fund`` letter to the owner.

    The owner's reply names the funding transfer; what counts is what that transfer
    credits this wallet on the ledger, not what the reply says. The letter carries the
    ``reference`` of the need it funds (the same in every retry of that need), and the
    owner pays each reference once: a letter retried after a lost reply gets the
    transfer already made instead of a second one.
    """

    #: What the owner accepts as a ``/fund`` reference (``assetId:recordId`` fits).
    REFERENCE = re.compile(r"[A-Za-z0-9_.:-]{1,128}")

    def __init__(
        self,
        *,
        link: Link,
        ledger: LedgerAccess,
        identity: Identity,
        config: Callable[[], AssetConfig],
        clock: Clock,
        balance: Callable[[], int],
    ) -> None:
        self._link = link
        self._ledger = ledger
        self._identity = identity
        self._config = config
        self._clock = clock
        self._balance = balance

    def fund(self, payee: Address, amount: int, *, reference: str) -> list[Funding]:
        if not self.REFERENCE.fullmatch(reference):
            raise PaymentFailed(reference, "the reference is not 1 to 128 of A-Z a-z 0-9 _ . : -")
        config = self._config()
        body = {
            "assetId": config.asset_id,
            "type": str(config.type),
            "amount": amount,
            "walletAddress": str(payee),
            "balance": self._balance(),
            "reference": reference,
        }
        document = seal_letter(
            body,
            sender=config.asset_id,
            identity=self._identity,
            recipient=config.owner_key,
            audience=config.asset_owner,
            now_ms=self._clock.now_ms(),
        )
        reply = self._link.post(config.owner_api, "/fund", document)
        return [self._funding(reply.get("messageId"), payee, reference)]

    def _funding(self, message_id: object, payee: Address, reference: str) -> Funding:
        """What the transfer the owner's reply names credits ``payee``, read on the ledger."""
        if not isinstance(message_id, str) or not MESSAGE_ID.fullmatch(message_id):
            raise PaymentFailed(reference, "the owner's /fund reply names no messageId")
        message = self._ledger.ledger.message(bytes.fromhex(message_id))
        if message is None or not isinstance(message.payload, TransferPayload):
            raise PaymentFailed(reference, f"the funding {message_id} is not on the ledger")
        credited = sum(o.amount for o in message.payload.outputs if o.address == payee.raw)
        if credited <= 0:
            raise PaymentFailed(reference, f"the funding {message_id} pays this wallet nothing")
        return Funding(message.id, credited, message.issued_at_ms)


class LedgerPaymentPort:
    """The asset's :class:`~plaza.energy.asset.ports.PaymentPort` on the real ledger."""

    def __init__(self, ledger: LedgerAccess, wallet_key: SigningKey, funder: OwnerFunder) -> None:
        self._ledger = ledger
        self._device = DeviceAccount(wallet_key, funder)
        self._payments = LedgerPayments(ledger.ledger, [self._device])

    def balance(self) -> int:
        return self._ledger.ledger.balance(self._device.address).amount

    def available(self) -> int:
        return self._payments.available(self._device.participant_id)

    def fund(self, amount: int, *, reference: str) -> None:
        self._payments.fund(self._device.participant_id, amount, reference=reference)

    def prepare(self, contract: Contract) -> PreparedPayment:
        return self._payments.prepare(contract)

    def submit(self, payment: PreparedPayment) -> None:
        self._payments.submit(payment)

    def status(self, payment: PreparedPayment) -> PaymentStatus:
        return self._payments.status(payment)

    def received(self, contract: Contract, message_id: bytes) -> bool:
        message = self._ledger.ledger.message(message_id)
        if message is None:
            return False  # not (yet) on this node: look again next cycle
        check_ledger_payment(contract, message_id, message)
        return self._ledger.confirmed(message_id)
