"""The AssetDirectory contract: one suite, run against memory, SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from market_sql_backends import ALL_BACKENDS, fresh_engine

from plaza.market.assets.memory import MemoryAssetDirectory
from plaza.market.assets.model import AssetQuery, disable_asset, remove_asset
from plaza.market.assets.ports import AssetDirectory
from plaza.market.errors import AssetConflict
from plaza.market.model import Asset, AssetStatus, Location, NewAsset, attributes
from plaza.market.sql import SqlAssetDirectory

BERLIN = Location(52.52, 13.405)


@pytest.fixture(params=ALL_BACKENDS)
def directory(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[AssetDirectory]:
    if request.param == "memory":
        yield MemoryAssetDirectory()
        return
    with fresh_engine(request.param, request, tmp_path) as engine:
        yield SqlAssetDirectory(engine)


def asset(number: int, owner: str = "ann", kind: str = "energy", **kw: object) -> Asset:
    spec = NewAsset(
        owner,
        kind,
        f"asset {number}",
        kw.pop("location", None),  # type: ignore[arg-type]
        attributes({"green": True, "kw": number, "note": "ünïcode"}),
    )
    return Asset.register(spec, asset_id=f"ast-{number}", at_ms=1_000 + number)


def test_states_round_trip_exactly(directory: AssetDirectory) -> None:
    first = asset(1, location=BERLIN)
    directory.add(first)
    assert directory.get("ast-1") == first
    second = disable_asset(first, 2_000)
    directory.save(second)
    third = remove_asset(second, 3_000)
    directory.save(third)
    assert directory.get("ast-1") == third
    assert directory.history("ast-1") == [first, second, third]
    assert directory.get("ast-9") is None
    assert directory.history("ast-9") == []
    assert directory.count() == 1


def test_ids_and_keys_are_taken_once(directory: AssetDirectory) -> None:
    directory.add(asset(1), idempotency_key="k")
    assert directory.by_key("ann", "k") == asset(1)
    assert directory.by_key("bob", "k") is None
    with pytest.raises(AssetConflict):
        directory.add(asset(1))
    with pytest.raises(AssetConflict):
        directory.add(asset(2), idempotency_key="k")
    directory.add(asset(3, owner="bob"), idempotency_key="k")  # keys are per owner
    assert directory.count() == 2
    assert directory.get("ast-2") is None


def test_a_state_must_follow_the_stored_one(directory: AssetDirectory) -> None:
    first = asset(1)
    directory.add(first)
    with pytest.raises(AssetConflict):
        directory.save(replace(disable_asset(first, 5), version=3))
    with pytest.raises(AssetConflict):
        directory.save(disable_asset(asset(7), 5))  # unknown
    assert directory.history("ast-1") == [first]


def test_searches_filter_and_page(directory: AssetDirectory) -> None:
    directory.add(asset(1, location=BERLIN))
    directory.add(asset(2, owner="bob", location=Location(48.14, 11.58)))
    directory.add(asset(3, kind="telco:cell"))
    directory.add(asset(4))
    directory.save(disable_asset(asset(4), 9_000))

    def ids(**query: object) -> list[str]:
        return [a.id for a in directory.search(AssetQuery(**query))]  # type: ignore[arg-type]

    assert ids() == ["ast-1", "ast-2", "ast-3"]
    assert ids(statuses=frozenset()) == ["ast-1", "ast-2", "ast-3", "ast-4"]
    assert ids(statuses=frozenset({AssetStatus.DISABLED})) == ["ast-4"]
    assert ids(kind="energy", owner="ann") == ["ast-1"]
    assert ids(near=Location(52.4, 13.1), radius_km=50.0) == ["ast-1"]
    assert ids(limit=2, offset=1) == ["ast-2", "ast-3"]
    assert ids(limit=None, statuses=frozenset()) == ["ast-1", "ast-2", "ast-3", "ast-4"]


def test_racing_writers_store_one_next_state(directory: AssetDirectory) -> None:
    first = asset(1)
    directory.add(first)
    barrier = threading.Barrier(4)
    outcomes: list[str] = []

    def save(name: str) -> None:
        barrier.wait()
        try:
            directory.save(replace(disable_asset(first, 5), name=name))
            outcomes.append("saved")
        except AssetConflict:
            outcomes.append("conflict")

    workers = [threading.Thread(target=save, args=(f"w{i}",)) for i in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=30)
    assert sorted(outcomes) == ["conflict"] * 3 + ["saved"]
    assert [state.version for state in directory.history("ast-1")] == [1, 2]
