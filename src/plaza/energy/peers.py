"""Who the energy modules are to each other: their names in letters and where they listen.

A letter names its sender and its audience: an asset by its ``assetId``, an owner by
its id, the three services by the fixed names below. A :class:`Peer` is a module
another one talks to: its URL and the keys it answers to.
"""

from __future__ import annotations

from dataclasses import dataclass

from plaza.energy.envelope import ModuleKey

__all__ = ["BIDMANAGER", "MARKETPLACE", "USER_MODULE", "Peer"]

#: The marketplace's sender name and audience in letters between modules.
MARKETPLACE = "marketplace"
#: The bid manager's.
BIDMANAGER = "bidmanager"
#: The user module's.
USER_MODULE = "usermodule"


@dataclass(frozen=True, slots=True)
class Peer:
    """Where another module listens and the keys it answers to."""

    url: str
    key: ModuleKey
