"""The energy modules' address books: who each finds where, and who is gone."""

from __future__ import annotations

from typing import Any

from plaza.bootstrap.energy_addresses import asset_address, marketplace_address, only
from plaza.crypto import Identity
from plaza.energy.asset.config import AssetConfig
from plaza.energy.backend.memory import MemoryMarketplaceStore
from plaza.energy.backend.model import AssetRecord
from plaza.energy.backend.onboarding import Standing
from plaza.energy.envelope import ModuleKey
from plaza.energy.model import AssetType
from plaza.energy.peers import Peer

KEY = ModuleKey.of(Identity.generate())


def _asset(asset_id: str, url: str) -> AssetRecord:
    return AssetRecord(
        asset_id, "solar", "", AssetType.PROVIDER, "Trondheim", url, KEY, "plz1", "owner-1"
    )


def test_the_marketplace_finds_assets_in_its_registry_and_the_bid_manager_it_was_given() -> None:
    store = MemoryMarketplaceStore()
    address = marketplace_address(store, Peer("http://bidmanager:2", KEY))
    store.save_asset(_asset("solar-1", "http://solar:1"), now_ms=0)
    assert address("bidmanager") == "http://bidmanager:2"
    assert address("solar-1") == "http://solar:1"
    store.save_asset(_asset("solar-1", "http://solar:9"), now_ms=1)  # registered again
    assert address("solar-1") == "http://solar:9"
    assert address("never-registered") is None


def test_an_asset_its_owner_deleted_is_gone_for_the_marketplace() -> None:
    store = MemoryMarketplaceStore()
    address = marketplace_address(store, Peer("http://bidmanager:2", KEY))
    store.save_asset(_asset("solar-1", "http://solar:1"), now_ms=0)
    store.save_standing(Standing("solar-1", "owner-1", "paused", 1), now_ms=1)
    assert address("solar-1") == "http://solar:1", "a paused asset is still there"
    store.save_standing(Standing("solar-1", "owner-1", "deleted", 2), now_ms=2)
    assert address("solar-1") is None


def _config(**changes: Any) -> AssetConfig:
    body = {
        "assetId": "solar-1",
        "type": "provider",
        "assetOwner": "owner-1",
        "marketplaceAPI": "http://marketplace:1",
        "assetOwnerAPI": "http://owner:1",
        "marketplacePublicKey": KEY.to_text(),
        "assetOwnerPublicKey": KEY.to_text(),
        "minOfferAmount": 200,
        "energyPrice": 150,
        **changes,
    }
    return AssetConfig.from_init(body)


def test_a_device_finds_the_marketplace_and_its_owner_where_its_last_init_said() -> None:
    configs = [_config()]
    address = asset_address(lambda: configs[-1])
    assert (address("marketplace"), address("owner-1")) == (
        "http://marketplace:1",
        "http://owner:1",
    )
    configs.append(_config(marketplaceAPI="http://marketplace:2", assetOwnerAPI="http://owner:2"))
    assert (address("marketplace"), address("owner-1")) == (
        "http://marketplace:2",
        "http://owner:2",
    )
    assert address("owner-2") is None, "another owner's user module is not this device's"


def test_a_module_with_one_peer_knows_that_peer_only() -> None:
    address = only("marketplace", "http://marketplace:1")
    assert address("marketplace") == "http://marketplace:1"
    assert address("bidmanager") is None
