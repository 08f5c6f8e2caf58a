"""Assets and their states: register, update, disable, enable, remove; what orders may name;
every state handed to the asset's twin, again after a restart; searches."""

from __future__ import annotations

from dataclasses import replace

import pytest
from market_support import Market, market, offer

from plaza.market import (
    Asset,
    AssetChange,
    AssetEvent,
    AssetInUse,
    AssetNotActive,
    AssetNotFound,
    AssetQuery,
    AssetStatus,
    IdempotencyConflict,
    InvalidAsset,
    Location,
    MemoryAssetDirectory,
    MemoryAssetTwins,
    NewAsset,
    NotOwner,
    attributes,
)
from plaza.market.assets.model import change_asset, disable_asset, enable_asset, remove_asset
from plaza.market.errors import AssetConflict

BERLIN = Location(52.52, 13.40)
POTSDAM = Location(52.39, 13.06)
MUNICH = Location(48.14, 11.58)


def panel(owner: str = "ann", **kw: object) -> NewAsset:
    fields: dict[str, object] = {"kind": "energy", "name": "roof panel", "location": BERLIN}
    fields.update(kw)
    return NewAsset(owner, **fields)  # type: ignore[arg-type]


def _states(mk: Market, asset_id: str) -> list[tuple[int, AssetEvent, AssetStatus]]:
    return [(s.version, s.event, s.status) for s in mk.assets.history(asset_id)]


# -- the lifecycle, pure ------------------------------------------------------------------


def test_each_transition_is_the_next_version_made_by_its_event() -> None:
    first = Asset.register(panel(), asset_id="ast-1", at_ms=10)
    assert (first.version, first.event, first.status) == (1, AssetEvent.REGISTERED, "active")
    assert (first.registered_at_ms, first.updated_at_ms) == (10, 10)
    disabled = disable_asset(first, 20)
    assert (disabled.version, disabled.event, disabled.status) == (2, "disabled", "disabled")
    enabled = enable_asset(disabled, 30)
    assert (enabled.version, enabled.event, enabled.status, enabled.updated_at_ms) == (
        3,
        AssetEvent.ENABLED,
        AssetStatus.ACTIVE,
        30,
    )
    removed = remove_asset(enabled, 40)
    assert (removed.version, removed.status, removed.registered_at_ms) == (4, "removed", 10)


@pytest.mark.parametrize(
    ("status", "refused"),
    [
        (AssetStatus.ACTIVE, [enable_asset]),
        (AssetStatus.DISABLED, [disable_asset]),
        (AssetStatus.REMOVED, [disable_asset, enable_asset, remove_asset]),
    ],
)
def test_transitions_the_status_forbids_are_refused(status: AssetStatus, refused: list) -> None:  # type: ignore[type-arg]
    asset = replace(Asset.register(panel(), asset_id="ast-1", at_ms=0), status=status)
    for transition in refused:
        with pytest.raises(AssetNotActive, match=status.value):
            transition(asset, 1)


def test_an_update_describes_anew_but_never_changes_kind_or_owner() -> None:
    asset = Asset.register(panel(), asset_id="ast-1", at_ms=0)
    change = AssetChange("south roof", MUNICH, attributes({"green": True}))
    updated = change_asset(asset, change, 5)
    assert updated is not None
    assert (updated.name, updated.location, updated.attributes) == (
        "south roof",
        MUNICH,
        (("green", True),),
    )
    assert (updated.kind, updated.owner, updated.version, updated.event) == (
        "energy",
        "ann",
        2,
        AssetEvent.UPDATED,
    )
    assert change_asset(updated, change, 6) is None  # the same description: no new state
    with pytest.raises(InvalidAsset, match="name"):
        change_asset(asset, AssetChange(""), 5)
    with pytest.raises(InvalidAsset, match="location"):
        change_asset(asset, AssetChange("x", Location(91.0, 0.0)), 5)
    with pytest.raises(AssetNotActive):
        change_asset(replace(asset, status=AssetStatus.REMOVED), change, 5)


# -- the bid manager ----------------------------------------------------------------------


def test_registration_gives_a_new_id_and_records_the_first_state() -> None:
    mk = market()
    first = mk.manager.register_asset(panel()).asset
    second = mk.manager.register_asset(panel("bob", kind="telco:cell", name="cell 7")).asset
    assert (first.id, second.id) == ("ast-1", "ast-2")
    assert first.registered_at_ms == mk.clock.now_ms()
    assert mk.manager.asset("ast-2") == second
    assert mk.asset_twins.history("ast-1") == [first]


def test_a_retried_registration_is_answered_from_the_directory() -> None:
    m = market().manager
    first = m.register_asset(panel(), idempotency_key="k-1")
    again = m.register_asset(panel(), idempotency_key="k-1")
    assert (again.asset, again.replayed, first.replayed) == (first.asset, True, False)
    with pytest.raises(IdempotencyConflict):
        m.register_asset(panel(name="another"), idempotency_key="k-1")
    assert m.register_asset(panel("bob"), idempotency_key="k-1").asset.id == "ast-2"  # per owner


def test_a_refused_registration_stores_nothing() -> None:
    mk = market()
    for bad in (
        panel(kind="Solar Panel"),
        panel(name=""),
        panel(location=Location(0.0, 181.0)),
        panel(attributes=(("b", 1), ("a", 2))),
    ):
        with pytest.raises(InvalidAsset):
            mk.manager.register_asset(bad)
    assert mk.assets.count() == 0
    assert mk.asset_twins.states == []


def test_every_state_is_stored_and_handed_to_the_twin() -> None:
    mk = market()
    m = mk.manager
    asset_id = m.register_asset(panel()).asset.id
    m.update_asset(asset_id, AssetChange("south roof", BERLIN), participant="ann")
    m.update_asset(asset_id, AssetChange("south roof", BERLIN), participant="ann")  # no step
    m.disable_asset(asset_id, participant="ann")
    m.enable_asset(asset_id, participant="ann")
    removed = m.remove_asset(asset_id, participant="ann")
    assert removed.status is AssetStatus.REMOVED
    assert _states(mk, asset_id) == [
        (1, "registered", "active"),
        (2, "updated", "active"),
        (3, "disabled", "disabled"),
        (4, "enabled", "active"),
        (5, "removed", "removed"),
    ]
    assert mk.asset_twins.history(asset_id) == mk.assets.history(asset_id)


def test_only_the_owner_changes_an_asset_and_a_refusal_changes_nothing() -> None:
    mk = market()
    m = mk.manager
    asset = m.register_asset(panel()).asset
    with pytest.raises(NotOwner):
        m.update_asset(asset.id, AssetChange("mine now"), participant="bob")
    with pytest.raises(NotOwner):
        m.disable_asset(asset.id, participant="bob")
    with pytest.raises(NotOwner):
        m.remove_asset(asset.id, participant="bob")
    with pytest.raises(AssetNotActive):
        m.enable_asset(asset.id, participant="ann")  # active already
    with pytest.raises(AssetNotFound):
        m.disable_asset("ast-9", participant="ann")
    assert m.asset(asset.id) == asset
    assert len(mk.asset_twins.states) == 1


def test_orders_may_name_only_active_assets() -> None:
    m = market().manager
    asset_id = m.register_asset(panel()).asset.id
    m.disable_asset(asset_id, participant="ann")
    with pytest.raises(AssetNotActive, match="disabled"):
        m.submit_order(offer("ann", asset_id=asset_id))
    m.enable_asset(asset_id, participant="ann")
    assert m.submit_order(offer("ann", asset_id=asset_id)).order.asset_id == asset_id


def test_an_asset_named_by_open_orders_cannot_be_removed() -> None:
    m = market().manager
    asset_id = m.register_asset(panel()).asset.id
    order = m.submit_order(offer("ann", asset_id=asset_id)).order
    m.disable_order(order.id, participant="ann")  # disabled is still open
    with pytest.raises(AssetInUse, match=order.id):
        m.remove_asset(asset_id, participant="ann")
    assert m.asset(asset_id).status is AssetStatus.ACTIVE
    m.cancel_order(order.id, participant="ann")
    assert m.remove_asset(asset_id, participant="ann").status is AssetStatus.REMOVED
    with pytest.raises(AssetNotActive, match="removed"):
        m.submit_order(offer("ann", asset_id=asset_id))


def test_a_restart_hands_the_twin_every_state_it_lacks_in_order() -> None:
    mk = market()
    m = mk.manager
    asset_id = m.register_asset(panel()).asset.id
    other_id = m.register_asset(panel("bob")).asset.id
    m.disable_asset(asset_id, participant="ann")
    mk.asset_twins = MemoryAssetTwins()  # the twins lost everything (a crash before recording)
    mk.asset_twins.record_asset(mk.assets.history(asset_id)[0])  # ... but the first state
    mk.restart()
    assert [(s.id, s.version) for s in mk.asset_twins.states] == [
        (asset_id, 1),
        (asset_id, 2),
        (other_id, 1),
    ]  # each twin's states in order
    assert mk.manager.sync_asset_twins() == 0  # nothing lacks any more


def test_searches_narrow_by_kind_owner_status_and_distance() -> None:
    mk = market()
    m = mk.manager
    ids = [
        m.register_asset(panel()).asset.id,
        m.register_asset(panel("bob", location=POTSDAM)).asset.id,
        m.register_asset(panel("bob", kind="telco:cell", location=MUNICH)).asset.id,
        m.register_asset(panel("cy", location=None)).asset.id,
    ]
    m.disable_asset(ids[0], participant="ann")

    def found(**query: object) -> list[str]:
        return [asset.id for asset in m.search_assets(AssetQuery(**query))]  # type: ignore[arg-type]

    assert found() == ids[1:]  # active ones by default
    assert found(statuses=frozenset()) == ids
    assert found(statuses=frozenset({AssetStatus.DISABLED})) == ids[:1]
    assert found(kind="energy", owner="bob") == ids[1:2]
    assert found(near=BERLIN, radius_km=50.0, statuses=frozenset()) == ids[:2]
    assert found(limit=2, offset=1) == ids[2:]


def test_the_directory_refuses_a_second_writer() -> None:
    directory = MemoryAssetDirectory()
    asset = Asset.register(panel(), asset_id="ast-1", at_ms=0)
    directory.add(asset, idempotency_key="k")
    with pytest.raises(AssetConflict):
        directory.add(asset)
    with pytest.raises(AssetConflict):
        directory.add(replace(asset, id="ast-2"), idempotency_key="k")
    with pytest.raises(AssetConflict):
        directory.save(replace(asset, version=3))
    assert directory.history("ast-1") == [asset]
