"""The energy market simulation: invariants of every slot, reproducibility, and the CLI."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from typer.testing import CliRunner

from plaza.agents.energy.profiles import SLOT_MS
from plaza.agents.energy.runner import simulate_energy
from plaza.agents.energy.simulate import (
    POLICIES,
    START_MS,
    EnergySimulation,
    SlotOutcome,
)
from plaza.cli.main import app
from plaza.energy.model import AssetType, contract_value

HOUR_MS = 3_600_000
MORNING = START_MS + 8 * HOUR_MS  # solar rising, heat pumps running: both sides trade
EVENING = START_MS + 18 * HOUR_MS  # cars arriving, chargers offering


def outcomes(simulation: EnergySimulation, slots: int) -> list[SlotOutcome]:
    return [simulation.slot(number) for number in range(slots)]


def check_slot(simulation: EnergySimulation, outcome: SlotOutcome) -> None:
    """Every rule a slot's trades must keep, whatever the policy."""
    agents = simulation.agents
    offered = {agent: (energy, price) for agent, energy, price in outcome.offers}
    requested = {agent: (energy, price) for agent, energy, price in outcome.requests}
    assert not offered.keys() & requested.keys(), "an agent is on one side at a time"
    assert all(agents[a].type is AssetType.PROVIDER for a in offered)
    assert all(agents[a].type is AssetType.CONSUMER for a in requested)
    sold: Counter[int] = Counter()
    bought: Counter[int] = Counter()
    for trade in outcome.trades:
        assert trade.energy_wh > 0
        assert trade.seller != trade.buyer
        ask, bid = offered[trade.seller][1], requested[trade.buyer][1]
        assert ask <= trade.price <= bid, f"{trade} outside its limits {ask}..{bid}"
        sold[trade.seller] += trade.energy_wh
        bought[trade.buyer] += trade.energy_wh
    assert sum(sold.values()) == sum(bought.values())
    for agent, energy in sold.items():
        assert energy <= offered[agent][0], f"agent {agent} sold more than it offered"
    for agent, energy in bought.items():
        assert energy <= requested[agent][0], f"agent {agent} bought more than it needed"


@pytest.mark.parametrize("policy", POLICIES)
@pytest.mark.parametrize("start", [MORNING, EVENING])
def test_every_slot_keeps_the_market_rules(policy: str, start: int) -> None:
    simulation = EnergySimulation(50, seed=11, policy=policy, start_ms=start)
    slots = outcomes(simulation, 8)
    for outcome in slots:
        check_slot(simulation, outcome)
    assert sum(len(outcome.trades) for outcome in slots) > 0, "the window must trade"


def test_uniform_clearing_trades_a_slot_at_one_price() -> None:
    simulation = EnergySimulation(200, seed=5, policy="uniform", start_ms=MORNING)
    for outcome in outcomes(simulation, 4):
        assert len({trade.price for trade in outcome.trades}) <= 1


def test_the_report_adds_up_the_slots() -> None:
    slots = outcomes(EnergySimulation(50, seed=3, start_ms=START_MS), 8)
    report = EnergySimulation(50, seed=3, start_ms=START_MS).run(8)
    trades = [trade for outcome in slots for trade in outcome.trades]
    cleared = sum(trade.energy_wh for trade in trades)
    assert (report.agents, report.slots, report.trades) == (50, 8, len(trades))
    assert report.producers + report.consumers == 50
    assert report.cleared_energy == cleared
    assert report.offered_energy == sum(e for outcome in slots for _, e, _ in outcome.offers)
    assert report.requested_energy == sum(e for outcome in slots for _, e, _ in outcome.requests)
    assert report.cleared_energy <= min(report.offered_energy, report.requested_energy)
    weighted = sum(trade.energy_wh * trade.price for trade in trades)
    assert report.average_price == round(weighted / cleared, 3)
    assert report.traded_value == sum(contract_value(t.energy_wh, t.price) for t in trades)
    assert report.elapsed_s > 0
    assert report.slots_per_s > 0


def test_the_same_seed_gives_the_same_market() -> None:
    def figures(seed: int) -> dict[str, object]:
        report = simulate_energy(50, 8, seed=seed).to_json()
        return {k: v for k, v in report.items() if k not in {"elapsed_s", "slots_per_s", "setup_s"}}

    assert figures(21) == figures(21)
    assert figures(21) != figures(22)
    first = outcomes(EnergySimulation(50, seed=21, start_ms=EVENING), 4)
    again = outcomes(EnergySimulation(50, seed=21, start_ms=EVENING), 4)
    assert first == again


def test_a_slot_can_be_run_again_alone() -> None:
    """A slot depends on its number, not on the slots run before it."""
    simulation = EnergySimulation(60, seed=8, start_ms=MORNING)
    late = simulation.slot(5)
    fresh = EnergySimulation(60, seed=8, start_ms=MORNING)
    for number in range(5):
        fresh.slot(number)
    assert fresh.slot(5) == late


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"agents": 1}, "at least 2 agents"),
        ({"agents": 10, "policy": "manual"}, "policy must be one of"),
        ({"agents": 10, "reference_price": 0}, "reference price must be positive"),
        ({"agents": 10, "start_ms": START_MS + 1}, "slot boundary"),
    ],
)
def test_impossible_simulations_are_refused(arguments: dict[str, int], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        EnergySimulation(**arguments)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="at least one slot"):
        EnergySimulation(10).run(0)


def test_the_cli_prints_one_json_object_with_the_figures() -> None:
    result = CliRunner().invoke(
        app, ["simulate", "energy", "--agents", "50", "--slots", "8", "--seed", "4", "--json"]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    for key in (
        "agents",
        "slots",
        "elapsed_s",
        "slots_per_s",
        "trades",
        "cleared_energy",
        "average_price",
    ):
        assert key in report
    assert (report["agents"], report["slots"], report["policy"]) == (50, 8, "uniform")
    timings = {k: report[k] for k in ("elapsed_s", "slots_per_s", "setup_s")}
    assert report == {**simulate_energy(50, 8, seed=4).to_json(), **timings}


def test_the_cli_shows_a_table_and_takes_a_policy() -> None:
    result = CliRunner().invoke(
        app, ["simulate", "energy", "--agents", "20", "--slots", "2", "--policy", "cda"]
    )
    assert result.exit_code == 0, result.output
    assert "cleared energy" in result.stdout
    assert "cda" in result.stdout
    refused = CliRunner().invoke(app, ["simulate", "energy", "--policy", "manual"])
    assert refused.exit_code != 0


def test_slots_are_fifteen_minutes() -> None:
    assert SLOT_MS == 15 * 60 * 1000
