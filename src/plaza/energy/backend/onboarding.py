"""The marketplace's side of the owner rules: who may trade, and what a consumer owes.

The user module owns owners and their devices; the marketplace owns registrations,
orders and contracts. Each asks the other for the facts it does not own
(``docs/energy.md``, "Owner rules"):

* **Registration only for an onboarded asset.** On every ``/register`` the marketplace
  asks the user module (``/onboarded``) what it knows of the asset; the registration is
  refused (:class:`~plaza.energy.errors.NotOnboarded`) unless the user module onboarded
  it for the ``assetOwner`` it names, with the key that signed the letter, the same
  wallet and the same type. An asset still being onboarded (its ``/init`` answered, its
  record not yet stored) gets :class:`~plaza.energy.errors.EnergyUnavailable` (503): its
  outbox sends the registration again.
* **Paused or deleted assets do not trade.** The user module tells the marketplace each
  device's status (``/asset_status``: ``running``, ``paused``, ``deleted``, with the
  device's ``updatedAt``; an older letter never undoes a newer one and ``deleted`` is
  final); the answer to ``/onboarded`` carries it too. ``/offer`` and ``/request`` of an
  asset that is not running are refused (:class:`~plaza.energy.errors.AssetInactive`), and
  so are those of an asset registered before its onboarding was checked.
* **What a consumer owes.** ``/unpaid`` answers the user module with the asset's contracts
  that wait for its payment and their values, which bound what its owner funds: the
  market's settlements of its wallet in an owed phase.

A marketplace opened without a user module (the backend's own tests) has no
:class:`Onboarding` and checks none of this.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from plaza.crypto import Address, Identity, InvalidAddress
from plaza.energy.backend.model import AssetRecord, TransactionRecord
from plaza.energy.backend.ports import Clock
from plaza.energy.envelope import Letter, open_letter
from plaza.energy.errors import AssetInactive, EnergyUnavailable, InvalidMessage, NotOnboarded
from plaza.energy.fields import integer, text
from plaza.energy.peers import MARKETPLACE, USER_MODULE, Peer
from plaza.energy.questions import answer, ask
from plaza.market.auth import NonceStore
from plaza.market.auth.outbox import Link
from plaza.market.settlement import Phase, SettlementStore

__all__ = ["MAX_OWED", "OWED", "STATUSES", "Onboarding", "OnboardingStore", "Standing"]

#: What the user module says of a device: it trades, it is paused, it is gone.
STATUSES = ("running", "paused", "deleted")
#: The phases in which the consumer has been asked to pay and has not (reminded contracts
#: stay requested; a claimed one may still be paid).
OWED = frozenset({Phase.PAYMENT_REQUESTED, Phase.CLAIM_ISSUED})
#: The most contracts ``/unpaid`` lists: more owed is funded as they are paid.
MAX_OWED = 1000
_MAX_ID = 64
_MAX_MS = 2**63 - 1


@dataclass(frozen=True, slots=True)
class Standing:
    """An asset as its owner's user module last described it."""

    asset_id: str
    owner: str
    status: str  # one of STATUSES
    updated_ms: int  # the device's updatedAt in the user module: newer wins


class OnboardingStore(Protocol):
    """What the rules keep in the marketplace's database
    (:class:`~plaza.energy.backend.store.SqliteMarketplaceStore`)."""

    def standing(self, asset_id: str) -> Standing | None:
        """The asset's standing as last told, or None."""
        ...

    def save_standing(self, standing: Standing, *, now_ms: int) -> None: ...

    @property
    def settlements(self) -> SettlementStore:
        """Each contract's settlement: what a consumer's wallet owes."""
        ...

    def asset(self, asset_id: str) -> AssetRecord | None:
        """The registered asset, or None."""
        ...

    def open_bids(self, asset_id: str) -> list[TransactionRecord]:
        """The asset's offers and requests still on the book."""
        ...


class Onboarding:
    """Asks and answers the user module; remembers each asset's standing."""

    def __init__(
        self,
        *,
        identity: Identity,
        store: OnboardingStore,
        clock: Clock,
        nonces: NonceStore,
        link: Link,
        user_module: Peer,
    ) -> None:
        self._identity = identity
        self._store = store
        self._clock = clock
        self._nonces = nonces
        self._link = link
        self._user_module = user_module

    def check_registration(self, asset: AssetRecord) -> None:
        """Refuse ``asset``'s registration unless its owner onboarded it as registered."""
        facts = ask(
            self._link,
            url=self._user_module.url,
            path="/onboarded",
            body={"assetId": asset.asset_id},
            sender=MARKETPLACE,
            identity=self._identity,
            recipient=self._user_module.key,
            audience=USER_MODULE,
            now_ms=self._clock.now_ms(),
        )
        standing = facts.get("standing")
        if standing == "onboarding":
            raise EnergyUnavailable(
                f"{asset.asset_id!r} is being onboarded: register again shortly"
            )
        if facts.get("assetId") != asset.asset_id or standing not in STATUSES:
            raise NotOnboarded(
                f"{asset.asset_id!r} was not onboarded by {asset.owner!r} at the user module"
            )
        if differs := _differences(facts, asset):
            raise NotOnboarded(
                f"{asset.asset_id!r} was onboarded with another {', '.join(differs)}",
                details={"differs": differs},
            )
        self._remember(Standing(asset.asset_id, asset.owner, str(standing), _time(facts)))
        self.check_trading(asset.asset_id, deleted_only=True)

    def check_trading(self, asset_id: str, *, deleted_only: bool = False) -> None:
        """Refuse an order of an asset that is not running (or, ``deleted_only``, gone)."""
        standing = self._store.standing(asset_id)
        if standing is None:
            raise NotOnboarded(
                f"{asset_id!r} registered before its onboarding was checked: register again"
            )
        if standing.status == "deleted" or (standing.status != "running" and not deleted_only):
            raise AssetInactive(
                f"{asset_id!r} is {standing.status} by its owner",
                details={"status": standing.status},
            )

    def receive_status(self, document: bytes) -> tuple[Standing, list[TransactionRecord]]:
        """``/asset_status``: the user module says a device runs, is paused or is deleted;
        the standing now, and the open bids that must leave the book (a deleted asset's)."""
        body = self._from_user_module(document).body
        status = body.get("status")
        if status not in STATUSES:
            raise InvalidMessage(f"status must be one of {', '.join(STATUSES)}")
        told = Standing(_id(body, "assetId"), _id(body, "assetOwner"), str(status), _time(body))
        standing = self._remember(told)
        gone = standing.status == "deleted"
        return standing, self._store.open_bids(standing.asset_id) if gone else []

    def unpaid(self, document: bytes) -> dict[str, Any]:
        """``/unpaid``: the asset's contracts waiting for its payment, signed for the user
        module that asked."""
        letter = self._from_user_module(document)
        asset_id = _id(letter.body, "assetId")
        asset = self._store.asset(asset_id)  # its wallet pays its contracts (checked on intake)
        wallet = "" if asset is None else asset.wallet
        owed = self._store.settlements.find(OWED, consumer=wallet, limit=MAX_OWED) if wallet else []
        contracts = [{"contractId": s.id, "value": s.contract.total} for s in owed]
        return answer(letter, {"assetId": asset_id, "contracts": contracts}, self._identity)

    def _remember(self, told: Standing) -> Standing:
        """Keep ``told`` unless what is known is newer or final; what is known now."""
        known = self._store.standing(told.asset_id)
        if known is not None and (known.status == "deleted" or known.updated_ms > told.updated_ms):
            return known
        self._store.save_standing(told, now_ms=self._clock.now_ms())
        return told

    def _from_user_module(self, document: bytes) -> Letter:
        key = self._user_module.key.signing
        return open_letter(
            document,
            identity=self._identity,
            audience=MARKETPLACE,
            now_ms=self._clock.now_ms(),
            nonces=self._nonces,
            known_key=lambda sender: key if sender == USER_MODULE else None,
        )


def _differences(facts: dict[str, Any], asset: AssetRecord) -> list[str]:
    """The registration's fields that differ from the device the owner onboarded."""
    registered = {
        "assetOwner": asset.owner,
        "publicKey": asset.key.to_text(),
        "walletAddress": _address(asset.wallet),
        "type": str(asset.type),
    }
    onboarded = {**facts, "walletAddress": _address(facts.get("walletAddress"))}
    return [name for name, value in registered.items() if onboarded.get(name) != value]


def _address(text: object) -> str | None:
    try:
        return str(Address.parse(text)) if isinstance(text, str) else None
    except InvalidAddress:
        return None


def _id(body: dict[str, Any], name: str) -> str:
    return text(body, name, required=True, limit=_MAX_ID)


def _time(body: dict[str, Any]) -> int:
    """The device's ``updatedAt`` (milliseconds): the newer of two statuses wins."""
    return integer(body, "updatedAt", low=0, high=_MAX_MS)
