"""The asset's ``/fund`` letter names the need it funds: the ``reference`` its payments
give (``assetId:recordId`` of the payment batch's first record), the same in a retry
after a lost reply, so the owner can pay it once."""

from __future__ import annotations

from typing import Any

import pytest
from test_energy_asset_kit import OWNER_URL, UUID, Device, contract_for, device, step

from plaza.crypto import Identity
from plaza.energy.asset.funding import OwnerFunder
from plaza.energy.errors import PeerFailed
from plaza.energy.model import TransactionStatus
from plaza.market.settlement import PaymentFailed


def consumer_owing(d: Device) -> str:
    """A consumer whose contract asks for a payment it cannot cover; the record's id."""
    d.service.module.consume({"energy": 50, "uuid": UUID})
    d.deliver()
    request = d.records(TransactionStatus.INITIAL_REQUEST)[0]
    contract, body = contract_for(d, request)
    d.send("/contract", body)
    d.send("/payment", step(contract, TransactionStatus.PAYMENT_REQUESTED))
    (record,) = d.service.store.queued(10)
    return record.id


def test_the_fund_letter_carries_the_payments_reference() -> None:
    with device("consumer") as d:
        record_id = consumer_owing(d)
        d.cycle(advance_ms=1000)
        (fund,) = d.link.letters("/fund")
        assert fund.body["reference"] == f"{d.asset_id}:{record_id}"
        assert set(fund.body) == {
            "assetId",
            "type",
            "walletAddress",
            "balance",
            "amount",
            "reference",
        }


def test_a_fund_retried_after_a_lost_reply_names_the_same_reference(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with device("consumer") as d:
        record_id = consumer_owing(d)
        answer = d.link._fund

        def reply_lost(body: dict[str, Any]) -> dict[str, Any]:
            answer(body)  # the owner pays, but its reply never arrives
            raise PeerFailed(OWNER_URL, "/fund", "connection reset", refused=False)

        monkeypatch.setattr(d.link, "_fund", reply_lost)
        d.cycle(advance_ms=1000)
        monkeypatch.setattr(d.link, "_fund", answer)
        d.cycle(advance_ms=1000)
        first, retry = d.link.letters("/fund")
        assert first.letter.issued_at_ms < retry.letter.issued_at_ms  # a new letter ...
        assert first.body["reference"] == retry.body["reference"] == f"{d.asset_id}:{record_id}"


class _NoLink:
    def __init__(self) -> None:
        self.posted: list[str] = []

    def post(self, url: str, path: str, document: bytes) -> dict[str, Any]:
        self.posted.append(path)
        raise AssertionError("nothing is sent for a reference the owner would refuse")


def test_a_reference_the_owner_would_refuse_is_not_sent() -> None:
    with device("consumer") as d:
        link = _NoLink()
        funder = OwnerFunder(
            link=link,
            ledger=None,  # type: ignore[arg-type]  # never reached
            identity=Identity.generate(),
            config=lambda: d.service.module.config,
            clock=d.clock,
        )
        payee = Identity.generate().address
        for bad in ("", "x" * 129, "has space", "a\nb"):
            with pytest.raises(PaymentFailed, match="reference"):
                funder.fund(payee, 10, reference=bad)
        assert link.posted == []
