"""The marketplace backend's use cases: registration, offers and requests, contracts, and the
relay of each contract's settlement between its two parties.

The seed's marketplace is a trusted middleman nobody can check afterwards. Here
every letter it takes is from a key it knows, every offer or request is compared
with the asset's own digital twin before it is believed, and every state of a
contract it accepts or sends goes on the contract's twin, signed by the
marketplace, so :meth:`Marketplace.audit` (or anyone with the reader keys) can
hold the database against the ledger.

A step runs as *load, check, store, then send*: records and events (every state
received or sent, per record) change in one store transaction; letters leave
through the outbox afterwards under keys derived from the stored events, so a
sender retrying a letter it got no answer to gets the same letters sent again,
not new ones; twin entries are written after the commit, and
:meth:`Marketplace.flush_twins` retries those the ledger could not take.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from plaza.channels import CursorStore
from plaza.crypto import Identity, PublicKey
from plaza.energy.backend.bids import bid_of, refuse_dead_bids, why_dead
from plaza.energy.backend.keeper import TwinKeeper
from plaza.energy.backend.model import (
    BIDMANAGER,
    MARKETPLACE,
    AssetRecord,
    ContractAudit,
    ContractRecord,
    Event,
    MarketplaceSettings,
    Peer,
    TransactionRecord,
    check_new_transaction,
    check_step,
    contract_id_for,
    id_field,
    other_party,
    parse_asset,
    rule_for,
    seed_bid,
)
from plaza.energy.backend.ports import Clock, LetterSender, MarketplaceStore
from plaza.energy.envelope import (
    Letter,
    ModuleKey,
    open_letter,
    sign_document,
)
from plaza.energy.errors import (
    EnergyError,
    Forbidden,
    InvalidMessage,
    NotAuthenticated,
    UnknownRecord,
    WrongState,
)
from plaza.energy.ledger import LedgerAccess
from plaza.energy.model import Contract, Side, Status, Transaction
from plaza.energy.twins import parse_reader_key
from plaza.market.auth import MemoryNonceStore, NonceStore

__all__ = ["Marketplace"]


class Marketplace:
    """The marketplace backend: letters in, checked, stored, put on twins, letters out."""

    def __init__(
        self,
        *,
        identity: Identity,
        store: MarketplaceStore,
        outbox: LetterSender,
        cursors: CursorStore,
        ledger: LedgerAccess,
        clock: Clock,
        bidmanager: Peer,
        settings: MarketplaceSettings | None = None,
        nonces: NonceStore | None = None,
    ) -> None:
        self._identity = identity
        self._store = store
        self._outbox = outbox
        self._clock = clock
        self._twins = TwinKeeper(identity=identity, store=store, cursors=cursors, ledger=ledger,
                                 clock=clock)  # fmt: skip
        self._bidmanager = bidmanager
        self._settings = settings or MarketplaceSettings()
        self._nonces = nonces or MemoryNonceStore()
        self._lock = threading.RLock()

    @property
    def key(self) -> ModuleKey:
        return ModuleKey.of(self._identity)

    # -- letters --------------------------------------------------------------------

    def register(self, document: bytes) -> dict[str, Any]:
        """An asset's first registration introduces its key; later ones must be signed by it."""
        self._run("register", lambda: self._register(document))
        return {}

    def offer(self, document: bytes) -> dict[str, Any]:
        self._run("offer", lambda: self._intake(document, Side.OFFER))
        return {}

    def request(self, document: bytes) -> dict[str, Any]:
        self._run("request", lambda: self._intake(document, Side.REQUEST))
        return {}

    def match(self, document: bytes) -> dict[str, Any]:
        """A pair from the bid manager: the contract (made once per pair), sent to both."""
        return {"contractId": self._run("match", lambda: self._match(document))}

    def settle(self, path: str, document: bytes) -> dict[str, Any]:
        """``/provision``, ``/payment_processing``, ``/payment_confirmation``, ``/reminder``,
        ``/cancel`` and ``/claim``: one party's step, relayed to the other party."""
        self._run(path.strip("/"), lambda: self._settle(path, document))
        return {}

    # -- periodic work and reads ----------------------------------------------------

    def flush_twins(self) -> int:
        """Write the states still missing from their twins, in order; how many went."""
        with self._lock:
            return self._twins.flush(lambda record, why: self._log("twin", record, "retry", why))

    def audit(self, contract_id: str) -> ContractAudit:
        """The contract's twin, and each party's transaction twin, against this database."""
        self.flush_twins()
        record = self._store.contract(contract_id)
        if record is None:
            raise UnknownRecord(f"no contract {contract_id!r}")
        return self._twins.audit(record)

    def statistics(self) -> dict[str, int]:
        return self._store.statistics()

    # -- registration and intake ----------------------------------------------------

    def _register(self, document: bytes) -> str:
        letter = open_letter(
            document, identity=self._identity, audience=MARKETPLACE, now_ms=self._now(),
            nonces=self._nonces, known_key=self._asset_key, introduce=True,
        )  # fmt: skip
        asset = parse_asset(letter.body.get("asset"))
        if asset.asset_id != letter.sender:
            raise InvalidMessage("the letter's sender must be the assetId it registers")
        if asset.key.signing != letter.key:
            raise NotAuthenticated("publicKey is not the key that signed the letter")
        self._store.save_asset(asset, now_ms=self._now())
        return asset.asset_id

    def _intake(self, document: bytes, side: Side) -> str:
        letter, asset = self._from_asset(document)
        transaction = Transaction.from_json(letter.body.get("transaction"))
        twin = letter.body.get("twin")
        reader = parse_reader_key(twin)
        if transaction.type is not side:
            raise InvalidMessage(f"/{side} takes transactions of type {str(side)!r}")
        check_new_transaction(transaction, asset)
        if side is Side.REQUEST:
            self._check_not_excluded(asset.asset_id)
        record = TransactionRecord(transaction, transaction, str(twin))
        known = self._store.transaction(side, transaction.id)
        if known is not None:
            if known.first != transaction or known.twin != twin:
                raise WrongState(f"{side} {transaction.id!r} was received before, differently")
            self._resend(known.record_id, asset.asset_id, f"/{side}", transaction.to_json())
            return known.record_id
        self._twins.check_first_state(reader, asset, transaction)
        with self._store.atomic():
            self._store.save_transaction(record, now_ms=self._now())
            cause = self._event(record.record_id, "in", asset.asset_id, f"/{side}",
                                transaction.to_json())  # fmt: skip
            sent = self._event(record.record_id, "out", BIDMANAGER, f"/{side}",
                               seed_bid(transaction), cause=cause.id)  # fmt: skip
        self._send(sent)
        return record.record_id

    def _check_not_excluded(self, consumer: str) -> None:
        if (exclusion := self._exclusion(consumer)) is not None:
            raise Forbidden(exclusion)

    def _exclusion(self, consumer: str) -> str | None:
        """Why ``consumer`` may not request, or None."""
        limit = self._settings.exclude_after_claims
        if limit > 0 and self._store.claims_against(consumer) >= limit:
            return f"{consumer!r} is excluded after {limit} claims"
        return None

    # -- contracts ------------------------------------------------------------------

    def _match(self, document: bytes) -> str:
        """The pair's contract, made once; or a refusal naming its dead bids.

        A bid no longer open, unknown or different from the one received, and the
        request of an excluded consumer, can never be contracted: the refusal names
        each such bid in ``details={"dead": ["offer:<id>", "request:<id>"]}`` so the
        bid manager knows which bids to drop without reading the message.
        """
        bidmanager = self._bidmanager.key.signing
        letter = open_letter(
            document, identity=self._identity, audience=MARKETPLACE, now_ms=self._now(),
            nonces=self._nonces, known_key=lambda s: bidmanager if s == BIDMANAGER else None,
        )  # fmt: skip
        bids = {side: bid_of(letter.body, side) for side in (Side.OFFER, Side.REQUEST)}
        found = {side: self._store.transaction(side, bid[id_field(side)])
                 for side, bid in bids.items()}  # fmt: skip
        offer, request = found[Side.OFFER], found[Side.REQUEST]
        if offer is not None and request is not None:
            contract_id = contract_id_for(offer.first.id, request.first.id)
            pair = ((Side.OFFER, offer), (Side.REQUEST, request))
            received = all(dict(bids[side]) == seed_bid(record.first) for side, record in pair)
            if received and self._store.contract(contract_id) is not None:
                self._resend(contract_id, MARKETPLACE, "/match", None)
                return contract_id
        dead = [
            why for side, record in found.items() if (why := why_dead(side, bids[side], record))
        ]
        if request is not None and (exclusion := self._exclusion(request.first.requesterId)):
            dead.append((Forbidden, exclusion, request.record_id))
        if dead:
            raise refuse_dead_bids(dead)
        assert offer is not None  # else it would be dead
        assert request is not None
        return self._contract(offer, request)

    def _contract(self, offer: TransactionRecord, request: TransactionRecord) -> str:
        """Join two open bids: the signed contract and both transactions change together,
        then the contract goes to both parties."""
        contract_id = contract_id_for(offer.first.id, request.first.id)
        contract = Contract.join(contract_id, offer.first, request.first, now_ms=self._now())
        signed = sign_document(contract.to_json(), self._identity)
        with self._store.atomic():
            self._store.save_contract(ContractRecord(contract, signed, contract.transaction),
                                      now_ms=self._now())  # fmt: skip
            for record in (offer, request):
                opened = replace(record, latest=contract.transaction, contract_id=contract_id)
                self._store.save_transaction(opened, now_ms=self._now())
            made = self._event(contract_id, "own", MARKETPLACE, "/match", contract.to_json(),
                               on_twin=True)  # fmt: skip
            parties = (contract.offer.providerId, contract.request.requesterId)
            sent = [self._event(contract_id, "out", party, "/contract", signed, cause=made.id)
                    for party in parties]  # fmt: skip
        for event in sent:
            self._send(event)
        return contract_id

    # -- settlement -----------------------------------------------------------------

    def _settle(self, path: str, document: bytes) -> str:
        letter, asset = self._from_asset(document)
        received = Transaction.from_json(letter.body.get("transaction"))
        if not received.contractId:
            if path != "/cancel":
                raise InvalidMessage(f"{path} needs the contract transaction (contractId)")
            return self._cancel_own(asset, received)
        record = self._store.contract(received.contractId)
        if record is None:
            raise UnknownRecord(f"no contract {received.contractId!r}")
        if differing := received.same_terms(record.contract.transaction):
            raise InvalidMessage(
                f"the transaction differs from the contract in {', '.join(differing)}"
            )
        return self._step(path, asset.asset_id, record, received, received)

    def _step(
        self,
        path: str,
        party: str,
        record: ContractRecord,
        received: Transaction,
        relayed: Transaction,
    ) -> str:
        """One party's step on a contract: stored, put on its twin, relayed to the other one."""
        contract_id = record.contract_id
        rule = rule_for(path, record, party, received)
        if self._resend(contract_id, party, path, received.to_json()):
            return contract_id
        check_step(path, record, received, rule)
        if rule.restamp is not None:
            relayed = relayed.with_status(rule.restamp, timestamp_ms=self._now())
        advances = rule.advances_from is None or record.status in rule.advances_from
        claimed = record.claimed or path == "/claim"
        updated = replace(record, latest=relayed if advances else record.latest, claimed=claimed)
        with self._store.atomic():
            self._store.save_contract(updated, now_ms=self._now())
            cause = self._event(contract_id, "in", party, path, received.to_json(), on_twin=True)
            sent = None
            if rule.forward is not None:
                sent = self._event(contract_id, "out", other_party(record.contract, party),
                                   rule.forward, relayed.to_json(), cause=cause.id,
                                   on_twin=relayed != received)  # fmt: skip
        if sent is not None:
            self._send(sent)
        return contract_id

    def _cancel_own(self, asset: AssetRecord, received: Transaction) -> str:
        """A cancel of an offer or request as first sent: off the book, or out of its contract."""
        record = self._store.transaction(received.type, received.id)
        if record is None:
            raise UnknownRecord(f"no {received.type} {received.id!r}")
        if record.first.owner != asset.asset_id:
            raise Forbidden(f"{asset.asset_id!r} cannot cancel another asset's {received.type}")
        if differing := received.same_terms(record.first):
            raise InvalidMessage(
                f"the transaction differs from the one received in {', '.join(differing)}"
            )
        if record.contract_id:
            contract = self._store.contract(record.contract_id)
            assert contract is not None
            relayed = contract.latest.with_status(Status.CANCELLED, timestamp_ms=self._now())
            return self._step("/cancel", asset.asset_id, contract, received, relayed)
        if received.status is not Status.CANCELLED:
            raise InvalidMessage("/cancel carries status 'Cancelled'")
        if self._resend(record.record_id, asset.asset_id, "/cancel", received.to_json()):
            return record.record_id
        if record.latest.status is Status.CANCELLED:
            raise WrongState(f"{record.record_id} is cancelled already")
        removal = {"type": str(received.type), id_field(received.type): received.id}
        with self._store.atomic():
            self._store.save_transaction(replace(record, latest=received), now_ms=self._now())
            cause = self._event(record.record_id, "in", asset.asset_id, "/cancel",
                                received.to_json())  # fmt: skip
            sent = self._event(record.record_id, "out", BIDMANAGER, "/remove", removal,
                               cause=cause.id)  # fmt: skip
        self._send(sent)
        return record.record_id

    # -- internals ------------------------------------------------------------------

    def _run(self, operation: str, action: Callable[[], str]) -> str:
        """Run a step under the lock and log it, done or refused; then write its twin states."""
        with self._lock:
            try:
                record_id = action()
            except EnergyError as error:
                self._log(operation, "", "refused", f"{error.code}: {error.message}")
                raise
            self._log(operation, record_id, "ok", "")
        self.flush_twins()
        return record_id

    def _from_asset(self, document: bytes) -> tuple[Letter, AssetRecord]:
        letter = open_letter(
            document, identity=self._identity, audience=MARKETPLACE, now_ms=self._now(),
            nonces=self._nonces, known_key=self._asset_key,
        )  # fmt: skip
        asset = self._store.asset(letter.sender)
        assert asset is not None  # open_letter found its key
        return letter, asset

    def _asset_key(self, sender: str) -> PublicKey | None:
        asset = self._store.asset(sender)
        return None if asset is None else asset.key.signing

    def _event(
        self,
        record_id: str,
        direction: str,
        party: str,
        path: str,
        state: Mapping[str, Any],
        *,
        on_twin: bool = False,
        cause: int | None = None,
    ) -> Event:
        event = Event(record_id, direction, party, path, dict(state), on_twin, cause)
        return self._store.add_event(event, now_ms=self._now())

    def _resend(
        self, record_id: str, party: str, path: str, state: Mapping[str, Any] | None
    ) -> bool:
        """If this step was taken before, send its letters again (the outbox sends each once)."""
        if state is None:
            found = next((e for e in self._store.events(record_id) if e.direction == "own"), None)
        else:
            found = self._store.find_event(record_id, party, path, state)
        if found is None:
            return False
        for event in self._store.caused_by(found.id):
            self._send(event)
        return True

    def _send(self, event: Event) -> None:
        if event.party == BIDMANAGER:
            peer, body = self._bidmanager, event.state
        else:
            asset = self._store.asset(event.party)
            assert asset is not None
            peer = Peer(asset.url, asset.key)
            body = (
                {"contract": event.state, "twin": self._twins.reader_key(event.record_id)}
                if event.path == "/contract"
                else {"transaction": event.state}
            )
        self._outbox.send(url=peer.url, path=event.path, recipient=peer.key, audience=event.party,
                          body=body, key=f"{MARKETPLACE}:event:{event.id}")  # fmt: skip

    def _log(self, operation: str, record_id: str, outcome: str, detail: str) -> None:
        self._store.log(now_ms=self._now(), operation=operation, record_id=record_id,
                        outcome=outcome, detail=detail)  # fmt: skip

    def _now(self) -> int:
        return self._clock.now_ms()
