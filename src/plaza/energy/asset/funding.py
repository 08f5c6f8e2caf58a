"""How a device's wallet is funded by its owner on demand.

The device pays with the market's :class:`~plaza.market.payments.service.LedgerPayments`;
when its wallet is short, :class:`OwnerFunder` (that account's
:class:`~plaza.market.payments.service.Funder`) asks the owner's user module for coins
with a sealed ``/fund`` letter and believes the ledger, not the reply.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from plaza.clock import Clock
from plaza.crypto import Address, Identity
from plaza.energy.asset.config import AssetConfig
from plaza.energy.asset.payments import MESSAGE_ID
from plaza.energy.envelope import seal_letter
from plaza.energy.ledger import LedgerAccess
from plaza.ledger.model import TransferPayload
from plaza.market.auth.outbox import Link
from plaza.market.payments.service import Funding
from plaza.market.settlement import PaymentFailed

__all__ = ["OwnerFunder"]


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
    ) -> None:
        self._link = link
        self._ledger = ledger
        self._identity = identity
        self._config = config
        self._clock = clock

    def fund(self, payee: Address, amount: int, *, reference: str) -> list[Funding]:
        if not self.REFERENCE.fullmatch(reference):
            raise PaymentFailed(reference, "the reference is not 1 to 128 of A-Z a-z 0-9 _ . : -")
        config = self._config()
        body = {
            "assetId": config.asset_id,
            "type": str(config.type),
            "amount": amount,
            "walletAddress": str(payee),
            "balance": self._ledger.ledger.balance(payee).amount,
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
