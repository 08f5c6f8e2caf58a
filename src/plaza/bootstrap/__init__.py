"""The composition root: the one place that turns settings into wired objects.

Adapters are chosen here and nowhere else, so the rest of the code never asks
which database or clock it runs on. One package, one module per concern:
:mod:`~plaza.bootstrap.node` (node and gossip), :mod:`~plaza.bootstrap.market`
(the marketplace), :mod:`~plaza.bootstrap.market_ledger` (its twins and auditor
on a node), :mod:`~plaza.bootstrap.market_notify` (where its events go),
:mod:`~plaza.bootstrap.market_files` (its keys on disk),
:mod:`~plaza.bootstrap.market_admin` (its first operator, from its machine),
:mod:`~plaza.bootstrap.payments` (its payments port), :mod:`~plaza.bootstrap.clock`.

The names below are imported from their modules when first used, not with the
package: every module of the package sits under it, and a command that needs one
(``plaza node run``: the node) should not wait for all the others (the marketplace,
its web framework and database toolkit) to import.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from plaza.bootstrap.clock import SystemClock
    from plaza.bootstrap.market import MarketRuntime, build_market
    from plaza.bootstrap.market_admin import admit_operator
    from plaza.bootstrap.market_files import MarketDataDir
    from plaza.bootstrap.node import build_gossip, build_node, open_store
    from plaza.bootstrap.payments import PaymentsByAgents

__all__ = [
    "MarketDataDir",
    "MarketRuntime",
    "PaymentsByAgents",
    "SystemClock",
    "admit_operator",
    "build_gossip",
    "build_market",
    "build_node",
    "open_store",
]

_HOMES = {
    "MarketDataDir": "market_files",
    "MarketRuntime": "market",
    "PaymentsByAgents": "payments",
    "SystemClock": "clock",
    "admit_operator": "market_admin",
    "build_gossip": "node",
    "build_market": "market",
    "build_node": "node",
    "open_store": "node",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{home}"), name)
