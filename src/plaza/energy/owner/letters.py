"""Letters from devices to their owner: who may send them, and what their bodies must say.

Every owner's letters are sealed to the user module's one key, so the audience
tells owners apart: it must be the id of the owner of the sending device. The
module cannot know which owner before opening, so it peeks at the sender the
letter claims, looks the device up, and then lets
:func:`~plaza.energy.envelope.open_letter` check everything against that record:
audience, freshness, nonce, and the signature by the key the device answered
``/init`` with. A false claim only makes that check fail.

Bodies (``docs/energy.md``): ``/fund`` is ``{assetId, type, walletAddress, balance,
amount, reference}``, ``/notify_event`` is ``{assetId, transaction, twin}``. A ``/fund``
letter's ``reference`` names the need it is sent for, the same in every retry of it: the
module pays each (device, reference) once.
"""

from __future__ import annotations

import json
import re

from plaza.crypto import Identity, PublicKey
from plaza.energy.envelope import Letter, ModuleKey, open_letter
from plaza.energy.errors import InvalidMessage
from plaza.energy.fields import integer
from plaza.energy.model import Transaction
from plaza.energy.owner.ports import Clock, OwnerStore
from plaza.energy.owner.records import Device, DeviceEvent, event_digest
from plaza.energy.owner.transfers import check_amount
from plaza.energy.twins import parse_reader_key
from plaza.ledger.model import MAX_AMOUNT
from plaza.market.auth import MemoryNonceStore, NonceStore
from plaza.market.auth.envelope import open_body
from plaza.market.auth.errors import EnvelopeNotOpened, MalformedEnvelope

__all__ = ["FUNDING_REFERENCE", "DeviceLetters"]

#: A ``/fund`` letter's ``reference``: an id, bounded (an asset sends ``assetId:recordId``).
FUNDING_REFERENCE = re.compile(r"[A-Za-z0-9_.:-]{1,128}")


class DeviceLetters:
    """Opens and checks the letters devices send their owners."""

    def __init__(
        self,
        *,
        store: OwnerStore,
        identity: Identity,
        clock: Clock,
        nonces: NonceStore | None = None,
    ) -> None:
        self._store = store
        self._identity = identity
        self._clock = clock
        self._nonces = nonces or MemoryNonceStore()

    def open(self, document: bytes) -> tuple[Letter, Device]:
        """The letter and the device that sent it; its ``assetId`` must be the sender."""
        sender = _peek_sender(document, self._identity)
        device = self._store.device(sender) if sender is not None else None
        signer: PublicKey | None = None
        if device is not None:
            signer = ModuleKey.from_text(device.public_key).signing
        letter = open_letter(
            document,
            identity=self._identity,
            audience=device.owner_id if device is not None else "",
            now_ms=self._clock.now_ms(),
            nonces=self._nonces,
            known_key=lambda name: signer if device is not None and name == device.id else None,
        )
        assert device is not None  # a letter opens only with the key of a device on record
        if letter.body.get("assetId") != device.id:
            raise InvalidMessage("assetId must be the sender's id")
        return letter, device

    @staticmethod
    def funding_amount(letter: Letter, device: Device) -> int:
        """What a ``/fund`` letter asks for, once its body matches the device on record."""
        body = letter.body
        if body.get("type") != str(device.settings.type):
            raise InvalidMessage(f"type must be {str(device.settings.type)!r}")
        if body.get("walletAddress") != device.wallet_address:
            raise InvalidMessage("walletAddress is not the device's wallet on record")
        integer(body, "balance", low=0, high=MAX_AMOUNT)  # its shape only: the ledger knows
        return check_amount(body.get("amount"))

    @staticmethod
    def funding_reference(letter: Letter) -> str:
        """The need a ``/fund`` letter is for: the key its retries share."""
        reference = letter.body.get("reference")
        if not isinstance(reference, str) or not FUNDING_REFERENCE.fullmatch(reference):
            raise InvalidMessage(
                "reference must be 1 to 128 characters of A-Z a-z 0-9 _ . : - naming the need"
                " (the same in every retry of the letter)"
            )
        return reference

    def event(self, letter: Letter, device: Device) -> DeviceEvent:
        """The state a ``/notify_event`` letter reports, filed under the device's own side
        of the transaction (a contract transaction names both sides)."""
        transaction = Transaction.from_json(letter.body.get("transaction"))
        twin = letter.body.get("twin")
        parse_reader_key(twin)
        assert isinstance(twin, str)
        if device.is_provider:
            party, transaction_id = transaction.providerId, transaction.providerTransactionId
        else:
            party, transaction_id = transaction.requesterId, transaction.requesterTransactionId
        if party != device.id or not transaction_id:
            raise InvalidMessage(f"the transaction is not {device.id}'s")
        return DeviceEvent(
            device.id,
            transaction_id,
            transaction,
            twin,
            self._clock.now_ms(),
            event_digest(transaction),
        )


def _peek_sender(document: bytes, identity: Identity) -> str | None:
    """Who claims to have sent a letter; None if it cannot even be read (open_letter then
    says why)."""
    try:
        fields = json.loads(open_body(document, identity.encryption).body)
    except (MalformedEnvelope, EnvelopeNotOpened, ValueError):
        return None
    sender = fields.get("sender") if isinstance(fields, dict) else None
    return sender if isinstance(sender, str) else None
