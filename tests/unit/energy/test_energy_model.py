"""The energy seed's transaction and contract: parsing refuses what is wrong, joining keeps the
rules, and money rounds in the provider's favour."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from plaza.energy.errors import InvalidMessage
from plaza.energy.model import (
    MAX_ENERGY_WH,
    MAX_PRICE,
    AssetType,
    EnergyContract,
    Transaction,
    TransactionStatus,
    TransactionType,
    contract_value,
)

NOW = 1_767_225_600_000


def offer_json(**changes: Any) -> dict[str, Any]:
    return {
        "type": "offer",
        "status": "Initial offer",
        "energyAmount": 5000,
        "energyPrice": 250,
        "timestamp": str(NOW),
        "providerId": "solar-1",
        "providerTransactionId": "tx-offer-1",
        "walletAddress": "plz1provider",
        "location": "Berlin",
        **changes,
    }


def request_json(**changes: Any) -> dict[str, Any]:
    return {
        "type": "request",
        "status": "Initial request",
        "energyAmount": 3000,
        "energyPrice": 300,
        "timestamp": str(NOW),
        "requesterId": "ev-1",
        "requesterTransactionId": "tx-request-1",
        "walletAddress": "plz1consumer",
        **changes,
    }


OFFER = Transaction.from_json(offer_json())
REQUEST = Transaction.from_json(request_json())


@pytest.mark.parametrize(
    ("energy", "price", "value"),
    [
        (1000, 250, 250),
        (310, 250, 78),
        (1, 1, 1),
        (999, 1, 1),
        (1001, 1, 2),
        (0, 500, 0),
        (5, 0, 0),
        (MAX_ENERGY_WH, MAX_PRICE, MAX_ENERGY_WH * MAX_PRICE // 1000),
    ],
)
def test_a_contract_costs_energy_times_price_per_kwh_rounded_up(
    energy: int, price: int, value: int
) -> None:
    assert contract_value(energy, price) == value


def test_a_transaction_round_trips_through_json() -> None:
    assert OFFER.type is TransactionType.OFFER
    assert OFFER.status is TransactionStatus.INITIAL_OFFER
    assert (OFFER.id, OFFER.owner) == ("tx-offer-1", "solar-1")
    assert (REQUEST.id, REQUEST.owner) == ("tx-request-1", "ev-1")
    assert OFFER.value == 1250
    wire = OFFER.to_json()
    assert wire["type"] == "offer"
    assert wire["status"] == "Initial offer"
    assert Transaction.from_json(wire) == OFFER
    assert wire["reminders"] == 0
    assert wire["paymentMessageId"] == ""


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"type": "gift"}, "type must be one of 'offer', 'request', got 'gift'"),
        ({"type": None}, "type must be one of"),
        ({"status": "Paid"}, "status must be one of"),
        ({"energyAmount": 0}, "energyAmount must be between 1 and"),
        ({"energyAmount": MAX_ENERGY_WH + 1}, "energyAmount must be between"),
        ({"energyAmount": 1.5}, "energyAmount must be an integer"),
        ({"energyAmount": "5000"}, "energyAmount must be an integer"),
        ({"energyAmount": True}, "energyAmount must be an integer"),
        ({"energyPrice": -1}, "energyPrice must be between 0 and"),
        ({"energyPrice": MAX_PRICE + 1}, "energyPrice must be between"),
        ({"timestamp": NOW}, "timestamp must be milliseconds"),
        ({"timestamp": "yesterday"}, "timestamp must be milliseconds"),
        ({"timestamp": "1" * 17}, "timestamp must be milliseconds"),
        ({"providerId": "solar 1"}, "providerId 'solar 1' is not a valid identifier"),
        ({"providerId": 5}, "providerId must be a string"),
        ({"providerTransactionId": "x" * 65}, "not a valid identifier"),
        ({"location": "x" * 257}, "location is longer than 256 characters"),
        ({"providerId": ""}, "an offer needs providerId and providerTransactionId"),
        ({"providerTransactionId": ""}, "an offer needs providerId"),
        ({"reminders": -1}, "reminders must be between 0 and 1000"),
        ({"contractId": "c/1"}, "contractId 'c/1' is not a valid identifier"),
    ],
)
def test_a_bad_transaction_field_is_refused_by_name(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidMessage, match=message.replace("(", r"\(")):
        Transaction.from_json(offer_json(**changes))


def test_a_request_needs_the_requesters_ids() -> None:
    with pytest.raises(InvalidMessage, match="needs requesterId and requesterTransactionId"):
        Transaction.from_json(request_json(requesterId=""))
    with pytest.raises(InvalidMessage, match="a transaction must be a JSON object"):
        Transaction.from_json(["offer"])


def test_statuses_fall_into_initial_unpaid_and_final() -> None:
    assert TransactionStatus.INITIAL_OFFER.is_initial
    assert TransactionStatus.CONTRACT_CREATED.is_initial
    assert not TransactionStatus.PROVISION_FINISHED.is_initial
    assert TransactionStatus.CLAIM_ISSUED.is_unpaid
    assert TransactionStatus.REMINDER_ISSUED.is_unpaid
    assert not TransactionStatus.PAYMENT_CONFIRMED.is_unpaid
    assert TransactionStatus.PAYMENT_CONFIRMED.is_final
    assert TransactionStatus.CANCELLED.is_final
    assert not TransactionStatus.PAYMENT_SENT.is_final
    assert AssetType.PROVIDER.side is TransactionType.OFFER
    assert AssetType.CONSUMER.side is TransactionType.REQUEST


def test_with_status_moves_the_state_and_keeps_the_terms() -> None:
    later = OFFER.with_status(TransactionStatus.CANCELLED, timestamp_ms=NOW + 5, reminders=2)
    assert (later.status, later.timestamp, later.reminders) == (
        TransactionStatus.CANCELLED,
        str(NOW + 5),
        2,
    )
    assert later.same_terms(OFFER) == []
    assert OFFER.status is TransactionStatus.INITIAL_OFFER


def test_same_terms_names_every_differing_term() -> None:
    other = replace(OFFER, energyPrice=251, walletAddress="plz1other", contractId="c-9")
    assert OFFER.same_terms(other) == ["energyPrice", "walletAddress", "contractId"]
    assert OFFER.same_terms(replace(OFFER, location="Paris", additionalDetails="x")) == []


def test_same_terms_compares_the_payers_wallet_too() -> None:
    contract = EnergyContract.join("c-1", OFFER, REQUEST, now_ms=NOW).transaction
    assert contract.same_terms(replace(contract, requesterWalletAddress="plz1thief")) == [
        "requesterWalletAddress"
    ]


def test_a_contract_joins_the_offer_with_the_whole_request_at_the_offers_price() -> None:
    contract = EnergyContract.join("c-1", OFFER, REQUEST, now_ms=NOW + 10)
    joined = contract.transaction
    assert joined.type is TransactionType.OFFER
    assert joined.status is TransactionStatus.CONTRACT_CREATED
    assert joined.timestamp == str(NOW + 10)
    assert (joined.providerId, joined.providerTransactionId) == ("solar-1", "tx-offer-1")
    assert (joined.requesterId, joined.requesterTransactionId) == ("ev-1", "tx-request-1")
    assert (joined.energyAmount, joined.energyPrice) == (3000, 250)
    assert (joined.walletAddress, joined.requesterWalletAddress) == ("plz1provider", "plz1consumer")
    assert joined.contractId == "c-1"
    assert contract.value == contract_value(3000, 250) == 750
    assert contract.party("solar-1") is TransactionType.OFFER
    assert contract.party("ev-1") is TransactionType.REQUEST
    assert contract.party("heat-pump-1") is None


def test_a_contract_round_trips_through_json() -> None:
    contract = EnergyContract.join("c-1", OFFER, REQUEST, now_ms=NOW)
    assert EnergyContract.from_json(contract.to_json()) == contract
    moved = replace(
        contract,
        transaction=contract.transaction.with_status(
            TransactionStatus.PAYMENT_SENT, timestamp_ms=NOW + 99
        ),
    )
    assert (
        EnergyContract.from_json(moved.to_json()).transaction.status
        is TransactionStatus.PAYMENT_SENT
    )


@pytest.mark.parametrize(
    ("offer", "wanted", "message"),
    [
        (REQUEST, OFFER, "joins one offer and one request"),
        (OFFER, OFFER, "joins one offer and one request"),
        (OFFER, replace(REQUEST, energyAmount=5001), "asks for more energy than the offer holds"),
        (OFFER, replace(REQUEST, requesterId="solar-1"), "cannot contract with itself"),
    ],
)
def test_a_contract_that_breaks_the_rules_is_refused(
    offer: Transaction, wanted: Transaction, message: str
) -> None:
    with pytest.raises(InvalidMessage, match=message):
        EnergyContract.join("c-1", offer, wanted, now_ms=NOW)


def test_a_request_for_exactly_the_offer_joins() -> None:
    whole = EnergyContract.join("c-2", OFFER, replace(REQUEST, energyAmount=5000), now_ms=NOW)
    assert whole.transaction.energyAmount == 5000


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda c: {**c, "transaction": {**c["transaction"], "energyPrice": 1}},
            "contract transaction differs in energyPrice",
        ),
        (
            lambda c: {
                **c,
                "transaction": {**c["transaction"], "energyAmount": 5000, "requesterId": "ev-2"},
            },
            "differs in requesterId, energyAmount",
        ),
        (lambda c: {**c, "contractId": "c/1"}, "contractId 'c/1' is not a valid identifier"),
        (lambda c: {**c, "createdAt": -1}, "createdAt must be between"),
        (lambda c: {**c, "offer": c["request"]}, "joins one offer and one request"),
        (
            lambda c: {k: v for k, v in c.items() if k != "transaction"},
            "a transaction must be a JSON object",
        ),
        (lambda c: [c], "a contract must be a JSON object"),
    ],
)
def test_a_bad_contract_is_refused_by_what_is_wrong(change: Any, message: str) -> None:
    wire = EnergyContract.join("c-1", OFFER, REQUEST, now_ms=NOW).to_json()
    with pytest.raises(InvalidMessage, match=message):
        EnergyContract.from_json(change(wire))
