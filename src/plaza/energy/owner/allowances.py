"""Allowances: what a person lets the user module spend for them while they are away.

A person who trades from the web dashboard holds their keys in their browser, so the user
module cannot pay from their wallet. To have their devices funded automatically the person
grants the module an **allowance**: a separate account of the module's (its key derived
from the module's wallet secret apart from every owner's wallet, :meth:`OwnerWallets.
allowance_key`), with a cap the person sets and moves into it from their browser wallet,
signed there. The rules, kept here under the owner's lock:

- an owner has at most one active allowance;
- once an owner granted one, their devices are funded from an **active** allowance only,
  never from the owner's wallet at the module, and an allowance never pays out more than
  its cap in all (payments the ledger refused do not count);
- a **revoked** allowance pays nothing: revoking marks it first, then sends what it holds
  back to the person's address; coins that arrive after go back when revoked again.

An owner who never granted one (a program using the seed's API, with the wallet the seed
gives each owner) is funded from the owner's wallet as before.
"""

from __future__ import annotations

import secrets
from typing import Any

from plaza.crypto import Address, SigningKey
from plaza.energy.errors import FundingRefused, UnknownRecord, WrongState
from plaza.energy.owner.devices import KeyedLocks
from plaza.energy.owner.ports import Clock, OwnerKeys, OwnerStore
from plaza.energy.owner.records import Owner
from plaza.energy.owner.transfers import Allowance, WalletTransfer, check_address, check_amount
from plaza.energy.owner.wallets import WalletMoves

__all__ = ["Allowance", "AllowanceDesk"]

_SHOWN = 20


class AllowanceDesk:
    """Grant, read and revoke allowances, and pick the account a device is funded from."""

    def __init__(
        self,
        *,
        store: OwnerStore,
        keys: OwnerKeys,
        moves: WalletMoves,
        locks: KeyedLocks,
        clock: Clock,
    ) -> None:
        self._store = store
        self._keys = keys
        self._moves = moves
        self._locks = locks
        self._clock = clock

    def grant(self, owner_id: str, cap: object, return_address: object) -> Allowance:
        """A new allowance of ``cap`` base units whose rest goes back to ``return_address``;
        :class:`WrongState` while another is active. It holds nothing until the person moves
        the cap into it (:meth:`address`)."""
        owner = self._owner(owner_id)
        value = check_amount(cap, "cap")
        back = check_address(return_address, expected="your wallet's plz1… address")
        with self._locks.hold(owner.id):
            if any(a.active for a in self._store.allowances_of(owner.id)):
                raise WrongState("an allowance is active already: revoke it first")
            allowance = self._store.add_allowance(
                owner.id, "al" + secrets.token_hex(10), value, str(back), self._clock.now_ms()
            )
        self._log("allowance.grant", owner.id, f"{allowance.id}: cap {value}")
        return allowance

    def revoke(self, owner_id: str, allowance_id: str) -> WalletTransfer | None:
        """Stop the allowance paying (at once, under the owner's lock) and send what it holds
        back to the person; None when it held nothing. Revoking again returns what arrived
        since."""
        owner = self._owner(owner_id)
        with self._locks.hold(owner.id):
            allowance = self._allowance(owner, allowance_id)
            if allowance.active:
                self._store.revoke_allowance(allowance.id, self._clock.now_ms())
            key = self.key(allowance)
            rest = self._moves.available(key)
            sent = None
            if rest > 0:
                back = Address.parse(allowance.return_address)
                made = self._moves.pay(owner.id, key, back, rest, kind="return")
                sent = made.from_allowance(allowance.id)
                self._store.add_transfer(sent)
        self._log("allowance.revoke", owner.id, f"{allowance.id}: {rest} back")
        return sent

    def allowances(self, owner_id: str) -> list[dict[str, Any]]:
        """The owner's allowances, newest first: account, cap, balance, what each paid and
        its moves."""
        owner = self._owner(owner_id)
        moves = self._store.transfers_of(owner.id, limit=200)
        return [self._view(a, moves) for a in self._store.allowances_of(owner.id)]

    def source(self, owner: Owner, amount: int) -> tuple[SigningKey, str] | None:
        """The key and allowance id to pay ``amount`` of the owner's device funding from, or
        None for the owner's wallet (an owner who never granted an allowance). Refused
        (:class:`FundingRefused`) when every allowance is revoked or the cap is reached.
        Callers hold the owner's lock."""
        granted = self._store.allowances_of(owner.id)
        if not granted:
            return None
        active = next((a for a in granted if a.active), None)
        if active is None:
            raise FundingRefused(
                "the owner revoked their allowance: nothing is paid for them until they grant"
                " another",
                details={"rule": "allowance_revoked"},
            )
        paid = self._store.allowance_paid(active.id)
        if paid + amount > active.cap:
            raise FundingRefused(
                f"the allowance paid {paid} of its cap of {active.cap}; {amount} more is over",
                details={"rule": "allowance_cap", "cap": str(active.cap), "paid": str(paid)},
            )
        return self.key(active), active.id

    def key(self, allowance: Allowance) -> SigningKey:
        return self._keys.allowance_key(allowance.number)

    def _view(self, allowance: Allowance, moves: list[WalletTransfer]) -> dict[str, Any]:
        address = self.key(allowance).public_key.address
        paid = self._store.allowance_paid(allowance.id)
        return {
            "allowanceId": allowance.id,
            "address": str(address),
            "cap": allowance.cap,
            "returnAddress": allowance.return_address,
            "active": allowance.active,
            "createdAt": allowance.created_ms,
            "revokedAt": allowance.revoked_ms,
            "balance": self._moves.balance_or_none(str(address)),
            "paid": paid,
            "left": max(0, allowance.cap - paid),
            "transfers": [m.to_json() for m in moves if m.allowance == allowance.id][:_SHOWN],
        }

    def _allowance(self, owner: Owner, allowance_id: str) -> Allowance:
        for allowance in self._store.allowances_of(owner.id):
            if allowance.id == allowance_id:
                return allowance
        raise UnknownRecord(f"no allowance {allowance_id!r} among yours")

    def _owner(self, owner_id: str) -> Owner:
        owner = self._store.owner(owner_id)
        if owner is None:
            raise UnknownRecord(f"no owner {owner_id!r}")
        return owner

    def _log(self, operation: str, subject: str, detail: str) -> None:
        self._store.log(self._clock.now_ms(), operation, subject, "ok", detail)
