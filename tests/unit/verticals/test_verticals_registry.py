"""The vertical registry: entry points, registration for a while, conflicts, and what it mounts."""

from __future__ import annotations

from importlib.metadata import EntryPoint

import pytest
import typer
from fastapi import APIRouter
from fastapi.routing import APIRoute
from parking import ParkingKind, parking
from typer.testing import CliRunner

from plaza.cli.main import build_app
from plaza.energy.kind import ENERGY
from plaza.market.kinds import KindRules
from plaza.verticals import (
    InvalidVertical,
    Vertical,
    VerticalConflict,
    VerticalPages,
    VerticalRegistry,
    plugins,
    registry,
)


def test_the_built_in_energy_vertical_is_loaded_through_its_entry_point() -> None:
    energy = registry.get("energy")
    assert energy is not None
    assert energy.kinds == (ENERGY,)
    kinds = registry.kinds()
    assert kinds.get("energy") is ENERGY
    assert ENERGY.policy == "one_to_one"
    assert set(registry.agents()) >= {"energy.meters", "energy.mqtt-meters"}


def test_a_vertical_is_registered_for_a_while() -> None:
    vertical = parking()
    with registry.registered(vertical):
        assert registry.get("parking") is vertical
        assert "parking" in registry.kinds()
    assert registry.get("parking") is None
    assert "parking" not in registry.kinds()


def test_a_registry_without_entry_points_holds_what_it_is_given() -> None:
    own = VerticalRegistry(group=None)
    assert own.verticals() == ()
    assert own.load_entry_points() == []
    own.register(parking())
    assert [v.name for v in own.verticals()] == ["parking"]
    own.unregister("parking")
    assert own.verticals() == ()


class Taxi(KindRules):
    kind = "parking"  # parking's kind, under another vertical


@pytest.mark.parametrize(
    ("second", "what"),
    [
        (Vertical(name="parking"), "its name"),
        (Vertical(name="taxi", kinds=(Taxi(),)), "kind 'parking'"),
    ],
)
def test_a_name_or_kind_belongs_to_one_vertical(second: Vertical, what: str) -> None:
    own = VerticalRegistry(group=None)
    own.register(parking())
    with pytest.raises(VerticalConflict) as refused:
        own.register(second)
    assert refused.value.what == what
    assert [v.name for v in own.verticals()] == ["parking"]


@pytest.mark.parametrize(
    ("declared", "reason"),
    [
        ("not a vertical", "str is not a Vertical"),
        (Vertical(name="Parking Lots"), "its name must match"),
        (Vertical(name="twice", kinds=(ParkingKind(), ParkingKind())), "a kind twice"),
    ],
)
def test_a_malformed_vertical_is_refused(declared: object, reason: str) -> None:
    own = VerticalRegistry(group=None)
    with pytest.raises(InvalidVertical) as refused:
        own.register(declared)  # type: ignore[arg-type]
    assert reason in refused.value.reason
    assert own.verticals() == ()


def _entry_points(*points: EntryPoint) -> object:
    def found(*, group: str) -> list[EntryPoint]:
        return [point for point in points if point.group == group]

    return found


def test_entry_points_of_the_group_are_loaded_once_and_checked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    good = EntryPoint("parking", "parking:commands", "test.verticals")
    monkeypatch.setattr(plugins, "entry_points", _entry_points(good))
    with pytest.raises(InvalidVertical) as refused:  # a Typer app, not a Vertical
        VerticalRegistry(group="test.verticals").verticals()
    assert "Typer is not a Vertical" in str(refused.value)
    wrong_name = EntryPoint("lots", "plaza.verticals.energy:vertical", "test.verticals")
    monkeypatch.setattr(plugins, "entry_points", _entry_points(wrong_name))
    with pytest.raises(InvalidVertical, match="its entry point is called 'lots'"):
        VerticalRegistry(group="test.verticals").verticals()
    broken = EntryPoint("gone", "plaza.verticals.nothing_here:vertical", "test.verticals")
    monkeypatch.setattr(plugins, "entry_points", _entry_points(broken))
    with pytest.raises(InvalidVertical, match="failed: ModuleNotFoundError"):
        VerticalRegistry(group="test.verticals").verticals()
    energy = EntryPoint("energy", "plaza.verticals.energy:vertical", "test.verticals")
    monkeypatch.setattr(plugins, "entry_points", _entry_points(energy))
    own = VerticalRegistry(group="test.verticals")
    assert [v.name for v in own.verticals()] == ["energy"]
    assert own.load_entry_points() == []  # already there: nothing new


def test_routers_are_handed_out_by_vertical_name() -> None:
    own = VerticalRegistry(group=None)
    vertical = own.register(parking())
    own.register(Vertical(name="quiet"))  # no routes: nothing to mount
    assert own.routers() == {"parking": vertical.routers}
    [router] = vertical.routers
    assert [route.path for route in router.routes if isinstance(route, APIRoute)] == ["/sizes"]


def test_commands_pages_and_agents_are_collected_by_vertical() -> None:
    def pages() -> VerticalPages:
        return VerticalPages(routers=(APIRouter(),))

    def meter() -> str:
        return "metering"

    own = VerticalRegistry(group=None)
    own.register(parking())
    own.register(Vertical(name="streams", pages=pages, agents={"meter": meter}))
    assert [name for name, _ in own.commands()] == ["parking"]
    [(name, found)] = own.pages()
    assert name == "streams"
    assert len(found.routers) == 1
    assert own.agents() == {"streams.meter": meter}


def test_a_verticals_commands_show_in_plaza_help() -> None:
    own = VerticalRegistry(group=None)
    own.register(parking())
    runner = CliRunner()
    shown = runner.invoke(build_app(own), ["--help"])
    assert shown.exit_code == 0, shown.output
    assert "parking" in shown.output
    assert "Rent parking spots by the hour." in shown.output
    sizes = runner.invoke(build_app(own), ["parking", "sizes"])
    assert (sizes.exit_code, sizes.output) == (0, "compact standard van\n")
    alone = runner.invoke(build_app(VerticalRegistry(group=None)), ["--help"])
    assert "parking" not in alone.output


def test_a_vertical_may_not_hide_one_of_plazas_own_commands() -> None:
    own = VerticalRegistry(group=None)
    own.register(Vertical(name="market", commands=typer.Typer()))
    with pytest.raises(VerticalConflict, match="plaza itself"):
        build_app(own)
