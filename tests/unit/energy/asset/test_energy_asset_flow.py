"""The asset module end to end on one device: a provider offers, is contracted, provides
and is paid; a consumer requests, is contracted, verifies the payment request, is funded
by its owner and pays exactly once. Real SQLite, a real node in this process, the
marketplace and the owner played by a fake link that opens every letter."""

from __future__ import annotations

import threading

import pytest
from test_energy_asset_kit import (
    MARKET,
    PEER_WALLET,
    UUID,
    Device,
    balance,
    contract_for,
    device,
    peer_pays,
    step,
)

from plaza.adapters.ledger.local import LocalLedger
from plaza.energy.envelope import seal_letter
from plaza.energy.ledger import LedgerAccess
from plaza.energy.model import TransactionStatus
from plaza.energy.twins import audit_twin, parse_reader_key
from plaza.jobs import Worker
from plaza.wallet import NodeBusy


def twin_problems(d: Device, record_id: str, twin: str) -> list[str]:
    """The record's twin audited against the states its database recorded."""
    expected = [event["state"] for event in d.service.store.events(record_id)]
    report = audit_twin(
        d.node.gateway,
        parse_reader_key(twin),
        signer=d.service.key.signing,
        confirmed=LedgerAccess(LocalLedger(d.node.runtime)).confirmed,
        expected=expected,
    )
    return list(report.problems)


def pool(d: Device) -> tuple[int, int]:
    current = d.service.store.pool()
    return current.energy, current.reserved


def test_registration_introduces_the_device_key_and_wallet() -> None:
    with device("provider") as d:
        (register,) = d.link.letters("/register")
        assert register.letter.sender == "provider-1"
        assert register.letter.key == d.service.key.signing
        asset = register.body["asset"]
        assert asset["publicKey"] == d.service.key.to_text()
        assert asset["walletAddress"] == d.service.wallet_address
        assert (asset["type"], asset["assetOwner"], asset["url"]) == (
            "provider",
            "owner-1",
            "http://device.test",
        )


def test_a_provider_offers_provides_and_is_paid() -> None:
    with device("provider") as d:
        module = d.service.module
        module.produce({"energy": 150, "uuid": UUID})
        assert d.records() == []  # under minOfferAmount: nothing to offer yet
        module.produce({"energy": 350, "uuid": UUID})
        d.deliver()
        offer = d.only(TransactionStatus.INITIAL_OFFER)
        assert (offer.energyAmount, offer.energyPrice) == (500, 150)
        assert offer.walletAddress == d.service.wallet_address
        assert pool(d) == (500, 500)
        (sent,) = d.link.letters("/offer")
        assert sent.transaction == offer
        (notified,) = d.link.letters("/notify_event")
        assert notified.body["transaction"] == offer.to_json()
        assert notified.body["assetId"] == "provider-1"
        assert notified.body["twin"] == sent.body["twin"]

        contract, body = contract_for(d, offer, amount=300)
        d.send("/contract", body)
        assert d.only(TransactionStatus.CONTRACT_CREATED).contractId == "c-1"
        assert pool(d) == (500, 300)  # the unmatched 200 Wh are free again

        d.cycle()  # provision (provisionMs 0), and the free 200 Wh offered anew
        assert d.only(TransactionStatus.PROVISION_FINISHED).energyAmount == 300
        assert d.only(TransactionStatus.INITIAL_OFFER).energyAmount == 200
        assert pool(d) == (200, 200)
        (provision,) = d.link.letters("/provision")
        assert provision.transaction.status is TransactionStatus.PROVISION_FINISHED

        message = peer_pays(d, contract)
        d.send(
            "/payment_sent",
            step(contract, TransactionStatus.PAYMENT_SENT, paymentMessageId=message.hex()),
        )
        assert d.only(TransactionStatus.PAYMENT_SENT).paymentMessageId == message.hex()
        d.cycle(advance_ms=1000)
        assert (
            d.records(TransactionStatus.PAYMENT_CONFIRMED) == []
        )  # on the ledger, not yet confirmed
        d.node.milestone()
        d.cycle(advance_ms=1000)
        assert d.only(TransactionStatus.PAYMENT_CONFIRMED).paymentMessageId == message.hex()
        (confirmation,) = d.link.letters("/payment_confirmation")
        assert confirmation.transaction.status is TransactionStatus.PAYMENT_CONFIRMED
        assert balance(d, d.service.wallet_address) == contract.value

        d.node.milestone()
        assert twin_problems(d, offer.id, sent.body["twin"]) == []
        statuses = [e["state"]["status"] for e in d.service.store.events(offer.id)]
        assert statuses == [
            "Initial offer",
            "Contract created",
            "Energy provision finished",
            "Payment sent",
            "Payment confirmed",
        ]


def test_a_payment_naming_another_contract_is_never_confirmed() -> None:
    with device("provider") as d:
        d.service.module.produce({"energy": 300, "uuid": UUID})
        contract, body = contract_for(d, d.only(TransactionStatus.INITIAL_OFFER))
        d.send("/contract", body)
        d.cycle()
        message = peer_pays(d, contract, contract_id="c-other")
        d.send(
            "/payment_sent",
            step(contract, TransactionStatus.PAYMENT_SENT, paymentMessageId=message.hex()),
        )
        d.node.milestone()
        for _ in range(3):
            d.cycle(advance_ms=1000)
        assert d.records(TransactionStatus.PAYMENT_CONFIRMED) == []
        assert d.link.letters("/payment_confirmation") == []
        assert d.logged("check_payment", ok=False) == 1  # rejected once, not re-read every cycle


def consumer_with_request(d: Device) -> None:
    d.service.module.consume({"energy": 50, "uuid": UUID})
    d.deliver()


def test_a_consumer_requests_until_its_pool_and_open_requests_cover_the_minimum() -> None:
    with device("consumer") as d:
        consumer_with_request(d)
        requests = d.records(TransactionStatus.INITIAL_REQUEST)
        assert [r.energyAmount for r in requests] == [200, 200]  # -50 + 400 >= 200
        assert all(r.energyPrice == 200 for r in requests)  # the maxEnergyPrice
        assert requests[0].requesterWalletAddress == d.service.wallet_address
        assert pool(d) == (-50, 0)
        assert len(d.link.letters("/request")) == 2
        d.service.module.consume({"energy": 100, "uuid": UUID})
        assert len(d.records(TransactionStatus.INITIAL_REQUEST)) == 2  # 250 + 400 still covers 200


def test_a_consumer_verifies_is_funded_and_pays_once() -> None:
    with device("consumer") as d:
        consumer_with_request(d)
        request = d.records(TransactionStatus.INITIAL_REQUEST)[0]
        contract, body = contract_for(d, request)
        d.send("/contract", body)
        d.cycle()
        assert d.only(TransactionStatus.PROVISION_FINISHED).energyAmount == 200
        assert pool(d) == (150, 0)

        d.send("/payment", step(contract, TransactionStatus.PAYMENT_REQUESTED))
        assert d.only(TransactionStatus.PAYMENT_REQUESTED).contractId == "c-1"
        d.cycle(advance_ms=1000)  # short of funds: the owner is asked, then the payment goes
        (fund,) = d.link.letters("/fund")
        assert fund.body == {
            "assetId": "consumer-1",
            "type": "consumer",
            "balance": 0,
            "walletAddress": d.service.wallet_address,
            "amount": contract.value,
            "reference": f"consumer-1:{request.id}",
        }
        messages = d.node.message_count()
        d.cycle(advance_ms=1000)  # pending: the same saved bytes again, no new payment
        assert d.node.message_count() == messages
        assert d.records(TransactionStatus.PAYMENT_PROCESSED) == []

        d.node.milestone()
        d.cycle(advance_ms=1000)
        processed = d.only(TransactionStatus.PAYMENT_PROCESSED)
        (told,) = d.link.letters("/payment_processing")
        assert told.transaction.paymentMessageId == processed.paymentMessageId
        assert balance(d, PEER_WALLET) == contract.value == 24  # ceil(200 Wh * 120 / 1000)

        d.send("/payment", step(contract, TransactionStatus.PAYMENT_REQUESTED, reminders=1))
        assert len(d.link.letters("/payment_processing")) == 2  # a reminder: told again
        assert d.records(TransactionStatus.PAYMENT_REQUESTED) == []

        d.send(
            "/payment_confirmed",
            step(
                contract,
                TransactionStatus.PAYMENT_CONFIRMED,
                paymentMessageId=processed.paymentMessageId,
            ),
        )
        assert (
            d.only(TransactionStatus.PAYMENT_CONFIRMED).paymentMessageId
            == processed.paymentMessageId
        )
        for _ in range(3):
            d.node.milestone()
            d.cycle(advance_ms=20 * 60_000)
        assert balance(d, PEER_WALLET) == 24


def test_a_saved_payment_survives_a_lost_submit_and_a_restart(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with device("consumer") as d:
        consumer_with_request(d)
        contract, body = contract_for(d, d.records(TransactionStatus.INITIAL_REQUEST)[0])
        d.send("/contract", body)
        d.send("/payment", step(contract, TransactionStatus.PAYMENT_REQUESTED))
        real_submit = LocalLedger.submit
        calls: list[bytes] = []

        def lose_payments(self: LocalLedger, raw: bytes) -> None:
            if not calls:  # the funding goes through; the payment's submit is lost
                calls.append(raw)
                real_submit(self, raw)
                return
            raise NodeBusy("lost on the way", None)

        monkeypatch.setattr(LocalLedger, "submit", lose_payments)
        d.cycle(advance_ms=1000)
        monkeypatch.setattr(LocalLedger, "submit", real_submit)
        (saved,) = d.in_flight()
        assert d.node.runtime.store.metadata(saved.message_id) is None  # never sent

        d.reopen()
        d.cycle(advance_ms=1000)  # the saved bytes are submitted, no payment is signed anew
        d.node.milestone()
        d.cycle(advance_ms=1000)
        assert (
            d.only(TransactionStatus.PAYMENT_PROCESSED).paymentMessageId == saved.message_id.hex()
        )
        assert balance(d, PEER_WALLET) == contract.value
        assert len(d.link.letters("/fund")) == 1


def test_every_state_of_a_consumer_transaction_is_on_its_twin() -> None:
    with device("consumer") as d:
        consumer_with_request(d)
        request = d.records(TransactionStatus.INITIAL_REQUEST)[0]
        contract, body = contract_for(d, request)
        d.send("/contract", body)
        d.send("/payment", step(contract, TransactionStatus.PAYMENT_REQUESTED))  # provides first
        d.cycle(advance_ms=1000)
        d.node.milestone()
        d.cycle(advance_ms=1000)
        d.node.milestone()
        twin = next(
            p.body["twin"] for p in d.link.letters("/request") if p.transaction.id == request.id
        )
        assert twin_problems(d, request.id, twin) == []
        statuses = [e["state"]["status"] for e in d.service.store.events(request.id)]
        assert statuses == [
            "Initial request",
            "Contract created",
            "Energy provision finished",
            "Payment requested",
            "Payment processed",
        ]


def test_a_consumer_its_owner_cannot_fund_waits_and_pays_on_a_later_cycle() -> None:
    with device("consumer") as d:
        consumer_with_request(d)
        contract, body = contract_for(d, d.records(TransactionStatus.INITIAL_REQUEST)[0])
        d.send("/contract", body)
        d.send("/payment", step(contract, TransactionStatus.PAYMENT_REQUESTED))
        d.link.fund_down = True
        d.cycle(advance_ms=1000)
        assert d.in_flight() == []
        assert len(d.service.store.queued(10)) == 1
        d.link.fund_down = False
        d.cycle(advance_ms=500)  # sooner than paymentQueueProcessingSpeed: no payment cycle
        assert len(d.link.letters("/fund")) == 1
        d.cycle(advance_ms=500)
        assert len(d.link.letters("/fund")) == 2
        (in_flight,) = d.in_flight()
        d.node.milestone()
        d.cycle(advance_ms=1000)
        assert (
            d.only(TransactionStatus.PAYMENT_PROCESSED).paymentMessageId
            == in_flight.message_id.hex()
        )
        assert d.logged("fund", ok=False) == 1


def test_a_peer_answering_at_once_from_another_thread_finds_the_device_free() -> None:
    """Letters leave only once the device's lock is released: with inline delivery, a
    marketplace that answers an offer with its contract at once must not deadlock."""
    with device("provider") as d:
        answers: list[threading.Thread] = []

        def marketplace(path: str) -> None:
            if path != "/offer":
                return
            _, body = contract_for(d, d.link.letters("/offer")[-1].transaction)
            document = seal_letter(
                body,
                sender="marketplace",
                identity=MARKET,
                recipient=d.service.key,
                audience=d.asset_id,
                now_ms=d.clock.now_ms(),
            )
            answer = threading.Thread(target=d.service.module.receive, args=("/contract", document))
            answers.append(answer)
            answer.start()
            answer.join(timeout=10)

        d.link.on_post = marketplace
        d.queue.on_enqueue(lambda: Worker(d.queue, d.service.handlers()).run_until_idle())
        d.service.module.produce({"energy": 300, "uuid": UUID})
        assert answers
        assert not answers[0].is_alive()
        assert d.only(TransactionStatus.CONTRACT_CREATED).contractId == "c-1"
