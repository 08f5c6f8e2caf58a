"""Each energy module's address book: where the participants it writes letters to are now.

An outbox looks a letter's recipient up when the letter leaves
(:mod:`plaza.market.auth.outbox`), never when it is queued, so a peer restarted on
another port is reached there, by letters queued before too. Each book reads what the
module already keeps: the marketplace its asset registry (updated by an asset's
``/register``; an asset its owner deleted is gone) and the bid manager's URL it was
opened with; the bid manager and the user module the marketplace's URL they were
opened with; a device its configuration (updated by its owner's ``/init``). A
participant a book does not know is gone: its letters are dropped.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from plaza.energy.asset.config import AssetConfig
from plaza.energy.backend.model import AssetRecord
from plaza.energy.backend.onboarding import Standing
from plaza.energy.peers import BIDMANAGER, MARKETPLACE, Peer
from plaza.market.auth.outbox import AddressOf

__all__ = ["AssetRegistry", "asset_address", "marketplace_address", "only"]


def asset_address(config: Callable[[], AssetConfig]) -> AddressOf:
    """A device's address book is its configuration: the marketplace and its owner's user
    module, where its latest ``/init`` said they are."""

    def address(audience: str) -> str | None:
        current = config()
        if audience == MARKETPLACE:
            return current.marketplace_api
        return current.owner_api if audience == current.asset_owner else None

    return address


def only(participant: str, url: str) -> AddressOf:
    """The address book of a module that writes to one peer only, at ``url``."""
    return lambda audience: url if audience == participant else None


class AssetRegistry(Protocol):
    """The marketplace's database as its address book reads it."""

    def asset(self, asset_id: str) -> AssetRecord | None: ...

    def standing(self, asset_id: str) -> Standing | None: ...


def marketplace_address(registry: AssetRegistry, bidmanager: Peer) -> AddressOf:
    """The marketplace's address book: the bid manager, and every asset in its registry
    (where the asset's latest ``/register`` said it is). An asset it never registered, or
    one its owner deleted (the user module's ``/asset_status``, never undone), is gone."""

    def address(audience: str) -> str | None:
        if audience == BIDMANAGER:
            return bidmanager.url
        asset = registry.asset(audience)
        standing = registry.standing(audience)
        if asset is None or (standing is not None and standing.status == "deleted"):
            return None
        return asset.url

    return address
