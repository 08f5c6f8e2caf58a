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
from dataclasses import asdict, dataclass, replace
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
    "Trade",
    "simulate_energy",
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
            is_offer = agent.kind.type is AssetType.PROVIDER
            (offers if is_offer else requests).append((agent.index, energy, agent.price))
            order = _order(agent, energy, is_offer, priority, begins)
            fills += submit(Resting(order), begins)
        fills += engine.clear(begins)
        trades = tuple(
            Trade(int(offer.id[1:]), int(request.id[1:]), quantity, price)
            for offer, request, quantity, price in fills
        )
        return SlotOutcome(number, tuple(offers), tuple(requests), trades)

    def _in_turn(self, number: int) -> Sequence[Agent]:
        """The agents in this slot's submission order: the list rotated by a drawn offset."""
        while len(self._offsets) <= number:
            self._offsets.append(self._rotation.randrange(len(self.agents)))
        offset = self._offsets[number]
        return self.agents[offset:] + self.agents[:offset]

    def run(self, slots: int, *, progress: Callable[[int], None] | None = None) -> SimulationReport:
        """Run slots ``0 .. slots - 1``; ``progress`` is called with the slots done so far."""
        if slots < 1:
            raise ValueError("simulate at least one slot")
        offered = requested = trades = cleared = value = weighted = 0
        began = time.perf_counter()
        for number in range(slots):
            outcome = self.slot(number)
            offered += sum(energy for _, energy, _ in outcome.offers)
            requested += sum(energy for _, energy, _ in outcome.requests)
            trades += len(outcome.trades)
            for trade in outcome.trades:
                cleared += trade.energy_wh
                weighted += trade.energy_wh * trade.price
                value += contract_value(trade.energy_wh, trade.price)
            if progress is not None:
                progress(number + 1)
        elapsed = time.perf_counter() - began
        producers = sum(agent.type is AssetType.PROVIDER for agent in self.agents)
        return SimulationReport(
            agents=len(self.agents),
            producers=producers,
            consumers=len(self.agents) - producers,
            slots=slots,
            policy=self.policy,
            seed=self.seed,
            reference_price=self.reference_price,
            offered_energy=offered,
            requested_energy=requested,
            trades=trades,
            cleared_energy=cleared,
            traded_value=value,
            average_price=round(weighted / cleared, 3) if cleared else 0.0,
            elapsed_s=round(elapsed, 3),
            slots_per_s=round(slots / elapsed, 3),
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


def simulate_energy(
    agents: int,
    slots: int,
    *,
    seed: int = 42,
    policy: str = "uniform",
    reference_price: int = 250,
    progress: Callable[[int], None] | None = None,
) -> SimulationReport:
    """Build the agents and run ``slots`` slots: what ``plaza simulate energy`` reports."""
    began = time.perf_counter()
    simulation = EnergySimulation(agents, seed=seed, policy=policy, reference_price=reference_price)
    setup = time.perf_counter() - began
    return replace(simulation.run(slots, progress=progress), setup_s=round(setup, 3))
