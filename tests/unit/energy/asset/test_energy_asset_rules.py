"""The asset module's rules: /init (no seed, only the device's uuid, updates), pause and
continue, three reminders then exactly one claim, cancellations, and the payment request
verification that refuses a request and changes nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from test_energy_asset_kit import (
    HOUR_MS,
    MINUTE_MS,
    UUID,
    Device,
    contract_for,
    device,
    init_body,
    step,
)

from plaza.crypto import Identity
from plaza.energy.envelope import seal_letter
from plaza.energy.errors import (
    EnergyError,
    EnergyForbidden,
    InvalidMessage,
    NotAuthenticated,
    NotConfigured,
    UnknownRecord,
    WrongState,
)
from plaza.energy.model import TransactionStatus
from plaza.market.settlement import Phase


def snapshot(d: Device) -> tuple[Any, ...]:
    """Everything a refused message must leave as it was."""
    store = d.service.store
    queued = ([r.id for r in store.queued(10_000)], store.settlements.find(set(Phase)))
    events = sum(len(store.events(r.id)) for r in store.records())
    return (store.load_config(), store.pool(), store.records(), queued, events, len(d.link.posted))


def refused(d: Device, error: type[EnergyError], action: Any) -> EnergyError:
    d.deliver()
    before = snapshot(d)
    with pytest.raises(error) as caught:
        action()
    d.deliver()
    assert snapshot(d) == before
    return caught.value


# /init


def test_init_refuses_a_wallet_seed_and_changes_nothing() -> None:
    with device("") as d:
        body = init_body(
            assetWallet={"seed": "CNYA0XQJOYQOMNWEBH", "address": "YLSD", "balance": 0}
        )
        error = refused(d, InvalidMessage, lambda: d.service.module.initialise(body))
        assert "assetWallet.seed" in error.message
        nested = init_body(extra=[{"wallet": {"Seed": "x"}}])
        refused(d, InvalidMessage, lambda: d.service.module.initialise(nested))
        assert d.service.store.load_config() is None
        assert d.link.posted == []
        assert not d.service.module.configured


@pytest.mark.parametrize("uuid", ["ba4a33f0-ee20-41e4-9fcd-9f91ecf77d0e", "", None, 7, "é"])
def test_init_needs_the_device_uuid(uuid: object) -> None:
    with device("") as d:
        body = init_body(uuid=uuid)
        refused(d, EnergyForbidden, lambda: d.service.module.initialise(body))
        assert d.service.store.load_config() is None


@pytest.mark.parametrize(
    ("changes", "needle"),
    [
        ({"minOfferAmount": 200.5}, "minOfferAmount"),
        ({"energyPrice": 0.15}, "energyPrice"),
        ({"offerValidityMs": HOUR_MS - 1}, "offerValidityMs"),
        ({"marketplacePublicKey": "-----BEGIN PUBLIC KEY-----5UC9ud"}, "marketplacePublicKey"),
        ({"type": "prosumer"}, "type"),
        ({"status": "sleeping"}, "status"),
        ({"assetId": "no spaces allowed"}, "assetId"),
        ({"marketplaceAPI": "ftp://market"}, "marketplaceAPI"),
    ],
)
def test_init_refuses_bad_settings(changes: dict[str, Any], needle: str) -> None:
    with device("") as d:
        body = init_body(**changes)
        error = refused(d, InvalidMessage, lambda: d.service.module.initialise(body))
        assert needle in error.message


def test_init_answers_the_device_keys_and_a_second_init_updates() -> None:
    with device("") as d:
        reply = d.service.module.initialise(init_body("provider"))
        assert reply == {
            "publicKey": d.service.key.to_text(),
            "walletAddress": d.service.wallet_address,
        }
        d.service.module.initialise({"uuid": UUID, "energyPrice": 175})  # only what changes
        d.deliver()
        assert d.service.module.config.energy_price == 175
        assert d.service.module.config.asset_owner == "owner-1"
        assert len(d.link.letters("/register")) == 2  # registered again
        refused(
            d,
            EnergyForbidden,
            lambda: d.service.module.initialise({"uuid": UUID, "type": "consumer"}),
        )
        refused(
            d, EnergyForbidden, lambda: d.service.module.initialise({"uuid": UUID, "assetId": "b"})
        )


def test_nothing_happens_before_init() -> None:
    with device("") as d:
        refused(d, NotConfigured, lambda: d.service.module.produce({"energy": 300, "uuid": UUID}))
        d.cycle(advance_ms=HOUR_MS)
        assert d.link.posted == []


def test_a_paused_device_offers_nothing_and_does_no_cycle_work() -> None:
    with device("provider") as d:
        module = d.service.module
        module.produce({"energy": 300, "uuid": UUID})
        d.deliver()
        module.initialise({"uuid": UUID, "status": "paused"})
        module.produce({"energy": 300, "uuid": UUID})
        d.cycle(advance_ms=25 * HOUR_MS)  # the offer would have expired
        assert len(d.records(TransactionStatus.INITIAL_OFFER)) == 1
        assert d.service.store.pool().energy == 600
        module.initialise({"uuid": UUID, "status": "running"})
        d.cycle()
        assert d.only(TransactionStatus.CANCELLED).energyAmount == 300
        assert (
            d.only(TransactionStatus.INITIAL_OFFER).energyAmount == 600
        )  # everything free, offered


def test_produce_and_consume_are_for_the_right_kind_and_whole_watt_hours() -> None:
    with device("provider") as d:
        module = d.service.module
        refused(d, WrongState, lambda: module.consume({"energy": 300, "uuid": UUID}))
        for energy in (0, -5, 2.5, "300", True, None):
            refused(d, InvalidMessage, lambda e=energy: module.produce({"energy": e, "uuid": UUID}))
        refused(d, EnergyForbidden, lambda: module.produce({"energy": 300, "uuid": "guess"}))


# reminders and the claim


def provided(d: Device) -> Any:
    d.service.module.produce({"energy": 300, "uuid": UUID})
    contract, body = contract_for(d, d.only(TransactionStatus.INITIAL_OFFER))
    d.send("/contract", body)
    d.cycle()
    assert d.only(TransactionStatus.PROVISION_FINISHED)
    return contract


def test_three_reminders_then_exactly_one_claim() -> None:
    with device("provider") as d:
        provided(d)
        d.cycle(advance_ms=10 * MINUTE_MS - 1)
        assert d.link.letters("/reminder") == []  # not yet waited maxWaitMs
        for count in (1, 2, 3):
            d.cycle(advance_ms=10 * MINUTE_MS)
            reminder = d.only(TransactionStatus.REMINDER_ISSUED)
            assert reminder.reminders == count
            assert [p.transaction.reminders for p in d.link.letters("/reminder")] == list(
                range(1, count + 1)
            )
        d.cycle(advance_ms=5 * MINUTE_MS)
        assert d.link.letters("/claim") == []  # the third reminder has not waited yet
        d.cycle(advance_ms=5 * MINUTE_MS)
        claim = d.only(TransactionStatus.CLAIM_ISSUED)
        assert claim.reminders == 3
        for _ in range(4):
            d.cycle(advance_ms=10 * MINUTE_MS)
        assert len(d.link.letters("/claim")) == 1
        assert len(d.link.letters("/reminder")) == 3


def test_a_payment_sent_but_not_yet_confirmed_is_awaited_not_reminded() -> None:
    """The marketplace relays /payment_sent only for a payment it checked on the ledger, and
    refuses a reminder after it: the provider waits for the confirmation instead."""
    from test_energy_asset_kit import peer_pays

    with device("provider") as d:
        contract = provided(d)
        message = peer_pays(d, contract)
        d.send(
            "/payment_sent",
            step(contract, TransactionStatus.PAYMENT_SENT, paymentMessageId=message.hex()),
        )
        for _ in range(4):
            d.cycle(advance_ms=10 * MINUTE_MS)  # no milestone: the payment stays unconfirmed
        assert d.link.letters("/reminder") == []
        assert d.link.letters("/claim") == []
        d.node.milestone()
        d.cycle(advance_ms=1000)
        assert d.only(TransactionStatus.PAYMENT_CONFIRMED)


def test_a_late_payment_after_the_claim_is_still_confirmed_and_never_claimed_again() -> None:
    from test_energy_asset_kit import peer_pays

    with device("provider") as d:
        contract = provided(d)
        for _ in range(4):
            d.cycle(advance_ms=10 * MINUTE_MS)
        assert d.only(TransactionStatus.CLAIM_ISSUED)
        message = peer_pays(d, contract)
        d.send(
            "/payment_sent",
            step(contract, TransactionStatus.PAYMENT_SENT, paymentMessageId=message.hex()),
        )
        d.node.milestone()
        d.cycle(advance_ms=1000)
        assert d.only(TransactionStatus.PAYMENT_CONFIRMED)
        d.cycle(advance_ms=HOUR_MS)
        assert len(d.link.letters("/claim")) == 1


# cancellations


def test_an_expired_offer_is_cancelled_and_its_energy_offered_anew() -> None:
    with device("provider", offerValidityMs=2 * HOUR_MS) as d:
        d.service.module.produce({"energy": 300, "uuid": UUID})
        first = d.only(TransactionStatus.INITIAL_OFFER)
        d.cycle(advance_ms=2 * HOUR_MS - 1)
        assert d.link.letters("/cancel") == []
        d.cycle(advance_ms=1)
        assert d.only(TransactionStatus.CANCELLED).id == first.id
        (cancel,) = d.link.letters("/cancel")
        assert cancel.transaction.id == first.id
        again = d.only(TransactionStatus.INITIAL_OFFER)
        assert (again.id != first.id, again.energyAmount) == (True, 300)
        assert (d.service.store.pool().energy, d.service.store.pool().reserved) == (300, 300)


def test_a_contract_not_provided_in_time_is_cancelled_and_unreserved() -> None:
    with device("provider", provisionMs=2 * HOUR_MS) as d:
        d.service.module.produce({"energy": 500, "uuid": UUID})
        offer = d.only(TransactionStatus.INITIAL_OFFER)
        _, body = contract_for(d, offer, amount=300)
        d.send("/contract", body)
        d.cycle(advance_ms=10 * MINUTE_MS)
        assert d.only(TransactionStatus.CONTRACT_CREATED)
        d.cycle(advance_ms=1)
        assert d.only(TransactionStatus.CANCELLED).contractId == "c-1"
        assert d.link.letters("/cancel")[0].transaction.contractId == "c-1"
        offers = [offer.energyAmount for offer in d.records(TransactionStatus.INITIAL_OFFER)]
        assert offers == [200, 300]  # the rest at the contract, the contract's at its end
        assert (d.service.store.pool().energy, d.service.store.pool().reserved) == (500, 500)


def test_an_expired_request_is_cancelled_and_requested_anew() -> None:
    with device("consumer") as d:
        d.service.module.consume({"energy": 100, "uuid": UUID})  # -100 Wh: two requests
        first = {r.id for r in d.records(TransactionStatus.INITIAL_REQUEST)}
        d.cycle(advance_ms=24 * HOUR_MS)
        assert {r.id for r in d.records(TransactionStatus.CANCELLED)} == first
        again = {r.id for r in d.records(TransactionStatus.INITIAL_REQUEST)}
        assert len(again) == 2
        assert not again & first


def test_the_marketplace_cancels_a_contract_and_the_provider_unreserves() -> None:
    with device("provider", provisionMs=HOUR_MS) as d:
        d.service.module.produce({"energy": 300, "uuid": UUID})
        contract, body = contract_for(d, d.only(TransactionStatus.INITIAL_OFFER))
        d.send("/contract", body)
        d.send("/cancel", step(contract, TransactionStatus.CANCELLED))
        assert d.only(TransactionStatus.CANCELLED).contractId == "c-1"
        assert d.service.store.pool().reserved == 0
        assert d.link.letters("/cancel") == []  # the marketplace told us: nothing to tell back
        d.send("/cancel", step(contract, TransactionStatus.CANCELLED))  # again: changes nothing
        assert len(d.service.store.events(d.only(TransactionStatus.CANCELLED).id)) == 3


# payment requests the consumer refuses


def consumer_under_contract(d: Device) -> Any:
    d.service.module.consume({"energy": 100, "uuid": UUID})
    contract, body = contract_for(d, d.records(TransactionStatus.INITIAL_REQUEST)[0])
    d.send("/contract", body)
    d.cycle()
    return contract


def sealed(d: Device, body: dict[str, Any], *, sender: Identity | None = None) -> bytes:
    from test_energy_asset_kit import MARKET

    return seal_letter(
        body,
        sender="marketplace",
        identity=sender or MARKET,
        recipient=d.service.key,
        audience=d.asset_id,
        now_ms=d.clock.now_ms(),
    )


@pytest.mark.parametrize(
    ("changes", "error", "needle"),
    [
        ({"energyAmount": 250}, InvalidMessage, "energyAmount"),
        ({"energyPrice": 10}, InvalidMessage, "energyPrice"),
        ({"walletAddress": "plz1someoneelse"}, InvalidMessage, "walletAddress"),
        ({"requesterWalletAddress": "plz1someoneelse"}, InvalidMessage, "requesterWalletAddress"),
        ({"requesterTransactionId": "not-ours"}, UnknownRecord, "not-ours"),
        ({"requesterId": "consumer-2"}, EnergyForbidden, "not this asset's"),
        ({"status": "Payment sent"}, InvalidMessage, "Payment requested"),
    ],
)
def test_a_payment_request_that_differs_is_refused_and_changes_nothing(
    changes: dict[str, Any], error: type[EnergyError], needle: str
) -> None:
    with device("consumer") as d:
        contract = consumer_under_contract(d)
        body = step(contract, TransactionStatus.PAYMENT_REQUESTED)
        body["transaction"].update(changes)
        document = sealed(d, body)
        raised = refused(d, error, lambda: d.service.module.receive("/payment", document))
        assert needle in raised.message
        assert d.service.store.queued(10) == []


def test_a_payment_request_whose_twin_differs_from_the_database_is_refused(
    tmp_path: Path,
) -> None:
    with device("consumer", on_disk=tmp_path) as d:
        contract = consumer_under_contract(d)
        with d.db() as db:  # someone rewrote the first stored state
            db.execute(
                "UPDATE events SET state = replace(state, 'Trondheim', 'Oslo') WHERE seq = "
                "(SELECT MIN(seq) FROM events WHERE record_id = ?)",
                (contract.request.requesterTransactionId,),
            )
        document = sealed(d, step(contract, TransactionStatus.PAYMENT_REQUESTED))
        raised = refused(d, InvalidMessage, lambda: d.service.module.receive("/payment", document))
        assert "twin" in raised.message


def test_letters_not_from_the_marketplace_or_replayed_are_refused() -> None:
    with device("consumer") as d:
        contract = consumer_under_contract(d)
        module = d.service.module
        forged = sealed(
            d, step(contract, TransactionStatus.PAYMENT_REQUESTED), sender=Identity.generate()
        )
        refused(d, NotAuthenticated, lambda: module.receive("/payment", forged))
        early = sealed(d, step(contract, TransactionStatus.PAYMENT_REQUESTED))
        d.clock.advance(ms=6 * MINUTE_MS)
        refused(d, NotAuthenticated, lambda: module.receive("/payment", early))
        document = sealed(d, step(contract, TransactionStatus.PAYMENT_REQUESTED))
        module.receive("/payment", document)
        refused(d, NotAuthenticated, lambda: module.receive("/payment", document))
        refused(
            d,
            EnergyForbidden,
            lambda: module.receive(
                "/payment_sent",
                sealed(
                    d, step(contract, TransactionStatus.PAYMENT_SENT, paymentMessageId="ab" * 32)
                ),
            ),
        )
        refused(d, InvalidMessage, lambda: module.receive("/payment", b'{"encrypted": 5}'))
        refused(d, UnknownRecord, lambda: module.receive("/unknown", document))


def test_a_payment_request_before_the_contract_is_refused() -> None:
    with device("consumer") as d:
        d.service.module.consume({"energy": 100, "uuid": UUID})
        request = d.records(TransactionStatus.INITIAL_REQUEST)[0]
        body = {
            "transaction": request.with_status(
                TransactionStatus.PAYMENT_REQUESTED, timestamp_ms=1
            ).to_json()
        }
        document = sealed(d, body)
        refused(d, WrongState, lambda: d.service.module.receive("/payment", document))


def test_a_contract_not_naming_this_asset_or_its_terms_is_refused() -> None:
    with device("provider") as d:
        d.service.module.produce({"energy": 300, "uuid": UUID})
        offer = d.only(TransactionStatus.INITIAL_OFFER)
        _, cheaper = contract_for(
            d, offer.with_status(TransactionStatus.INITIAL_OFFER, timestamp_ms=1, energyPrice=100)
        )
        document = sealed(d, cheaper)
        raised = refused(d, InvalidMessage, lambda: d.service.module.receive("/contract", document))
        assert "energyPrice" in raised.message
        _, good = contract_for(d, offer)
        forged = dict(good, contract={**good["contract"], "signature": "00" * 64})
        document = sealed(d, forged)
        refused(d, NotAuthenticated, lambda: d.service.module.receive("/contract", document))


def test_a_claim_is_logged_and_the_consumer_still_pays() -> None:
    with device("consumer") as d:
        contract = consumer_under_contract(d)
        d.send("/claim", step(contract, TransactionStatus.CLAIM_ISSUED, reminders=3))
        claim = d.only(TransactionStatus.CLAIM_ISSUED)
        assert claim.reminders == 3
        assert [r.id for r in d.service.store.queued(10)] == [claim.requesterTransactionId]
        assert d.logged("claim") == 1
