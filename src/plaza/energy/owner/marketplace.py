"""What the user module and the marketplace say to each other (``docs/energy.md``, "Owner rules").

Each side knows facts the other's rules need, and the side that owns a fact is the one
asked for it:

* ``/unpaid``, asked on each ``/fund``: the marketplace owns the contracts, so it says
  which of a consumer device's contracts wait for its payment and what each costs
  (:meth:`MarketplaceTalk.unpaid`); the device's own word is not taken for it;
* ``/onboarded``, which the marketplace asks on each ``/register``: whether this module
  onboarded the asset, for which owner, with which key, wallet and type, and whether it
  runs (:meth:`MarketplaceTalk.answer_onboarded`);
* ``/asset_status``, told through the outbox: a device was paused, continued or deleted
  (:meth:`MarketplaceTalk.tell_status`), with its ``updatedAt`` so a late letter never
  undoes a newer one.

Questions and answers are one round trip each (:mod:`plaza.energy.questions`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from plaza.crypto import Identity
from plaza.energy.envelope import open_letter
from plaza.energy.errors import PeerFailed
from plaza.energy.fields import text
from plaza.energy.link import LetterSender
from plaza.energy.owner.ports import Clock, OwnerStore
from plaza.energy.owner.records import Device
from plaza.energy.peers import MARKETPLACE, USER_MODULE, Peer
from plaza.energy.questions import answer, ask
from plaza.market.auth import NonceStore
from plaza.market.auth.outbox import Link

__all__ = ["MarketplaceTalk", "UnpaidContract"]

_MAX_CONTRACTS = 10_000


@dataclass(frozen=True, slots=True)
class UnpaidContract:
    """A contract the marketplace says a consumer device has to pay, and its value."""

    contract_id: str
    value: int


class MarketplaceTalk:
    """The user module's side of its letters with the marketplace."""

    def __init__(
        self,
        *,
        store: OwnerStore,
        identity: Identity,
        link: Link,
        outbox: LetterSender,
        clock: Clock,
        nonces: NonceStore,
        marketplace: Peer,
        onboarding: Callable[[str], bool],
    ) -> None:
        self._store = store
        self._identity = identity
        self._link = link
        self._outbox = outbox
        self._clock = clock
        self._nonces = nonces
        self._url = marketplace.url
        self._key = marketplace.key
        self._onboarding = onboarding

    def unpaid(self, device: Device) -> list[UnpaidContract]:
        """The device's contracts waiting for its payment, as the marketplace has them."""
        message = ask(
            self._link,
            url=self._url,
            path="/unpaid",
            body={"assetId": device.id},
            sender=USER_MODULE,
            identity=self._identity,
            recipient=self._key,
            audience=MARKETPLACE,
            now_ms=self._clock.now_ms(),
        )
        contracts = message.get("contracts")
        if message.get("assetId") != device.id or not isinstance(contracts, list):
            raise PeerFailed(
                self._url, "/unpaid", "the answer is not about this device", refused=True
            )
        return [self._contract(item) for item in contracts[:_MAX_CONTRACTS]]

    def _contract(self, item: object) -> UnpaidContract:
        contract_id = item.get("contractId") if isinstance(item, dict) else None
        value = item.get("value") if isinstance(item, dict) else None
        if not isinstance(contract_id, str) or isinstance(value, bool):
            raise PeerFailed(self._url, "/unpaid", "a contract without an id", refused=True)
        if not isinstance(value, int) or value < 0:
            raise PeerFailed(self._url, "/unpaid", "a contract without a value", refused=True)
        return UnpaidContract(contract_id, value)

    def answer_onboarded(self, document: bytes) -> dict[str, Any]:
        """``/onboarded``: what this module knows of the asset the marketplace asks about."""
        marketplace = self._key.signing
        letter = open_letter(
            document,
            identity=self._identity,
            audience=USER_MODULE,
            now_ms=self._clock.now_ms(),
            nonces=self._nonces,
            known_key=lambda sender: marketplace if sender == MARKETPLACE else None,
        )
        asset_id = text(letter.body, "assetId", required=True)
        device = self._store.device(asset_id)
        facts: dict[str, Any]
        if device is not None:
            facts = {
                "standing": device.settings.status,
                "assetOwner": device.owner_id,
                "publicKey": device.public_key,
                "walletAddress": device.wallet_address,
                "type": str(device.settings.type),
                "updatedAt": device.updated_ms,
            }
        else:
            facts = {"standing": "onboarding" if self._onboarding(asset_id) else "unknown"}
        return answer(letter, {"assetId": asset_id, **facts}, self._identity)

    def tell_status(self, device: Device, status: str, updated_ms: int) -> None:
        """Queue ``/asset_status``: the device is ``running``, ``paused`` or ``deleted``."""
        body = {
            "assetId": device.id,
            "assetOwner": device.owner_id,
            "status": status,
            "updatedAt": updated_ms,
        }
        self._outbox.send(
            path="/asset_status",
            recipient=self._key,
            audience=MARKETPLACE,
            body=body,
            key=f"{USER_MODULE}:status:{device.id}:{updated_ms}",
        )
