"""An in-process node and wallets on it, for the wallet unit tests (imported by name)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from plaza.adapters.ledger.local import LocalLedger
from plaza.crypto import Address, SigningKey
from plaza.ledger.compose import compose
from plaza.ledger.genesis import Genesis
from plaza.ledger.model import Output, TransferPayload
from plaza.node import FaucetPolicy, NodeConfig, NodeRuntime
from plaza.storage import MemoryTangleStore
from plaza.testing import FakeClock
from plaza.testing.builders import key_from_number
from plaza.wallet import KdfParams, Wallet

PASSWORD = "correct horse battery staple"
SUPPLY = 1_000_000_000
FAUCET_AMOUNT = 1_000_000


@dataclass
class InProcessNode:
    runtime: NodeRuntime
    clock: FakeClock
    faucet: SigningKey

    def milestone(self) -> None:
        assert self.runtime.coordinator is not None
        self.runtime.coordinator.issue_milestone()

    def gateway(self) -> LocalLedger:
        """Waiting issues a milestone instead of sleeping, so waits end deterministically."""
        return LocalLedger(self.runtime, pause=lambda _seconds: self.milestone())

    def create_wallet(self, path: Path) -> Wallet:
        wallet, _phrase = Wallet.create(
            path, PASSWORD, gateway=self.gateway(), clock=self.clock, kdf=KdfParams.MINIMUM
        )
        return wallet

    def fund(self, address: Address, amount: int) -> None:
        """Pay ``amount`` from the faucet key directly and confirm it."""
        self.spend(self.faucet, {address: amount})
        self.milestone()

    def spend(self, signer: SigningKey, payees: dict[Address, int]) -> bytes:
        """Attach a transfer signed by ``signer`` outside any wallet; its id."""
        tangle = self.runtime.tangle
        message = compose(
            signer,
            network_id=tangle.genesis.network_id,
            parents=tangle.select_parents(),
            payload=TransferPayload(
                tuple(Output(a.raw, n) for a, n in sorted(payees.items(), key=lambda i: i[0]))
            ),
            issued_at_ms=self.clock.now_ms(),
            work=self.runtime.work,
        )
        self.runtime.submit(message.raw)
        return message.id


@contextmanager
def in_process_node(*, faucet: FaucetPolicy | None = None) -> Iterator[InProcessNode]:
    clock = FakeClock()
    faucet_key, coordinator = key_from_number(1), key_from_number(2)
    genesis = Genesis.create(
        "plaza-wallet-test",
        timestamp_ms=clock.now_ms(),
        allocations={faucet_key.public_key.address.raw: SUPPLY},
        coordinator_keys=(coordinator.public_key.raw,),
    )
    config = NodeConfig(
        pow_difficulty=0, faucet=faucet or FaucetPolicy(amount=FAUCET_AMOUNT, address_interval_s=60)
    )
    runtime = NodeRuntime(
        store=MemoryTangleStore(),
        genesis=genesis,
        config=config,
        clock=clock,
        coordinator_keys=[coordinator],
        faucet_key=faucet_key,
    )
    try:
        yield InProcessNode(runtime, clock, faucet_key)
    finally:
        runtime.close()
