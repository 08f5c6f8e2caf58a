"""A machine that buys sensor streams the only way they are sold: through the marketplace.

Each purchase is a request that meets the sensor's standing offer (an order and a
contract, with their twins), paid to the sensor from the consumer's own address with
the buyer's X25519 key beside the contract (:mod:`plaza.streams.market`). ``pay``
lets a test pay a contract less than its total, to see it refunded.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from plaza.clients.market import ContractRecord, MarketClient
from plaza.clock import SystemClock
from plaza.crypto import Address, EncryptionKey
from plaza.market.auth import Role
from plaza.market.settlement import Phase
from plaza.streams import Sensor
from plaza.streams.market import (
    MARKET_PAYMENT_TAG,
    MarketPayment,
    ensure_participant,
    pay_contract,
    request_stream,
)
from plaza.wallet import Wallet

CLOCK = SystemClock()


@dataclass
class MarketBuyer:
    """A wallet whose first address is a consumer in the marketplace, and its stream key."""

    wallet: Wallet
    client: MarketClient
    reader: EncryptionKey

    def buy(
        self, sensor: Sensor, seconds: int, *, pay: int | None = None
    ) -> tuple[ContractRecord, bytes]:
        """A contract for ``seconds`` of ``sensor``'s stream, paid (its total unless ``pay``
        says otherwise) and confirmed; the contract and the payment's message id."""
        record = request_stream(self.client, sensor, seconds, CLOCK.now_ms())
        if pay is None:
            paid = pay_contract(self.client, self.wallet, sensor, record, self.reader)
            return record, paid.message_ids[0]
        assert self.client.identity is not None
        payer = Address.from_public_key(self.client.identity.public_key.raw)
        memo = MarketPayment(record.id, self.reader.public_key).encode()
        to = sensor.announcement.pay_to
        sent = self.wallet.send(to, pay, tag=MARKET_PAYMENT_TAG, data=memo, payer=payer, wait=True)
        return record, sent.message_ids[0]

    def phase(self, contract_id: str) -> Phase | None:
        settlement = self.client.contract(contract_id).settlement
        return None if settlement is None else settlement.phase


@contextmanager
def market_buyer(url: str, wallet: Wallet, reader: EncryptionKey) -> Iterator[MarketBuyer]:
    """``wallet``'s buyer in the marketplace at ``url``, registered as a consumer."""
    with MarketClient(url, identity=wallet.export_identity()) as client:
        ensure_participant(client, "a city app", Role.CONSUMER)
        yield MarketBuyer(wallet, client, reader)
