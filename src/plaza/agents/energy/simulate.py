"""The energy market at scale, in this process: many devices, many 15-minute slots, no HTTP.

``plaza simulate energy`` asks how Plaza's matching copes with a town's worth
of devices trading every quarter hour. Each of N agents is a producer (solar
panel, charging station) or a consumer (electric vehicle, heat pump) with a
profile from :mod:`plaza.agents.energy.profiles` and a limit price near a reference
price. In each slot every agent with energy offers what it produces in that
slot, or requests what it needs, valid for that slot only; the slot's market
then clears with one of Plaza's matching policies
(:mod:`plaza.market.matching`), uniform-price clearing by default, and what is
left unmatched goes to the grid and is forgotten.

Each slot runs on a fresh :class:`~plaza.market.matching.MatchingEngine`, as
the benchmark drives it: entries straight into the engine, no journal, no
store, no letters, so the figure measures matching and the agents' profiles.
The end-to-end path (asset modules, letters, twins) is what ``plaza demo`` runs.

The same seed gives the same agents, orders and trades. Agents submit in an
order rotated every slot, so time priority does not favour the same agents all
week.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from plaza.agents.energy.profiles import SLOT_MS, SLOTS_PER_DAY, DeviceKind, Profile
from plaza.agents.energy.profiles import typical_profile as _typical
from plaza.energy.model import AssetType, contract_value
from plaza.market.matching import MatchingEngine, Resting, policy_named
from plaza.market.model import NO_REQUIREMENTS, Order, OrderStatus, Side

__all__ = [
    "POLICIES",
    "START_MS",
    "Agent",
    "EnergySimulation",
    "SimulationReport",
    "SlotOutcome",
    "Tally",
    "Trade",
]

#: The matching policies a simulation may use (``manual`` would never trade).
POLICIES = ("uniform", "one_to_one", "cda")
#: Midnight UTC, Monday 2026-01-05: slot 0 of every simulation, so runs compare.
START_MS = 1_767_571_200_000
#: The share of each kind among the agents: a little more demand than supply.
MIX: tuple[tuple[DeviceKind, float], ...] = (
    (DeviceKind.SOLAR, 0.30),
    (DeviceKind.CHARGER, 0.10),
    (DeviceKind.EV, 0.35),
    (DeviceKind.HEAT_PUMP, 0.25),
)
_KIND = "energy"
_ACTIVE = OrderStatus.ACTIVE


@dataclass(frozen=True, slots=True)
class Agent:
    """One simulated device: producers ask at least ``price``, consumers pay at most it."""

    index: int
    name: str
    kind: DeviceKind
    price: int  # base units per kWh
    profile: Profile
    sells: bool = field(init=False)  # a producer: asked in every slot, so kept, not derived

    def __post_init__(self) -> None:
        object.__setattr__(self, "sells", self.kind.type is AssetType.PROVIDER)

    @property
    def type(self) -> AssetType:
        return self.kind.type


@dataclass(frozen=True, slots=True)
class Trade:
    """``energy_wh`` sold by agent ``seller`` to agent ``buyer`` at ``price`` per kWh."""

    seller: int
    buyer: int
    energy_wh: int
    price: int


@dataclass(frozen=True, slots=True)
class SlotOutcome:
    """One slot: every agent's order ``(agent, energy_wh, limit price)``, and the trades."""

    slot: int
    offers: tuple[tuple[int, int, int], ...]
    requests: tuple[tuple[int, int, int], ...]
    trades: tuple[Trade, ...]


@dataclass(slots=True)
class Tally:
    """Sums over slots, in any order: slots run apart (in other processes) add up the same."""

    offered: int = 0  # Wh
    requested: int = 0  # Wh
    trades: int = 0
    cleared: int = 0  # Wh
    value: int = 0  # base units, each trade rounded up as a contract is
    weighted: int = 0  # Wh times price, for the energy-weighted mean price

    def add(self, outcome: SlotOutcome) -> None:
        self.offered += sum(energy for _, energy, _ in outcome.offers)
        self.requested += sum(energy for _, energy, _ in outcome.requests)
        self.trades += len(outcome.trades)
        for trade in outcome.trades:
            self.cleared += trade.energy_wh
            self.weighted += trade.energy_wh * trade.price
            self.value += contract_value(trade.energy_wh, trade.price)

    def merge(self, other: Tally) -> None:
        self.offered += other.offered
        self.requested += other.requested
        self.trades += other.trades
        self.cleared += other.cleared
        self.value += other.value
        self.weighted += other.weighted


@dataclass(frozen=True, slots=True)
class SimulationReport:
    agents: int
    producers: int
    consumers: int
    slots: int
    policy: str
    seed: int
    reference_price: int
    offered_energy: int  # Wh offered over all slots
    requested_energy: int  # Wh requested over all slots
    trades: int
    cleared_energy: int  # Wh traded (sold, which is also bought)
    traded_value: int  # base units, each trade rounded up as a contract is
    average_price: float  # base units per kWh, weighted by energy; 0 without trades
    elapsed_s: float  # running the slots
    slots_per_s: float
    setup_s: float = 0.0  # building the agents, before the first slot
    workers: int = 1  # processes that ran the slots

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def build_agents(count: int, *, seed: int, reference_price: int) -> list[Agent]:
    """``count`` agents in the proportions of :data:`MIX`, sizes and prices from ``seed``.

    Producers ask 85% to 110% of the reference price and consumers bid 90% to
    120% of it, so most but not all of them can trade.
    """
    rng = random.Random(seed)  # noqa: S311 - a reproducible population, not a secret
    kinds, weights = zip(*MIX, strict=True)
    agents = []
    for index, kind in enumerate(rng.choices(kinds, weights, k=count)):
        low, high = (0.85, 1.10) if kind.type is AssetType.PROVIDER else (0.90, 1.20)
        price = max(1, round(reference_price * rng.uniform(low, high)))
        profile = _typical(kind, seed=rng.getrandbits(32), rng=rng)
        agents.append(Agent(index, f"a{index}", kind, price, profile))
    return agents


class EnergySimulation:
    """N agents and a matching policy; :meth:`slot` runs one slot, :meth:`run` many."""

    def __init__(
        self,
        agents: int,
        *,
        seed: int = 42,
        policy: str = "uniform",
        reference_price: int = 250,
        start_ms: int = START_MS,
    ) -> None:
        if agents < 2:
            raise ValueError("a market needs at least 2 agents")
        if policy not in POLICIES:
            raise ValueError(f"policy must be one of {', '.join(POLICIES)}, got {policy!r}")
        if reference_price <= 0:
            raise ValueError("the reference price must be positive")
        if start_ms % SLOT_MS:
            raise ValueError("the simulation starts on a slot boundary")
        self.agents = build_agents(agents, seed=seed, reference_price=reference_price)
        self.seed, self.policy, self.reference_price = seed, policy, reference_price
        self.start_ms = start_ms
        self._rotation = random.Random(seed + 1)  # noqa: S311 - reproducible, not secret
        self._offsets: list[int] = []
        self._index_of = {agent.name: agent.index for agent in self.agents}

    def slot(self, number: int) -> SlotOutcome:
        """Run slot ``number`` (0 is :attr:`start_ms`): collect the orders, clear, report."""
        begins = self.start_ms + number * SLOT_MS
        day, index = divmod(begins // SLOT_MS, SLOTS_PER_DAY)
        engine = MatchingEngine(policy_named(self.policy))
        submit, fills = engine.submit, []
        offers: list[tuple[int, int, int]] = []
        requests: list[tuple[int, int, int]] = []
        for priority, agent in enumerate(self._in_turn(number)):
            energy = agent.profile.day(day)[index]
            if energy <= 0:
                continue
            sells = agent.sells
            (offers if sells else requests).append((agent.index, energy, agent.price))
            fills += submit(Resting(_order(agent, energy, sells, priority, begins)), begins)
        fills += engine.clear(begins)
        index_of = self._index_of
        trades = tuple(
            Trade(index_of[offer.id], index_of[request.id], quantity, price)
            for offer, request, quantity, price in fills
        )
        return SlotOutcome(number, tuple(offers), tuple(requests), trades)

    def _in_turn(self, number: int) -> Sequence[Agent]:
        """The agents in this slot's submission order: the list rotated by a drawn offset."""
        while len(self._offsets) <= number:
            self._offsets.append(self._rotation.randrange(len(self.agents)))
        offset = self._offsets[number]
        return self.agents[offset:] + self.agents[:offset]

    def tally(self, first: int, stop: int) -> Tally:
        """Run slots ``first .. stop - 1`` and add up what they offered, asked and traded."""
        tally = Tally()
        for number in range(first, stop):
            tally.add(self.slot(number))
        return tally

    def run(self, slots: int, *, progress: Callable[[int], None] | None = None) -> SimulationReport:
        """Run slots ``0 .. slots - 1``; ``progress`` is called with the slots done so far."""
        if slots < 1:
            raise ValueError("simulate at least one slot")
        began, tally = time.perf_counter(), Tally()
        for number in range(slots):
            tally.merge(self.tally(number, number + 1))
            if progress is not None:
                progress(number + 1)
        return self.report(slots, tally, time.perf_counter() - began)

    def report(
        self, slots: int, tally: Tally, elapsed: float, workers: int = 1
    ) -> SimulationReport:
        """The figures of ``slots`` slots that added up to ``tally`` in ``elapsed`` seconds."""
        producers = sum(agent.sells for agent in self.agents)
        return SimulationReport(
            agents=len(self.agents),
            producers=producers,
            consumers=len(self.agents) - producers,
            slots=slots,
            policy=self.policy,
            seed=self.seed,
            reference_price=self.reference_price,
            offered_energy=tally.offered,
            requested_energy=tally.requested,
            trades=tally.trades,
            cleared_energy=tally.cleared,
            traded_value=tally.value,
            average_price=round(tally.weighted / tally.cleared, 3) if tally.cleared else 0.0,
            elapsed_s=round(elapsed, 3),
            slots_per_s=round(slots / elapsed, 3),
            workers=workers,
        )


def _order(agent: Agent, energy: int, is_offer: bool, priority: int, begins: int) -> Order:
    """The agent's order for one slot, built directly: the book's checks are the caller's."""
    return Order(
        agent.name,
        Side.OFFER if is_offer else Side.REQUEST,
        agent.name,
        _KIND,
        energy,
        agent.price,
        begins,
        begins + SLOT_MS,
        None,
        (),
        NO_REQUIREMENTS,
        None,
        begins,
        priority,
        energy,
        _ACTIVE,
    )
