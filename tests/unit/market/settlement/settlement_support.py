"""A settlement service over the in-memory store and fake payments, on a fake clock."""

from __future__ import annotations

from dataclasses import dataclass, field

from plaza.market.settlement import (
    Contract,
    MemorySettlementStore,
    Settlement,
    SettlementPolicy,
    SettlementService,
)
from plaza.testing import FakeClock
from plaza.testing.payments import FakePayments

POLICY = SettlementPolicy(provision_timeout_ms=60_000, max_wait_ms=10_000, batch_size=10)


@dataclass
class Recorder:
    steps: list[tuple[str, str, str]] = field(default_factory=list)

    def changed(self, before: Settlement, after: Settlement, step: str) -> None:
        self.steps.append((after.id, step, after.phase.value))


@dataclass
class Harness:
    clock: FakeClock
    store: MemorySettlementStore
    payments: FakePayments
    service: SettlementService
    recorder: Recorder

    def contract(self, number: int, *, consumer: str = "consumer", quantity: int = 10) -> Contract:
        return Contract(
            f"c{number}", "provider", consumer, quantity, 7, self.clock.now_ms() + number
        )


def harness(*, balance: int = 1_000, owner_funds: int = 10_000) -> Harness:
    clock = FakeClock()
    store = MemorySettlementStore()
    payments = FakePayments({"consumer": balance}, {"consumer": owner_funds})
    recorder = Recorder()
    service = SettlementService(store, payments, clock, policy=POLICY, listener=recorder)
    return Harness(clock, store, payments, service, recorder)
