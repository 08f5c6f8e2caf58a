"""The asset's letters with the marketplace: what it checks of one before acting on it,
and the asset it registers.

A letter names one of the asset's own transactions: its path says which status
the transaction must carry (:data:`LETTER_STATUS`) and which kind of asset may
get it (:data:`ONLY_FOR`); the transaction must be this asset's, of the record's
type and on the record's terms. Pure checks over the store's port: a refusal
changes nothing.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from plaza.energy.asset.config import AssetConfig, OwnTransaction
from plaza.energy.asset.ports import AssetStore
from plaza.energy.asset.trading import record_of
from plaza.energy.errors import EnergyForbidden, InvalidMessage, WrongState
from plaza.energy.link import LetterSender
from plaza.energy.model import AssetType, Transaction, TransactionStatus

__all__ = [
    "LETTER_STATUS",
    "ONLY_FOR",
    "HeldLetters",
    "own_record",
    "received_transaction",
    "registration",
]

#: The letters the asset takes, and the status each one's transaction carries.
LETTER_STATUS = {
    "/contract": TransactionStatus.CONTRACT_CREATED,
    "/payment": TransactionStatus.PAYMENT_REQUESTED,
    "/payment_sent": TransactionStatus.PAYMENT_SENT,
    "/payment_confirmed": TransactionStatus.PAYMENT_CONFIRMED,
    "/cancel": TransactionStatus.CANCELLED,
    "/claim": TransactionStatus.CLAIM_ISSUED,
}
#: The letters only one kind of asset may get.
ONLY_FOR = {
    "/payment": AssetType.CONSUMER,
    "/payment_confirmed": AssetType.CONSUMER,
    "/claim": AssetType.CONSUMER,
    "/payment_sent": AssetType.PROVIDER,
}


def received_transaction(body: Mapping[str, Any], path: str) -> Transaction:
    """The letter's transaction, in the status its path says."""
    received = Transaction.from_json(body.get("transaction"))
    if received.status is not LETTER_STATUS[path]:
        raise InvalidMessage(
            f"{path} carries a transaction in status {LETTER_STATUS[path]!r}, "
            f"not {received.status!r}"
        )
    return received


def own_record(
    store: AssetStore, config: AssetConfig, received: Transaction, *, contract: bool
) -> OwnTransaction:
    """This asset's record of ``received``, whose terms must be the record's."""
    provider = config.type is AssetType.PROVIDER
    owner = received.providerId if provider else received.requesterId
    if owner != config.asset_id:
        raise EnergyForbidden("the transaction is not this asset's")
    record = record_of(
        store, received.providerTransactionId if provider else received.requesterTransactionId
    )
    if received.type is not record.state.type:
        raise InvalidMessage(f"{record.id} is an {record.state.type}, not an {received.type}")
    if differing := received.same_terms(record.state):
        raise InvalidMessage(f"the transaction differs from {record.id} in {', '.join(differing)}")
    if contract and record.contract is None:
        raise WrongState(f"{record.id} has no contract yet")
    return record


def registration(config: AssetConfig, public_key: str, wallet_address: str) -> dict[str, Any]:
    """The ``/register`` letter's asset: the device as the marketplace lists it."""
    return {
        "assetId": config.asset_id,
        "assetName": config.asset_name,
        "assetDescription": config.asset_description,
        "type": str(config.type),
        "location": config.location,
        "url": config.url,
        "publicKey": public_key,
        "walletAddress": wallet_address,
        "assetOwner": config.asset_owner,
    }


class HeldLetters:
    """The device's lock, and its changes' letters held until the lock is released.

    A peer that answers a letter by writing back (an inline queue delivers at once)
    must find the device free, so the outermost :meth:`changing` block queues what
    the changes wrote only once it lets go of the lock.
    """

    def __init__(self, letters: LetterSender) -> None:
        self._letters = letters
        self._lock = threading.RLock()
        self._outgoing: list[dict[str, Any]] | None = None

    def send(self, **letter: Any) -> None:
        """Hold one letter until the outermost change ends."""
        assert self._outgoing is not None, "letters are sent from inside changing()"
        self._outgoing.append(letter)

    @contextmanager
    def changing(self) -> Iterator[None]:
        """Hold the device's lock; queue the letters of the changes once it is released."""
        outgoing: list[dict[str, Any]] = []
        outer = False
        try:
            with self._lock:
                outer = self._outgoing is None
                if outer:
                    self._outgoing = outgoing
                try:
                    yield
                finally:
                    if outer:
                        self._outgoing = None
        finally:
            for letter in outgoing:
                self._letters.send(**letter)
